"""The automatic assignment of a call's cases to reviewers: the problem read from the
database, the proposal (a job), and its confirmation by a chair."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import selectinload

from gmgportal.auth.models import User
from gmgportal.cases import matching, services
from gmgportal.cases.models import (Assignment, AssignmentProposal, Call, DataKind, ProposalStatus, ReviewerProfile,
                                    Submission, SubmissionStatus, is_chair)
from gmgportal.core.errors import Refused
from gmgportal.extensions import db
from gmgportal.jobs import Progress, register_task


@dataclass
class CallProblem:
    """The matching problem of a call, with the ids behind the matrix positions."""

    call: Call
    reviewers: list[User]
    cases: list[Submission]
    problem: matching.Problem
    explicit_conflicts: set[tuple[int, int]]  # (user id, case id): declared and authorship

    def to_ids(self, pairs) -> list[tuple[int, int]]:
        return [(self.reviewers[r].id, self.cases[c].id) for r, c in pairs]

    def score(self, r: int, c: int) -> float:
        return round(float(self.problem.scores[r, c]), 4)


def case_text(case: Submission) -> str:
    kinds = " ".join(DataKind(k).label for k in case.data_kinds if k in DataKind._value2member_map_)
    return " ".join([case.title, case.title, kinds, case.summary, case.method, case.innovation, case.gender])


def reviewer_text(profile: Optional[ReviewerProfile]) -> str:
    if profile is None:
        return ""
    return " ".join([profile.keywords] * 2 + [profile.expertise])


def build_problem(call: Call, report: Callable[[float, str], None] = lambda p, m: None) -> CallProblem:
    """Submitted cases that still need reviewers, reviewers with room left, their conflicts and scores."""
    reviewers = services.list_reviewers()
    cases = list(db.session.scalars(
        sa.select(Submission).where(Submission.call_id == call.id, Submission.status == SubmissionStatus.SUBMITTED)
        .options(selectinload(Submission.assignments).selectinload(Assignment.review)).order_by(Submission.id)))
    report(5, f"Read {len(cases)} cases and {len(reviewers)} reviewers")
    profiles = {p.user_id: p for p in db.session.scalars(sa.select(ReviewerProfile))}
    loads = services.current_loads(call.id)
    explicit = services.authorship_pairs(call.id) | services.declared_pairs(call.id)
    scores = matching.similarity([reviewer_text(profiles.get(u.id)) for u in reviewers],
                                 [case_text(c) for c in cases])
    report(15, "Scored every reviewer against every case")
    row_of = {u.id: r for r, u in enumerate(reviewers)}
    col_of = {case.id: c for c, case in enumerate(cases)}
    forbidden = {(row_of[u], col_of[c]) for u, c in explicit if u in row_of and c in col_of}
    forbidden.update((row_of[a.reviewer_id], c) for c, case in enumerate(cases) for a in case.assignments
                     if a.reviewer_id in row_of)
    by_agency: dict[int, list[int]] = {}
    for r, user in enumerate(reviewers):
        by_agency.setdefault(user.agency_id, []).append(r)
    forbidden.update((r, c) for c, case in enumerate(cases) if case.agency_id is not None
                     for r in by_agency.get(case.agency_id, []))
    caps = [max(call.max_load - loads.get(u.id, 0), 0) for u in reviewers]
    # Only the open places: confirmed reviewers stay; one who declared a conflict leaves a place to fill.
    needs = [max(call.reviewers_per_case - len(services.active_assignments(c)), 0) for c in cases]
    problem = matching.Problem(scores, caps, needs, forbidden)
    reviewer_ids = {u.id for u in reviewers}
    case_ids = {c.id for c in cases}
    explicit = {(u, c) for u, c in explicit if u in reviewer_ids and c in case_ids}
    return CallProblem(call, reviewers, cases, problem, explicit)


def problem_json(cp: CallProblem, pairs: list[tuple[int, int]]) -> dict:
    """The problem and the proposal in the shape `flask gmg assign-reviewers --json` prints."""
    scores = [[u.id, case.id, cp.score(r, c)] for r, u in enumerate(cp.reviewers) for c, case in enumerate(cp.cases)
              if cp.problem.scores[r, c] > 0]
    return {
        "reviewers": [{"id": u.id, "agency": u.agency.code if u.agency else None, "max_load": cp.problem.caps[r]}
                      for r, u in enumerate(cp.reviewers)],
        "cases": [{"id": case.id, "agency": case.agency.code if case.agency else None, "k": cp.problem.needs[c]}
                  for c, case in enumerate(cp.cases)],
        "conflicts": sorted([list(p) for p in cp.explicit_conflicts]),
        "scores": scores,
        "assignment": sorted([list(p) for p in cp.to_ids(pairs)]),
    }


def propose(call: Call, report: Callable[[float, str], None] = lambda p, m: None) -> tuple[CallProblem, list]:
    cp = build_problem(call, report)
    pairs = matching.optimal_assignment(cp.problem, report)
    report(90, f"Found {len(pairs)} assignments")
    return cp, pairs


def proposal_rows(cp: CallProblem, pairs) -> tuple[list[list], dict]:
    rows = [[cp.reviewers[r].id, cp.cases[c].id, cp.score(r, c)] for r, c in pairs]
    greedy = matching.greedy_assignment(cp.problem)
    summary = {"total": round(matching.total_score(cp.problem, pairs), 4),
               "greedy_total": round(matching.total_score(cp.problem, greedy), 4),
               "cases": len(cp.cases), "reviewers": len(cp.reviewers), "pairs": len(pairs)}
    return rows, summary


class AssignParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_id: int


def may_assign(user) -> bool:
    return is_chair(user)


@register_task("cases_assign", title="Propose reviewers for the case studies", may_start=may_assign, listed=False,
               description="Matches every submitted case with reviewers by their stated expertise.")
def assign_task(progress: Progress, params: dict):
    parsed = AssignParams.model_validate(params)
    call = db.session.get(Call, parsed.call_id)
    if call is None:
        raise Refused("The call no longer exists.")
    cp, pairs = propose(call, progress.update)
    rows, summary = proposal_rows(cp, pairs)
    user_id = progress.user_id

    def apply() -> None:
        proposal = AssignmentProposal(call_id=call.id, created_by_id=user_id, pairs=rows, summary=summary)
        db.session.add(proposal)
        db.session.flush()
        progress.final_message = (f"Proposal {proposal.id} ready: {len(rows)} assignments, total match "
                                  f"{summary['total']:.2f}. Open the call's reviewer page to confirm it.")

    return apply


def latest_proposal(call: Call) -> Optional[AssignmentProposal]:
    return db.session.scalar(sa.select(AssignmentProposal).where(AssignmentProposal.call_id == call.id)
                             .order_by(AssignmentProposal.id.desc()).limit(1))


def confirm_proposal(proposal: AssignmentProposal) -> list[Assignment]:
    """Create the proposed assignments (each checked again) and e-mail every reviewer their list."""
    from gmgportal.cases.notify import assignment_mail

    if proposal.status != ProposalStatus.PROPOSED:
        raise Refused(f"This proposal was already {proposal.status.value}.")
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(
        User.id.in_({row[0] for row in proposal.pairs})).options(selectinload(User.agency)))}
    cases = {s.id: s for s in db.session.scalars(sa.select(Submission).where(
        Submission.id.in_({row[1] for row in proposal.pairs})).options(selectinload(Submission.assignments)))}
    made = []
    explicit, loads = services.explicit_conflicts(proposal.call_id), services.current_loads(proposal.call_id)
    for reviewer_id, case_id, score in proposal.pairs:
        if reviewer_id not in users or case_id not in cases:
            raise Refused("A reviewer or case of this proposal no longer exists; run the assignment again.")
        made.append(services.assign_reviewer(cases[case_id], users[reviewer_id], score, automatic=True,
                                             explicit=explicit, loads=loads))
    proposal.status = ProposalStatus.CONFIRMED
    db.session.flush()
    by_reviewer: dict[int, list[Assignment]] = {}
    for assignment in made:
        by_reviewer.setdefault(assignment.reviewer_id, []).append(assignment)
    for reviewer_id, assignments in by_reviewer.items():
        assignment_mail(users[reviewer_id], proposal.call, assignments)
    return made


def discard_proposal(proposal: AssignmentProposal) -> None:
    if proposal.status != ProposalStatus.PROPOSED:
        raise Refused(f"This proposal was already {proposal.status.value}.")
    proposal.status = ProposalStatus.DISCARDED
    db.session.flush()


@dataclass
class OpenPlace:
    """A submitted case with fewer active reviewers than the call asks for."""

    case_id: int
    title: str
    active: int
    declined: int  # reviewers who declared a conflict with it

    @property
    def ref(self) -> str:
        return f"Case {self.case_id}"


def open_places(call: Call, limit: int = 50) -> tuple[int, int, list[OpenPlace]]:
    """(cases needing reviewers, places open in all, the first `limit` of those cases): cases a reviewer
    declined come first. Two queries whatever the numbers."""
    from gmgportal.cases.models import Review, ReviewState

    declined = sa.func.sum(sa.case((Review.state == ReviewState.CONFLICT, 1), else_=0))
    active = sa.func.count(Assignment.id) - sa.func.coalesce(declined, 0)
    counts = (sa.select(Assignment.submission_id.label("sid"), active.label("active"),
                        sa.func.coalesce(declined, 0).label("declined"))
              .outerjoin(Review, Review.assignment_id == Assignment.id)
              .group_by(Assignment.submission_id).subquery())
    active_of = sa.func.coalesce(counts.c.active, 0)
    query = (sa.select(Submission.id, Submission.title, active_of.label("active"),
                       sa.func.coalesce(counts.c.declined, 0).label("declined"))
             .outerjoin(counts, counts.c.sid == Submission.id)
             .where(Submission.call_id == call.id, Submission.status == SubmissionStatus.SUBMITTED,
                    active_of < call.reviewers_per_case))
    every = query.subquery()
    cases, places = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(call.reviewers_per_case - every.c.active))).one()
    rows = db.session.execute(query.order_by(sa.func.coalesce(counts.c.declined, 0).desc(), Submission.id)
                              .limit(limit))
    return cases or 0, int(places or 0), [OpenPlace(*row) for row in rows]
