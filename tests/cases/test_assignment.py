"""Conflicts, hand assignment, the automatic assignment (CLI, job, proposal, confirmation, e-mail)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from gmgportal.cases import services
from gmgportal.cases.models import Assignment, AssignmentProposal
from gmgportal.core.errors import Refused
from gmgportal.core.permissions import Role


def test_conflicts_own_agency_author_coauthor_unconfirmed_and_declared(call, db, make_case, make_reviewer, make_user,
                                                                        assign):
    from gmgportal.cases.registration import register_submitter

    register_submitter("outside@uni.example", "Out Side", "University", "long enough password")
    db.session.commit()
    from gmgportal.auth.services import get_user_by_email, set_roles

    unconfirmed = get_user_by_email("outside@uni.example")
    assert not unconfirmed.active
    set_roles(unconfirmed, [Role.REVIEWER])  # an odd case on purpose: the account is still unconfirmed
    db.session.commit()
    case = make_case(coauthors=[("Out Side", "Outside@Uni.example")])
    same_agency = make_reviewer(agency="ILO")
    declared = make_reviewer(agency="IOM")
    services.declare_conflict(declared, case, "My former student")
    db.session.commit()
    for reviewer, words in ((same_agency, "belongs to ILO"), (unconfirmed, "is an author"),
                            (declared, "declared a conflict"), (case.submitter, "is not a reviewer")):
        with pytest.raises(Refused, match=words):
            services.assign_reviewer(case, reviewer)
    fine = make_reviewer(agency="World Bank")
    assert assign(case, fine).reviewer_id == fine.id
    with pytest.raises(Refused, match="already reviews"):
        services.assign_reviewer(case, fine)


def test_hand_assignment_respects_the_cap(call, db, make_case, make_reviewer, assign):
    call.max_load = 1
    db.session.commit()
    reviewer = make_reviewer(agency="IOM")
    assign(make_case(), reviewer)
    with pytest.raises(Refused, match="the most a reviewer may have"):
        services.assign_reviewer(make_case(), reviewer)


def test_chair_assigns_by_hand_and_reviewer_gets_mail(app, client, auth, call, chair, make_case, make_reviewer, db):
    case, reviewer = make_case(), make_reviewer(agency="IOM")
    auth.login(chair.email)
    path = f"/cases/submissions/{case.id}/reviewers"
    response = client.post(path, data={"reviewer_id": reviewer.id, "csrf_token": auth.csrf_token(path)})
    assert response.status_code == 302
    assert app.extensions["mail_outbox"][-1]["To"] == reviewer.email
    conflicted = make_reviewer(agency="ILO")
    response = client.post(path, data={"reviewer_id": conflicted.id, "csrf_token": auth.csrf_token(path)})
    assert response.status_code == 409 and "Conflict of interest" in response.get_data(as_text=True)


@pytest.fixture
def small_call(call, db, make_case, make_reviewer, make_user):
    """6 cases (ILO, IOM, outside), 5 reviewers of different agencies with expertise."""
    outside = make_user("ext@example.org", roles=(), agency=services.external_agency())
    cases = [make_case(title="Mobile phone records and migration", submitter=make_user(agency="ILO")),
             make_case(title="Census round migrant stock", summary="Census questions on country of birth",
                       submitter=make_user(agency="IOM")),
             make_case(title="Remittance surveys", summary="Household surveys of remittances",
                       submitter=outside),
             make_case(title="Social media and migration", summary="Facebook advertising audiences", submitter=make_user(agency="UN/DESA")),
             make_case(title="Satellite imagery of camps", summary="Counting shelters with imagery", submitter=make_user(agency="UN/DESA")),
             make_case(title="Registers linked", summary="Linking population registers", submitter=make_user(agency="UN/DESA"))]
    reviewers = [make_reviewer(agency="IOM", keywords="mobile phone, call detail records"),
                 make_reviewer(agency="ILO", keywords="census, country of birth"),
                 make_reviewer(agency="UNICEF", keywords="household surveys, remittances"),
                 make_reviewer(agency="World Bank", keywords="social media, satellite imagery"),
                 make_reviewer(agency="OECD", keywords="population registers, linking")]
    services.declare_conflict(reviewers[2], cases[3], "co-operated")
    db.session.commit()
    return cases, reviewers


def test_cli_dry_run_prints_the_problem_and_proposal_and_saves_nothing(runner, call, small_call, db):
    cases, reviewers = small_call
    result = runner.invoke(args=["gmg", "assign-reviewers", str(call.id), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"reviewers", "cases", "conflicts", "scores", "assignment"}
    assert data["reviewers"][0].keys() == {"id", "agency", "max_load"}
    assert {c["id"]: c["agency"] for c in data["cases"]}[cases[2].id] is None
    assert {c["id"]: c["agency"] for c in data["cases"]}[cases[0].id] == "ILO"
    assert all(c["k"] == 3 for c in data["cases"])
    assert [reviewers[2].id, cases[3].id] in data["conflicts"]
    assert all(len(s) == 3 for s in data["scores"])
    pairs = data["assignment"]
    assert len(pairs) == 3 * len(cases)
    agency_of = {r["id"]: r["agency"] for r in data["reviewers"]}
    case_agency = {c["id"]: c["agency"] for c in data["cases"]}
    for reviewer_id, case_id in pairs:
        assert [reviewer_id, case_id] not in data["conflicts"]
        assert case_agency[case_id] is None or agency_of[reviewer_id] != case_agency[case_id]
    loads = [sum(1 for r, _ in pairs if r == x["id"]) for x in data["reviewers"]]
    assert max(loads) - min(loads) <= 1
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AssignmentProposal.id))) == 0
    # The best match wins: the mobile phone expert reviews the mobile phone case.
    assert [reviewers[0].id, cases[1].id] in pairs or [reviewers[0].id, cases[0].id] in pairs


def test_cli_unknown_call_is_a_clear_error(runner, call):
    result = runner.invoke(args=["gmg", "assign-reviewers", "9999", "--dry-run", "--json"])
    assert result.exit_code != 0 and "no call with id 9999" in result.output


def test_chair_runs_the_job_sees_the_proposal_and_confirms(app, client, auth, call, chair, small_call, db):
    from gmgportal.jobs import run_job_inline
    from gmgportal.jobs.models import Job

    cases, reviewers = small_call
    auth.login(chair.email)
    manage = f"/cases/{call.slug}/manage"
    response = client.post(f"/cases/{call.slug}/assign", data={"csrf_token": auth.csrf_token(manage)})
    assert response.status_code == 302 and "/jobs/" in response.location
    job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
    run_job_inline(job)
    db.session.expire_all()
    proposal = db.session.scalar(sa.select(AssignmentProposal))
    assert proposal is not None and len(proposal.pairs) == 18
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0  # nothing before confirming
    page = client.get(f"/cases/proposals/{proposal.id}").get_data(as_text=True)
    assert "Total match" in page and reviewers[0].name in page
    path = f"/cases/proposals/{proposal.id}"
    assert client.post(path, data={"csrf_token": auth.csrf_token(path), "action": "confirm"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 18
    mails = [m for m in app.extensions["mail_outbox"] if m["Subject"].startswith("Cases for you to review")]
    assert {m["To"] for m in mails} == {r.email for r in reviewers}
    assert "due by 31 July 2014" in mails[0].get_content()
    # A second confirmation is refused.
    response = client.post(path, data={"csrf_token": auth.csrf_token(path), "action": "confirm"})
    assert response.status_code == 409


def test_only_chairs_start_the_assignment(client, auth, call, make_reviewer):
    reviewer = make_reviewer()
    auth.login(reviewer.email)
    token = auth.csrf_token("/cases/reviews")
    assert client.post(f"/cases/{call.slug}/assign", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/cases/{call.slug}/manage").status_code == 403
