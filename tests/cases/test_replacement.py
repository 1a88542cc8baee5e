"""A reviewer declares a conflict: the case needs a reviewer; the chair picks a replacement or lets the
automatic assignment fill only the open places."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from gmgportal.cases import assignment as auto
from gmgportal.cases import services
from gmgportal.cases.models import Assignment, AssignmentProposal, ReviewState
from gmgportal.core.permissions import Role


@pytest.fixture
def declined(call, db, make_case, make_reviewer, assign):
    """An ILO case reviewed by Alice (IOM), Bob (UNICEF) and Carol (World Bank); Alice declared a conflict."""
    case = make_case(title="Mobile phone records for internal migration")
    people = [make_reviewer(f"{n.lower()}@example.org", agency=a, name=n)
              for n, a in (("Alice", "IOM"), ("Bob", "UNICEF"), ("Carol", "World Bank"))]
    assignments = [assign(case, p) for p in people]
    services.declare_review_conflict(assignments[0], "I advised the authors")
    db.session.commit()
    return case, people, assignments


def _declare(client, auth, assignment):
    path = f"/cases/reviews/{assignment.id}/conflict"
    return client.post(path, data={"reason": "Former colleague", "csrf_token": auth.csrf_token(path)})


def test_a_declared_conflict_frees_the_place_and_the_load(call, declined, db):
    case, (alice, bob, carol), _ = declined
    assert services.current_loads(call.id) == {bob.id: 1, carol.id: 1}
    assert [a.reviewer_id for a in services.active_assignments(case)] == [bob.id, carol.id]
    needing, places, rows = auto.open_places(call)
    assert (needing, places) == (1, 1) and [(r.case_id, r.active, r.declined) for r in rows] == [(case.id, 2, 1)]


def test_chair_sees_the_case_needs_a_reviewer_on_progress_manage_and_case_pages(client, auth, call, chair,
                                                                                declined, make_reviewer):
    case, (alice, bob, carol), _ = declined
    make_reviewer("dan@example.org", agency="OECD", name="Dan", keywords="mobile phone records, migration")
    make_reviewer("erin@example.org", agency="UNICEF", name="Erin", keywords="censuses")
    make_reviewer("ilo@example.org", agency="ILO", name="Ivan of ILO", keywords="mobile phone records")
    auth.login(chair.email)
    progress = client.get(f"/cases/{call.slug}/progress").get_data(as_text=True)
    assert "Cases that need a reviewer" in progress and case.title in progress
    assert "Propose reviewers for the 1 open place" in progress
    manage = client.get(f"/cases/{call.slug}/manage").get_data(as_text=True)
    assert "2 of 3" in manage and "Needs a reviewer" in manage and "1 declined" in manage
    page = client.get(f"/cases/submissions/{case.id}/reviewers").get_data(as_text=True)
    assert "Needs a reviewer" in page and "Choose a replacement reviewer" in page
    options = page[page.index('id="reviewer_id"'):page.index("</select>", page.index('id="reviewer_id"'))]
    # Eligible only, best match first: Dan (expertise matches) before Erin; never Alice (declared), Bob and
    # Carol (already on it) or Ivan (ILO, the case's agency).
    assert options.index("Dan (OECD): match") < options.index("Erin (UNICEF): match 0.00, 0 of 12 cases")
    for name in ("Alice", "Bob", "Carol", "Ivan"):
        assert name not in options


def test_chair_assigns_a_replacement_who_gets_the_mail_with_the_due_date(app, client, auth, call, chair, declined,
                                                                        make_reviewer, db):
    case, _, _ = declined
    dan = make_reviewer("dan@example.org", agency="OECD", name="Dan", keywords="mobile phone records")
    auth.login(chair.email)
    path = f"/cases/submissions/{case.id}/reviewers"
    response = client.post(path, data={"reviewer_id": dan.id, "csrf_token": auth.csrf_token(path)})
    assert response.status_code == 302
    mail = app.extensions["mail_outbox"][-1]
    assert mail["To"] == dan.email and case.title in mail.get_content()
    assert "due by 31 July 2014" in mail.get_content()
    made = db.session.scalar(sa.select(Assignment).where(Assignment.reviewer_id == dan.id))
    assert made.match_score is not None and made.match_score > 0
    db.session.expire_all()
    assert len(services.active_assignments(services.get_submission(case.id))) == 3
    assert "Needs a reviewer" not in client.get(path).get_data(as_text=True)
    assert auto.open_places(call)[:2] == (0, 0)


def test_replacement_refusals_conflicted_over_cap_declined_unknown_and_empty(client, auth, call, chair, declined,
                                                                            make_reviewer, make_case, assign, db):
    case, (alice, bob, carol), _ = declined
    ilo = make_reviewer("ilo@example.org", agency="ILO", name="Ivan")
    busy = make_reviewer("busy@example.org", agency="OECD", name="Busy")
    call.max_load = 1
    assign(make_case(title="Another case"), busy)
    auth.login(chair.email)
    path = f"/cases/submissions/{case.id}/reviewers"

    def pick(value):
        return client.post(path, data={"reviewer_id": value, "csrf_token": auth.csrf_token(path)})

    response = pick(ilo.id)
    assert response.status_code == 409 and "Conflict of interest" in response.get_data(as_text=True)
    response = pick(busy.id)
    assert response.status_code == 409 and "already has 1 cases" in response.get_data(as_text=True)
    response = pick(alice.id)
    assert response.status_code == 409 and "declared a conflict of interest" in response.get_data(as_text=True)
    response = pick(bob.id)
    assert response.status_code == 409 and "already reviews" in response.get_data(as_text=True)
    response = pick(999999)
    assert response.status_code == 409 and "Choose a reviewer from the list" in response.get_data(as_text=True)
    response = pick("")
    assert response.status_code == 422 and "Choose a reviewer." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(
        Assignment.submission_id == case.id)) == 3


def test_only_chairs_see_or_fill_the_open_places(client, auth, call, declined, make_reviewer, make_user):
    case, (alice, bob, carol), _ = declined
    dan = make_reviewer("dan@example.org", agency="OECD")
    for person in (bob, make_user("fp@example.org", roles=(Role.FOCAL_POINT,), agency="ILO")):
        auth.login(person.email)
        path = f"/cases/submissions/{case.id}/reviewers"
        token = auth.csrf_token("/cases/reviews" if person is bob else "/")
        assert client.get(path).status_code == 403
        assert client.post(path, data={"reviewer_id": dan.id, "csrf_token": token}).status_code == 403
        assert client.get(f"/cases/{call.slug}/progress").status_code == 403
        assert client.post(f"/cases/{call.slug}/assign", data={"csrf_token": token}).status_code == 403
        auth.logout()


def test_the_optimiser_fills_only_the_open_places_keeping_confirmed_reviewers(call, db, declined, make_case,
                                                                             make_reviewer, assign):
    case, (alice, bob, carol), _ = declined
    full = make_case(title="Census round migrant stock")
    for person in (alice, bob, carol):
        assign(full, person)
    dan = make_reviewer("dan@example.org", agency="OECD", keywords="mobile phone records")
    cp, pairs = auto.propose(call)
    proposed = cp.to_ids(pairs)
    assert len(proposed) == 1
    reviewer_id, case_id = proposed[0]
    assert case_id == case.id and reviewer_id not in {alice.id, bob.id, carol.id}
    rows, summary = auto.proposal_rows(cp, pairs)
    proposal = AssignmentProposal(call_id=call.id, pairs=rows, summary=summary)
    db.session.add(proposal)
    db.session.flush()
    auto.confirm_proposal(proposal)
    db.session.commit()
    db.session.expire_all()
    kept = services.get_submission(case.id)
    assert {a.reviewer_id for a in services.active_assignments(kept)} == {bob.id, carol.id, reviewer_id}
    alice_review = next(a for a in kept.assignments if a.reviewer_id == alice.id).review
    assert alice_review.state == ReviewState.CONFLICT  # the declined assignment stays, as a record
    assert len(services.get_submission(full.id).assignments) == 3
    assert reviewer_id == dan.id  # the only reviewer left with no conflict and not on the case


def test_reviewer_declaring_a_conflict_through_the_page_opens_the_place(client, auth, call, make_case,
                                                                        make_reviewer, assign, db):
    case = make_case()
    reviewer = make_reviewer("rev@example.org", agency="IOM")
    a = assign(case, reviewer)
    auth.login(reviewer.email)
    assert _declare(client, auth, a).status_code == 302
    assert auto.open_places(call)[:2] == (1, 3)
