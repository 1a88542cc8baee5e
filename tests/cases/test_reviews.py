"""Reviews: scores in range, draft and submit, locking, conflicts, blind visibility, discussion, results."""
from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from gmgportal.cases import results, services
from gmgportal.cases.models import Review, ReviewState
from tests.cases.conftest import scores_for


@pytest.fixture
def reviewed(call, db, make_case, make_reviewer, assign):
    """One case with three reviewers (Alice, Bob, Carol); nobody has written anything yet."""
    case = make_case()
    people = [make_reviewer(f"{n.lower()}@example.org", agency=a, name=n)
              for n, a in (("Alice", "IOM"), ("Bob", "UNICEF"), ("Carol", "World Bank"))]
    assignments = [assign(case, p) for p in people]
    return case, people, assignments


def _post_review(client, auth, assignment, call, submit=True, **fields):
    path = f"/cases/reviews/{assignment.id}"
    data = {"recommendation": "accept", "comments_for_authors": "Clear and useful.",
            "confidential_comments": "Secret doubts.", "csrf_token": auth.csrf_token(path), **scores_for(call)}
    data.update(fields)
    data["submit" if submit else "save"] = "1"
    return client.post(path, data=data)


def test_reviewer_saves_a_draft_then_submits_and_is_locked(client, auth, call, reviewed, db):
    case, people, assignments = reviewed
    auth.login(people[0].email)
    assert _post_review(client, auth, assignments[0], call, submit=False).status_code == 302
    review = db.session.scalar(sa.select(Review))
    assert review.state == ReviewState.DRAFT
    assert _post_review(client, auth, assignments[0], call).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Review)).state == ReviewState.SUBMITTED
    response = _post_review(client, auth, assignments[0], call, recommendation="reject")
    assert response.status_code == 409 and "locked" in response.get_data(as_text=True)


def test_scores_out_of_range_or_not_numbers_are_refused(client, auth, call, reviewed, db):
    case, people, assignments = reviewed
    auth.login(people[0].email)
    gender = next(c for c in call.criteria if c.key == "gender")
    response = _post_review(client, auth, assignments[0], call, **{f"score_{gender.id}": "4"})
    assert response.status_code == 422 and "scored from 0 to 3" in response.get_data(as_text=True)
    response = _post_review(client, auth, assignments[0], call, **{f"score_{gender.id}": "lots"})
    assert response.status_code == 422
    with pytest.raises(services.Invalid):
        services.save_review(assignments[0], services.ReviewData({gender.id: -1}))
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_submit_needs_every_score_and_a_recommendation(client, auth, call, reviewed):
    case, people, assignments = reviewed
    auth.login(people[0].email)
    response = _post_review(client, auth, assignments[0], call, recommendation="")
    assert response.status_code == 422 and "choose a recommendation" in response.get_data(as_text=True)


def test_reviewer_cannot_review_an_unassigned_case_or_own_agency_case(client, auth, call, reviewed, make_case,
                                                                       make_reviewer, db):
    from gmgportal.cases.models import Assignment

    case, people, assignments = reviewed
    auth.login(people[0].email)
    assert client.get(f"/cases/reviews/{assignments[1].id}").status_code == 404  # Bob's
    assert _post_review(client, auth, assignments[0], call).status_code == 302
    path = f"/cases/reviews/{assignments[1].id}"
    response = client.post(path, data={"csrf_token": auth.csrf_token(f"/cases/reviews/{assignments[0].id}"),
                                       "submit": "1", **scores_for(call)})
    assert response.status_code == 404
    # A case of the reviewer's own agency, even if an assignment slipped in, cannot be opened by URL.
    own = make_case(submitter=None)
    ilo_reviewer = make_reviewer("ilo.rev@example.org", agency="ILO")
    slipped = Assignment(submission=own, reviewer=ilo_reviewer)
    db.session.add(slipped)
    db.session.commit()
    auth.logout()
    auth.login(ilo_reviewer.email)
    assert client.get(f"/cases/reviews/{slipped.id}").status_code == 404
    assert client.get(f"/cases/submissions/{own.id}").status_code == 404
    assert client.get("/cases/attachments/1").status_code == 404


