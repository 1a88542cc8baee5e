"""Results of the review: weighted scores, ranking, disagreement, progress per reviewer, exports.

Every function reads a fixed number of queries, however many cases and reviews there are.
"""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from gmgportal.auth.models import User
from gmgportal.cases.models import (Assignment, Call, Criterion, Outcome, Recommendation, Review, ReviewState,
                                    Submission, SubmissionStatus)
from gmgportal.core.spreadsheets import Table
from gmgportal.extensions import db

DISAGREEMENT_POINTS = 25.0  # a spread of 25 points out of 100, or both accept and reject recommended


def weighted_score(review: Review, criteria: list[Criterion]) -> Optional[float]:
    """The review's scores weighted and scaled to 0–100 (each criterion's range mapped to 0–1)."""
    return score_from({s.criterion_id: s.score for s in review.scores}, criteria)


@dataclass
class CaseRow:
    """What the ranking shows of a case (read as plain columns: thousands of cases stay fast)."""

    id: int
    title: str
    agency_code: Optional[str]
    outcome: Optional[Outcome]
    released_at: Optional[dt.datetime]

    @property
    def ref(self) -> str:
        return f"Case {self.id}"


@dataclass
class CaseResult:
    case: CaseRow
    scores: list[float] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    assigned: int = 0

    @property
    def mean(self) -> Optional[float]:
        return round(statistics.fmean(self.scores), 1) if self.scores else None

    @property
    def spread(self) -> Optional[float]:
        return round(max(self.scores) - min(self.scores), 1) if len(self.scores) > 1 else None

    @property
    def disagreement(self) -> bool:
        split = Recommendation.ACCEPT in self.recommendations and Recommendation.REJECT in self.recommendations
        return split or (self.spread is not None and self.spread >= DISAGREEMENT_POINTS)

    @property
    def done(self) -> int:
        return len(self.scores)

    @property
    def outcome(self) -> Optional[Outcome]:
        return self.case.outcome


def _cases(call: Call) -> list[Submission]:
    """Submitted cases with every review and reviewer loaded (for the export of every review)."""
    return list(db.session.scalars(
        sa.select(Submission).where(Submission.call_id == call.id, Submission.status == SubmissionStatus.SUBMITTED)
        .options(selectinload(Submission.assignments).selectinload(Assignment.review).selectinload(Review.scores),
                 selectinload(Submission.assignments).selectinload(Assignment.reviewer))
        .order_by(Submission.id)))


def score_from(by_criterion: dict[int, int], criteria: list[Criterion]) -> Optional[float]:
    total_weight = sum(c.weight for c in criteria)
    if not criteria or total_weight <= 0 or any(c.id not in by_criterion for c in criteria):
        return None
    value = sum(c.weight * (by_criterion[c.id] - c.min_score) / (c.max_score - c.min_score) for c in criteria)
    return round(100 * value / total_weight, 1)


