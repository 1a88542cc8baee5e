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
    total_weight = sum(c.weight for c in criteria)
    if not criteria or total_weight <= 0:
        return None
    by_id = {s.criterion_id: s.score for s in review.scores}
    if any(c.id not in by_id for c in criteria):
        return None
    value = sum(c.weight * (by_id[c.id] - c.min_score) / (c.max_score - c.min_score) for c in criteria)
    return round(100 * value / total_weight, 1)


@dataclass
class CaseResult:
    submission: Submission
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
        return self.submission.decision.outcome if self.submission.decision else None


def _cases(call: Call):
    return list(db.session.scalars(
        sa.select(Submission).where(Submission.call_id == call.id, Submission.status == SubmissionStatus.SUBMITTED)
        .options(selectinload(Submission.assignments).selectinload(Assignment.review),
                 selectinload(Submission.assignments).selectinload(Assignment.reviewer),
                 selectinload(Submission.decision), selectinload(Submission.agency))
        .order_by(Submission.id)))


def case_results(call: Call) -> list[CaseResult]:
    criteria = list(call.criteria)
    results = []
    for submission in _cases(call):
        result = CaseResult(submission, assigned=len(submission.assignments))
        for assignment in sorted(submission.assignments, key=lambda a: a.id):
            review = assignment.review
            if review is None or review.state != ReviewState.SUBMITTED:
                continue
            score = weighted_score(review, criteria)
            if score is not None:
                result.scores.append(score)
            if review.recommendation:
                result.recommendations.append(review.recommendation)
        results.append(result)
    return results


RANKING_SORTS = {
    "mean": lambda r: r.mean,
    "spread": lambda r: r.spread,
    "title": lambda r: r.submission.title.lower(),
    "case": lambda r: r.submission.id,
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
        return not self.text or self.text.lower() in row.submission.title.lower()

    def as_args(self) -> dict:
        args = {"disagreement": "1" if self.disagreement else None, "decision": self.decision or None,
                "q": self.text or None}
        return {k: v for k, v in args.items() if v}


def ranking_table(call: Call, rows: list[CaseResult]) -> Table:
    """One row per review (every review of the ranked cases), with the case's mean: for chairs only."""
    criteria = list(call.criteria)
    header = (["Case", "Title", "Mean (0-100)", "Spread", "Disagreement", "Decision", "Reviewer", "Review state",
               "Review score (0-100)"] + [c.name for c in criteria]
              + ["Recommendation", "Comments for the authors", "Confidential comments for the chairs"])
    table = Table(header, title="Ranking")
    for row in rows:
        base = [row.submission.id, row.submission.title, row.mean, row.spread, "yes" if row.disagreement else "no",
                row.outcome.label if row.outcome else ""]
        for assignment in sorted(row.submission.assignments, key=lambda a: a.id):
            review = assignment.review
            cells = [assignment.reviewer.name, review.state.label if review else "Not started",
                     weighted_score(review, criteria) if review else None]
            cells += [review.score_for(c.id) if review else None for c in criteria]
            cells += [review.recommendation.label if review and review.recommendation else "",
                      review.comments_for_authors if review else "", review.confidential_comments if review else ""]
            table.rows.append(base + cells)
        if not row.submission.assignments:
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
