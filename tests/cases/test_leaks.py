"""Blind review holds everywhere: no page, CSV, XLSX or JSON that a reviewer can fetch shows another
reviewer's score, comment or name before they submit their own; confidential comments never reach the
submitters or the other reviewers; discussion comments never reach the submitters.

Every GET address of the portal is enumerated from the URL map (see `fetch_everything`): every address under
/cases/ with every id of the scenario, the addresses without ids of every other feature, and the job pages.
Addresses of other features that take ids (an activity, a chapter, a report) read no case data and are not
fetched. `flask gmg assign-reviewers --dry-run --json` is command-line only (no reviewer runs it); its output
is checked too.

The rule for a reviewer who is also a chair (decided here, see `services.may_see_reviews`): while their own
review of a case is not submitted, they do not see that case's other reviews, scores, mean, spread,
disagreement, discussion, or the names of its other reviewers, on any page or download; other cases they
see as any chair. Counts beside names leave those reviewers' assignments to the case out too (the progress
page, a proposal's loads, the loads of the candidates for another case): a reviewer counted on more cases
than the chair can see them on would be on the chair's own. Nor do they get the list of reviewers who can
still take the case (it leaves out those already on it), or assign one to it.
"""
from __future__ import annotations

import io
import json
from io import BytesIO

import openpyxl
import pytest
import sqlalchemy as sa
from flask import url_for

from gmgportal.cases import results, services
from gmgportal.cases.models import AssignmentProposal, Outcome, ProposalStatus
from gmgportal.core.attachments import Upload
from gmgportal.core.audit import AuditEvent
from gmgportal.core.permissions import Role
from tests.cases.conftest import scores_for

BOB = "Bartholomew Quince"
BOB_PUBLIC, BOB_SECRET = "quince-remark-for-authors", "quince-remark-confidential"
BOB_DISCUSS, CHAIR_DISCUSS = "quince-remark-in-discussion", "chair-remark-in-discussion"
SECRETS = (BOB_PUBLIC, BOB_SECRET, BOB_DISCUSS, CHAIR_DISCUSS, BOB)
# Job pages of the assignment; other features' addresses with ids read no case data.
OUTSIDE_WITH_IDS = {"jobs.show", "jobs.status", "jobs.download"}


@pytest.fixture
def scene(app, call, db, chair, make_case, make_reviewer, make_user, assign):
    """An ILO case with an attachment, reviewed by Alice (IOM), Bob (UNICEF) and Carol (World Bank, also a
    chair). Bob has submitted (texts above, odd scores) and written in the discussion, as has Chris the chair.
    A confirmed proposal and the assignment job that made it exist too."""
    from gmgportal.cases.services import create_submission
    from gmgportal.jobs import run_job_inline, start_job

    submitter = make_user("sally@example.org", roles=(Role.FOCAL_POINT,), agency="ILO", name="Sally Submitter")
    case = make_case(submitter=submitter, title="Mobile phone records for internal migration")
    services.update_submission(case, services.SubmissionData(
        title=case.title, organisation="ILO", countries=["SEN"], data_kinds=["mobile_phone_records"],
        summary=case.summary, method=case.method, innovation="New", replication="Any", contact_email=submitter.email),
        [Upload("annex.pdf", BytesIO(b"%PDF-1.4\n%%EOF\n"), 15)])
    other = make_case(submitter=submitter, title="Sally's second case")  # nobody reviews it yet
    create_submission(call, submitter, services.SubmissionData(title="A draft of Sally's"))
    alice = make_reviewer("alice@example.org", agency="IOM", name="Alice Adams")
    bob = make_reviewer("bob@example.org", agency="UNICEF", name=BOB)
    carol = make_user("carol@example.org", roles=(Role.CHAIR, Role.REVIEWER), agency="World Bank",
                      name="Carol Chairreviewer")
    assignments = [assign(case, person) for person in (alice, bob, carol)]
    odd = {c.id: c.min_score + 1 for c in call.criteria}
    services.save_review(assignments[1], services.ReviewData(odd, BOB_PUBLIC, BOB_SECRET, "reject"), submit=True)
    services.add_discussion_comment(case, bob, BOB_DISCUSS)
    services.add_discussion_comment(case, chair, CHAIR_DISCUSS)
    db.session.add(AssignmentProposal(call_id=call.id, status=ProposalStatus.CONFIRMED, summary={"total": 1.0},
                                      pairs=[[p.id, case.id, 0.5] for p in (alice, bob, carol)]))
    job = start_job("cases_assign", chair, {"call_id": call.id}, enqueue=False)
    db.session.commit()
    run_job_inline(job)
    bob_score = results.score_from(odd, list(call.criteria))
    return dict(case=case, other=other, alice=alice, bob=bob, carol=carol, submitter=submitter,
                assignments=assignments, job=job, bob_score=f"{bob_score:.1f}")