def test_reviewer_declares_a_conflict(client, auth, call, reviewed, db):
    case, people, assignments = reviewed
    auth.login(people[0].email)
    path = f"/cases/reviews/{assignments[0].id}/conflict"
    assert client.post(path, data={"reason": "I advised them", "csrf_token": auth.csrf_token(path)}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Review)).state == ReviewState.CONFLICT
    assert services.conflict_reason(people[0], case) is not None
    assert client.get(f"/cases/reviews/{assignments[0].id}").status_code == 404


def _page_texts(client, call, assignment):
    texts = [client.get(p).get_data(as_text=True) for p in (
        f"/cases/reviews/{assignment.id}", "/cases/reviews", f"/cases/{call.slug}/", "/")]
    for path in (f"/cases/{call.slug}/ranking", f"/cases/{call.slug}/ranking.csv", f"/cases/{call.slug}/ranking.xlsx",
                 f"/cases/{call.slug}/progress", f"/cases/submissions/{assignment.submission_id}/reviewers"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code in (403, 404), path
        texts.append(response.get_data(as_text=True))
    return "\n".join(texts)


def test_a_reviewer_sees_other_reviews_only_after_submitting_and_without_names(client, auth, call, reviewed, db):
    case, (alice, bob, carol), assignments = reviewed
    auth.login(bob.email)
    _post_review(client, auth, assignments[1], call, comments_for_authors="Bob's public words",
                 confidential_comments="Bob's secret words")
    auth.logout()
    auth.login(alice.email)
    before = _page_texts(client, call, assignments[0])
    for leak in ("Bob's public words", "Bob's secret words", "Bob", "UNICEF", "Reviewer 2"):
        assert leak not in before, leak
    _post_review(client, auth, assignments[0], call, submit=False)
    assert "Bob's public words" not in client.get(f"/cases/reviews/{assignments[0].id}").get_data(as_text=True)
    _post_review(client, auth, assignments[0], call)
    after = client.get(f"/cases/reviews/{assignments[0].id}").get_data(as_text=True)
    assert "Reviewer 2" in after and "Bob's public words" in after
    assert "Bob" not in after.replace("Bob's public words", "") and "UNICEF" not in after
    assert "Bob's secret words" not in after


def test_discussion_is_for_reviewers_who_submitted_and_chairs_never_submitters(client, auth, call, reviewed, chair,
                                                                              db):
    case, (alice, bob, carol), assignments = reviewed
    auth.login(alice.email)
    path = f"/cases/submissions/{case.id}/discussion"
    token = auth.csrf_token(f"/cases/reviews/{assignments[0].id}")
    assert client.post(path, data={"body": "Too early", "csrf_token": token}).status_code == 404
    _post_review(client, auth, assignments[0], call)
    token = auth.csrf_token(f"/cases/reviews/{assignments[0].id}")
    assert client.post(path, data={"body": "Shall we discuss the sample?", "csrf_token": token}).status_code == 302
    assert "Shall we discuss the sample?" in client.get(f"/cases/reviews/{assignments[0].id}").get_data(as_text=True)
    auth.logout()
    auth.login(case.submitter.email)
    own = client.get(f"/cases/submissions/{case.id}").get_data(as_text=True)
    assert "Shall we discuss" not in own and "Clear and useful" not in own
    assert client.post(path, data={"body": "Me too", "csrf_token": auth.csrf_token("/cases/egm-2014/")}).status_code == 404


def test_chair_unlocks_a_review(client, auth, call, reviewed, chair, db):
    case, people, assignments = reviewed
    auth.login(people[0].email)
    _post_review(client, auth, assignments[0], call)
    auth.logout()
    auth.login(chair.email)
    page = f"/cases/submissions/{case.id}/reviewers"
    assert client.post(f"/cases/reviews/{assignments[0].id}/unlock",
                       data={"csrf_token": auth.csrf_token(page)}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Review)).state == ReviewState.DRAFT


def test_weighted_score_mean_spread_and_disagreement(call, reviewed, db):
    case, people, assignments = reviewed
    top = {c.id: c.max_score for c in call.criteria}
    bottom = {c.id: c.min_score for c in call.criteria}
    services.save_review(assignments[0], services.ReviewData(top, recommendation="accept"), submit=True)
    services.save_review(assignments[1], services.ReviewData(bottom, recommendation="reject"), submit=True)
    db.session.commit()
    [row] = results.case_results(call)
    assert row.done == 2 and row.mean == 50.0 and row.spread == 100.0 and row.disagreement
    innovation = next(c for c in call.criteria if c.key == "innovation")
    half = dict(bottom)
    half[innovation.id] = 3  # (3-1)/(5-1) = 0.5 of weight 3 out of 10 -> 15
    review = services.save_review(assignments[2], services.ReviewData(half, recommendation="discuss"), submit=True)
    assert results.weighted_score(review, list(call.criteria)) == 15.0