def case_results(call: Call) -> list[CaseResult]:
    """Every submitted case with its submitted reviews' weighted scores: two queries whatever the numbers
    (the weighting is summed in the database, one row per review)."""
    from gmgportal.auth.models import Agency
    from gmgportal.cases.models import Decision, ReviewScore

    criteria = list(call.criteria)
    total_weight = sum(c.weight for c in criteria)
    cases = db.session.execute(
        sa.select(Submission.id, Submission.title, Agency.code, Decision.outcome, Decision.released_at)
        .outerjoin(Agency, Agency.id == Submission.agency_id).outerjoin(Decision, Decision.submission_id == Submission.id)
        .where(Submission.call_id == call.id, Submission.status == SubmissionStatus.SUBMITTED).order_by(Submission.id))
    results = {row[0]: CaseResult(CaseRow(*row)) for row in cases}
    fraction = (Criterion.weight * (ReviewScore.score - Criterion.min_score)
                / sa.func.nullif(Criterion.max_score - Criterion.min_score, 0))
    weighted = (sa.select(ReviewScore.review_id.label("review_id"), sa.func.sum(fraction).label("value"),
                          sa.func.count(ReviewScore.id).label("scored"))
                .join(Criterion, Criterion.id == ReviewScore.criterion_id)
                .where(Criterion.call_id == call.id).group_by(ReviewScore.review_id).subquery())
    reviews = db.session.execute(
        sa.select(Assignment.submission_id, Review.state, Review.recommendation, weighted.c.value, weighted.c.scored)
        .join(Submission, Submission.id == Assignment.submission_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .outerjoin(weighted, weighted.c.review_id == Review.id)
        .where(Submission.call_id == call.id).order_by(Assignment.id))
    for submission_id, state, recommendation, value, scored in reviews:
        result = results.get(submission_id)
        if result is None:
            continue
        result.assigned += 1
        if state != ReviewState.SUBMITTED:
            continue
        if value is not None and scored == len(criteria) and total_weight > 0:
            result.scores.append(round(100 * float(value) / total_weight, 1))
        if recommendation:
            result.recommendations.append(recommendation)
    return list(results.values())


@dataclass
class Page:
    """One page of an already sorted list, with what the pagination macro needs."""

    items: list
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, rows: list, page: int, per_page: int = 50) -> "Page":
        pages = max(1, -(-len(rows) // per_page))
        page = min(max(page, 1), pages)
        return cls(rows[(page - 1) * per_page: page * per_page], page, per_page, len(rows))

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


RANKING_SORTS = {
    "mean": lambda r: r.mean,
    "spread": lambda r: r.spread,
    "title": lambda r: r.case.title.lower(),
    "case": lambda r: r.case.id,
    "done": lambda r: r.done,
    "decision": lambda r: r.outcome.value if r.outcome else None,
}


@dataclass
class RankingFilters:
    disagreement: bool = False
    decision: str = ""  # "", "undecided", or an Outcome value
    text: str = ""

    @classmethod
    def parse(cls, args) -> "RankingFilters":
        decision = args.get("decision", "")
        if decision not in {"", "undecided", *(o.value for o in Outcome)}:
            decision = ""
        return cls(args.get("disagreement") == "1", decision, args.get("q", "").strip()[:100])

    def keep(self, row: CaseResult) -> bool:
        if self.disagreement and not row.disagreement:
            return False
        if self.decision == "undecided" and row.outcome is not None:
            return False
        if self.decision not in ("", "undecided") and (row.outcome is None or row.outcome.value != self.decision):
            return False
        return not self.text or self.text.lower() in row.case.title.lower()

    def as_args(self) -> dict:
        args = {"disagreement": "1" if self.disagreement else None, "decision": self.decision or None,
                "q": self.text or None}
        return {k: v for k, v in args.items() if v}


def ranking_table(call: Call, rows: list[CaseResult]) -> Table:
    """One row per review (every review of the ranked cases), with the case's mean: for chairs only."""
    criteria = list(call.criteria)
    full = {s.id: s for s in _cases(call)}
    header = (["Case", "Title", "Mean (0-100)", "Spread", "Disagreement", "Decision", "Reviewer", "Review state",
               "Review score (0-100)"] + [c.name for c in criteria]
              + ["Recommendation", "Comments for the authors", "Confidential comments for the chairs"])
    table = Table(header, title="Ranking")
    for row in rows:
        submission = full[row.case.id]
        base = [row.case.id, row.case.title, row.mean, row.spread, "yes" if row.disagreement else "no",
                row.outcome.label if row.outcome else ""]
        for assignment in sorted(submission.assignments, key=lambda a: a.id):
            review = assignment.review
            cells = [assignment.reviewer.name, review.state.label if review else "Not started",
                     weighted_score(review, criteria) if review else None]
            cells += [review.score_for(c.id) if review else None for c in criteria]
            cells += [review.recommendation.label if review and review.recommendation else "",
                      review.comments_for_authors if review else "", review.confidential_comments if review else ""]
            table.rows.append(base + cells)
        if not submission.assignments:
            table.rows.append(base + [""] * (len(header) - len(base)))
    return table


@dataclass
class ReviewerProgress:
    reviewer: User
    assigned: int = 0
    done: int = 0
    conflicts: int = 0
    scores: list[float] = field(default_factory=list)

    def late(self, due: Optional[dt.date], on: dt.date) -> int:
        return self.assigned - self.done - self.conflicts if due is not None and on > due else 0

    @property
    def open(self) -> int:
        return self.assigned - self.done - self.conflicts

    @property
    def mean(self) -> Optional[float]:
        return round(statistics.fmean(self.scores), 1) if self.scores else None


def reviewer_progress(call: Call, reviewer_id: int | None = None) -> list[ReviewerProgress]:
    criteria = list(call.criteria)
    query = (sa.select(Assignment).join(Assignment.submission).where(Submission.call_id == call.id)
             .options(selectinload(Assignment.review), selectinload(Assignment.reviewer)).order_by(Assignment.id))
    if reviewer_id is not None:
        query = query.where(Assignment.reviewer_id == reviewer_id)
    rows: dict[int, ReviewerProgress] = {}
    for assignment in db.session.scalars(query):
        row = rows.setdefault(assignment.reviewer_id, ReviewerProgress(assignment.reviewer))
        row.assigned += 1
        review = assignment.review
        if review is not None and review.state == ReviewState.SUBMITTED:
            row.done += 1
            score = weighted_score(review, criteria)
            if score is not None:
                row.scores.append(score)
        elif review is not None and review.state == ReviewState.CONFLICT:
            row.conflicts += 1
    return sorted(rows.values(), key=lambda r: (r.reviewer.name, r.reviewer.id))