def _values(scene, call) -> dict[str, list]:
    attachment_ids = [a.id for a in services.get_submission(scene["case"].id).attachments]
    proposal_ids = list(services.db.session.scalars(sa.select(AssignmentProposal.id)))
    return {"slug": [call.slug], "submission_id": [scene["case"].id, scene["other"].id, scene["other"].id + 1],
            "assignment_id": [a.id for a in scene["assignments"]], "attachment_id": attachment_ids,
            "proposal_id": proposal_ids, "fmt": ["csv", "xlsx"], "token": ["not-a-token"],
            "job_id": [scene["job"].id]}


def _text(response) -> str:
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return response.get_data(as_text=True)


def fetch_everything(app, client, values) -> dict[str, tuple[str, int, str]]:
    """address -> (endpoint, status, text) for every GET address a logged-in person can ask for."""
    import itertools

    fetched = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        inside = rule.rule.startswith("/cases/")
        if rule.arguments and not inside and rule.endpoint not in OUTSIDE_WITH_IDS:
            continue
        missing = [name for name in rule.arguments if name not in values]
        if missing:
            pytest.fail(f"{rule.rule}: add values for {missing} to the leak test")
        names = sorted(rule.arguments)
        for combo in itertools.product(*(values[name] for name in names)):
            with app.test_request_context():
                address = url_for(rule.endpoint, **dict(zip(names, combo)))
            response = client.get(address)
            fetched[address] = (rule.endpoint, response.status_code, _text(response))
            response.close()
    assert len(fetched) > 40  # the enumeration really ran
    return fetched


def _assert_nothing_of_bob(fetched, bob_score, *, names_on=()):
    """None of Bob's texts, score, name or agency; his name and agency only on the addresses `names_on`."""
    for address, (endpoint, status, text) in fetched.items():
        for secret in SECRETS:
            if secret == BOB and address in names_on:
                continue
            assert secret not in text, (address, secret)
        if address.startswith("/cases/"):
            assert address in names_on or "UNICEF" not in text, address
            assert bob_score not in text, address


def _chair_lists(scene, call) -> set[str]:
    """Where a chair who reviews Bob's only case still meets Bob's name: the reviewers to choose from for a
    case that is not theirs (with a load that leaves out the case the chair reviews)."""
    return {f"/cases/submissions/{scene['other'].id}/reviewers"}


def test_reviewer_sees_nothing_of_another_review_before_submitting_and_never_its_confidential_part(
        app, client, auth, call, scene):
    auth.login(scene["alice"].email)
    before = fetch_everything(app, client, _values(scene, call))
    _assert_nothing_of_bob(before, scene["bob_score"])
    chair_pages = [a for a, (e, _, _) in before.items() if e in ("cases.ranking", "cases.export_ranking",
                                                               "cases.case_admin", "cases.progress")]
    assert chair_pages and all(before[a][1] == 403 for a in chair_pages)
    # A draft changes nothing; submitting shows the others' reviews, anonymous, never the confidential part.
    path = f"/cases/reviews/{scene['assignments'][0].id}"
    client.post(path, data={"csrf_token": auth.csrf_token(path), "save": "1", **scores_for(call)})
    _assert_nothing_of_bob({path: ("cases.review", 200, client.get(path).get_data(as_text=True))},
                           scene["bob_score"])
    client.post(path, data={"csrf_token": auth.csrf_token(path), "submit": "1", "recommendation": "accept",
                            **scores_for(call)})
    after = fetch_everything(app, client, _values(scene, call))
    page = after[path][2]
    assert BOB_PUBLIC in page and BOB_DISCUSS in page and CHAIR_DISCUSS in page and "Reviewer 2" in page
    for address, (endpoint, status, text) in after.items():
        assert BOB_SECRET not in text and BOB not in text, address
        if address.startswith("/cases/"):
            assert "UNICEF" not in text, address