def test_chair_ranks_exports_with_every_review_formula_safe(client, auth, call, reviewed, chair, db):
    case, people, assignments = reviewed
    services.save_review(assignments[0], services.ReviewData({c.id: c.max_score for c in call.criteria},
                                                             "=HYPERLINK(\"x\")", "conf", "accept"), submit=True)
    db.session.commit()
    auth.login(chair.email)
    page = client.get(f"/cases/{call.slug}/ranking?sort=mean&dir=desc").get_data(as_text=True)
    assert case.title in page and "100.0" in page
    csv_text = client.get(f"/cases/{call.slug}/ranking.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and "Alice" in csv_text and "conf" in csv_text
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/cases/{call.slug}/ranking.xlsx").data))
    assert book.active.max_row == 4  # header and one row per reviewer
    filtered = client.get(f"/cases/{call.slug}/ranking?disagreement=1").get_data(as_text=True)
    assert case.title not in filtered



@pytest.mark.parametrize("query", ["page=0", "page=abc", "decision=maybe", "disagreement=perhaps",
                                   "q=" + "x" * 101])
def test_ranking_and_its_downloads_refuse_a_filter_they_cannot_use(client, auth, call, chair, query):
    auth.login(chair.email)
    for path in ("ranking", "ranking.csv"):
        response = client.get(f"/cases/{call.slug}/{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert "This address has a filter the portal cannot use" in response.get_data(as_text=True)
    assert client.get(f"/cases/{call.slug}/ranking?decision=undecided&disagreement=1&q=x").status_code == 200

def test_ranking_page_query_count_does_not_grow(client, auth, call, chair, make_case, make_reviewer, assign,
                                                count_queries, db):
    auth.login(chair.email)
    reviewers = [make_reviewer(agency=a) for a in ("IOM", "UNICEF", "World Bank")]

    def add_cases(n):
        for _ in range(n):
            case = make_case()
            for r in reviewers:
                a = assign(case, r)
                services.save_review(a, services.ReviewData({c.id: c.max_score for c in call.criteria},
                                                            recommendation="accept"), submit=True)
        db.session.commit()

    paths = [f"/cases/{call.slug}/ranking", f"/cases/{call.slug}/ranking?sort=title&q=mobile&page=2",
             f"/cases/{call.slug}/ranking.csv", f"/cases/{call.slug}/progress"]

    def counts():
        found = []
        for path in paths:
            with count_queries() as counted:
                assert client.get(path).status_code == 200
            found.append(counted.count)
        return found

    add_cases(2)
    small = counts()
    add_cases(6)
    assert counts() == small


def test_decisions_bulk_release_by_chair_only_with_author_comments_only(app, client, auth, call, reviewed, chair,
                                                                         make_case, make_user, db):
    case, people, assignments = reviewed
    services.save_review(assignments[0], services.ReviewData({c.id: c.max_score for c in call.criteria},
                                                             "Public praise", "Private doubts", "accept"), submit=True)
    other = make_case(title="Second case")
    db.session.commit()
    outsider = make_user("fp9@example.org")
    auth.login(outsider.email)
    token = auth.csrf_token(f"/cases/{call.slug}/")
    assert client.post(f"/cases/{call.slug}/release", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/cases/{call.slug}/decisions", data={"csrf_token": token, "case_ids": [case.id],
                                                             "outcome": "accept"}).status_code == 403
    auth.logout()
    auth.login(chair.email)
    ranking = f"/cases/{call.slug}/ranking"
    response = client.post(f"/cases/{call.slug}/decisions", data={
        "csrf_token": auth.csrf_token(ranking), "case_ids": [case.id, other.id], "outcome": "accept",
        "note": "Welcome to Geneva"})
    assert response.status_code == 302
    release = f"/cases/{call.slug}/release"
    assert client.post(release, data={"csrf_token": auth.csrf_token(release)}).status_code == 302
    mail = next(m for m in app.extensions["mail_outbox"] if m["Subject"].endswith(case.title))
    body = mail.get_content()
    assert "Accepted" in body and "Public praise" in body and "Welcome to Geneva" in body
    assert "Private doubts" not in body and "Alice" not in body and "IOM" not in body
    auth.logout()
    auth.login(case.submitter.email)
    page = client.get(f"/cases/submissions/{case.id}").get_data(as_text=True)
    assert "Accepted" in page and "Public praise" in page and "Private doubts" not in page and "Alice" not in page


def test_a_case_with_a_released_decision_cannot_change(call, reviewed, chair, db):
    from gmgportal.cases.models import Outcome
    from gmgportal.core import clock
    from gmgportal.core.errors import Refused

    case, people, assignments = reviewed
    services.decide_case(case, Outcome.REJECT, "", chair)
    services.release_decisions(call)
    db.session.commit()
    assert not case.can_edit(case.submitter, clock.now())
    with pytest.raises(Refused, match="released"):
        services.update_submission(case, services.SubmissionData(title="New"))
    with pytest.raises(Refused, match="released"):
        services.decide_case(case, Outcome.ACCEPT, "", chair)


def test_ranking_pages_hold_fifty_rows_with_the_total():
    page = results.Page.of(list(range(120)), 3)
    assert (page.items, page.pages, page.total, page.has_prev, page.has_next) == (list(range(100, 120)), 3, 120,
                                                                                 True, False)
    assert results.Page.of([], 5).page == 1


def test_chair_reminds_reviewers_with_open_reviews_near_and_after_the_due_date(app, client, auth, call, reviewed,
                                                                              chair, frozen_clock, db):
    case, (alice, bob, carol), assignments = reviewed
    services.save_review(assignments[0], services.ReviewData({c.id: c.max_score for c in call.criteria},
                                                             recommendation="accept"), submit=True)
    db.session.commit()
    auth.login(chair.email)
    progress = f"/cases/{call.slug}/progress"
    response = client.post(f"/cases/{call.slug}/reminders", data={"csrf_token": auth.csrf_token(progress)},
                           follow_redirects=True)
    assert "from 7 days before" in response.get_data(as_text=True)
    frozen_clock.freeze("2014-08-02")
    auth.login(chair.email)  # months later: the idle session has expired
    response = client.post(f"/cases/{call.slug}/reminders", data={"csrf_token": auth.csrf_token(progress)},
                           follow_redirects=True)
    assert "Reminders sent to 2 reviewers" in response.get_data(as_text=True)
    reminders = [m for m in app.extensions["mail_outbox"] if m["Subject"].startswith("Reminder")]
    assert sorted(m["To"] for m in reminders) == [bob.email, carol.email]
    assert "were due on 31 July 2014" in reminders[0].get_content()
    page = client.get(progress).get_data(as_text=True)
    assert "Alice" in page and "Bob" in page


def test_ranking_filters_sorts_and_pages_in_the_database(client, auth, call, chair, make_case, db):
    from gmgportal.cases.models import Outcome
    from gmgportal.core.tables import Sort

    cases = [make_case(title=f"Case study {i:02d}") for i in range(53)]
    odd = make_case(title="Growth of 100% in mobile_phone use")
    services.decide_case(cases[0], Outcome.ACCEPT, "", chair)
    db.session.commit()
    everything = results.RankingFilters()
    by_title = Sort("title")
    page = results.ranked_results(call, everything, by_title, page=2)
    assert (page.total, page.pages, len(page.items)) == (54, 2, 4)
    assert results.ranked_results(call, everything, by_title, page=9).page == 2  # past the end: the last page
    found = results.ranked_results(call, results.RankingFilters(q="100%"), by_title).items
    assert [r.case.id for r in found] == [odd.id]  # % and _ are literal, not wildcards
    assert not results.ranked_results(call, results.RankingFilters(q="100%x"), by_title).items
    undecided = results.ranked_results(call, results.RankingFilters(decision="undecided"), by_title)
    assert undecided.total == 53 and results.accepted_count(call) == 1
    auth.login(chair.email)
    ranking = f"/cases/{call.slug}/ranking?decision=accept"
    assert "Case study 00" in client.get(ranking).get_data(as_text=True)
    # The page is cached; a decision changes the data version, so the next view shows it.
    services.decide_case(cases[0], Outcome.REJECT, "", chair)
    db.session.commit()
    assert "Case study 00" not in client.get(ranking).get_data(as_text=True)