def test_a_chair_who_reviews_the_case_sees_its_reviews_only_after_submitting(app, client, auth, call, scene,
                                                                             make_case):
    auth.login(scene["carol"].email)
    values = _values(scene, call)
    before = fetch_everything(app, client, values)
    # Bob's mean on the progress page leaves out the case she reviews (his only one): no score there either.
    _assert_nothing_of_bob(before, scene["bob_score"], names_on=_chair_lists(scene, call))
    other = before[f"/cases/submissions/{scene['other'].id}/reviewers"][2]
    # A candidate there, with a load of 0: his one case is hers, and "1 of 12" would say so.
    assert f"{BOB} (UNICEF): match 0.00, 0 of {call.max_load} cases" in other
    # Bob reviews only her case: a count beside his name on the progress page or in a proposal's loads
    # (1 case, on no case she can see) would name him as her co-reviewer, so he is not counted there.
    progress = before[f"/cases/{call.slug}/progress"][2]
    assert "Alice Adams" not in progress and "left out of the counts and means above" in progress
    ranking = before[f"/cases/{call.slug}/ranking"]
    assert ranking[1] == 200 and "Hidden" in ranking[2] and "you review this case" in ranking[2]
    admin = before[f"/cases/submissions/{scene['case'].id}/reviewers"]
    assert admin[1] == 200 and "hidden from you until you submit your review" in admin[2]
    proposal = before[f"/cases/proposals/{values['proposal_id'][0]}"][2]
    assert "Another reviewer (hidden: you review this case)" in proposal
    assert "Alice Adams" not in proposal and "2 proposed assignments of other reviewers" in proposal
    # Nor may she choose (or assign) a reviewer for it: the choices leave out who is already on it.
    assert 'id="reviewer_id"' not in admin[2] and "another chair assigns its reviewers" in admin[2]
    token = auth.csrf_token(f"/cases/{call.slug}/ranking")
    response = client.post(f"/cases/submissions/{scene['case'].id}/reviewers",
                           data={"reviewer_id": str(scene["bob"].id), "csrf_token": token})
    assert response.status_code == 403 and "Another chair can assign one" in response.get_data(as_text=True)
    csv_text = before[f"/cases/{call.slug}/ranking.csv"][2]
    assert results.HIDDEN_NOTE in csv_text
    # Nor can she add to the discussion she cannot read.
    token = auth.csrf_token(f"/cases/{call.slug}/ranking")
    assert client.post(f"/cases/submissions/{scene['case'].id}/discussion",
                       data={"body": "Peek", "csrf_token": token}).status_code == 404
    path = f"/cases/reviews/{scene['assignments'][2].id}"
    response = client.post(path, data={"csrf_token": auth.csrf_token(path), "submit": "1", "recommendation": "accept",
                                       **scores_for(call)})
    assert response.status_code == 302
    after = fetch_everything(app, client, values)
    admin = after[f"/cases/submissions/{scene['case'].id}/reviewers"][2]
    assert BOB in admin and BOB_SECRET in admin and BOB_DISCUSS in admin
    assert BOB_SECRET in after[f"/cases/{call.slug}/ranking.csv"][2]
    assert BOB_SECRET in after[f"/cases/{call.slug}/ranking.xlsx"][2]
    assert "Hidden" not in after[f"/cases/{call.slug}/ranking"][2]
    # Once hers is in, the counts are back: Bob and Alice on the progress page, Bob's load as a candidate.
    # (A proposal that named her for the case keeps its co-reviewers hidden from her, as before.)
    progress = after[f"/cases/{call.slug}/progress"][2]
    assert BOB in progress and "Alice Adams" in progress and "left out" not in progress
    assert f"{BOB} (UNICEF): match 0.00, 1 of {call.max_load} cases" in after[
        f"/cases/submissions/{scene['other'].id}/reviewers"][2]


def test_a_chair_who_declared_a_conflict_never_sees_the_case_reviews(app, client, auth, call, scene, db):
    services.declare_review_conflict(scene["assignments"][2], "My former team")
    db.session.commit()
    auth.login(scene["carol"].email)
    fetched = fetch_everything(app, client, _values(scene, call))
    _assert_nothing_of_bob(fetched, scene["bob_score"], names_on=_chair_lists(scene, call))


def test_submitter_never_sees_confidential_or_discussion_comments_or_names(app, client, auth, call, scene, chair,
                                                                           db):
    auth.login(scene["submitter"].email)
    _assert_nothing_of_bob(fetch_everything(app, client, _values(scene, call)), scene["bob_score"])
    services.decide_case(scene["case"], Outcome.ACCEPT, "See you in Geneva", chair)
    services.release_decisions(call)
    db.session.commit()
    fetched = fetch_everything(app, client, _values(scene, call))
    own = fetched[f"/cases/submissions/{scene['case'].id}"][2]
    assert BOB_PUBLIC in own and "Accepted" in own
    for address, (endpoint, status, text) in fetched.items():
        for secret in (BOB_SECRET, BOB_DISCUSS, CHAIR_DISCUSS, BOB, "Alice Adams", "Carol Chairreviewer"):
            assert secret not in text, (address, secret)
    mail = next(m for m in app.extensions["mail_outbox"] if m["Subject"].startswith("Decision"))
    body = mail.get_content()
    assert BOB_PUBLIC in body
    for secret in (BOB_SECRET, BOB_DISCUSS, CHAIR_DISCUSS, BOB, "UNICEF"):
        assert secret not in body, secret


def test_the_audit_log_records_review_changes_without_their_texts(call, scene, db):
    logged = json.dumps([e.changes for e in db.session.scalars(sa.select(AuditEvent))])
    from gmgportal.core.audit import REDACTED

    assert '"recommendation"' in logged and '"comments_for_authors"' in logged and REDACTED in logged
    for secret in (BOB_PUBLIC, BOB_SECRET, BOB_DISCUSS, CHAIR_DISCUSS):
        assert secret not in logged, secret


def test_the_command_line_problem_holds_no_review_or_name(runner, call, scene):
    result = runner.invoke(args=["gmg", "assign-reviewers", str(call.id), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    for secret in SECRETS + ("Alice Adams", "Carol Chairreviewer"):  # ids and agency codes only
        assert secret not in result.output, secret
