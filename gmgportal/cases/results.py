"""Results of the review: weighted scores, ranking, disagreement, progress per reviewer, exports.

Every function reads a fixed number of queries, however many cases and reviews there are.
"""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from pydantic import Field, field_validator
from sqlalchemy.orm import selectinload

from gmgportal.auth.models import User
from gmgportal.cases.models import (Assignment, Call, Criterion, Outcome, Recommendation, Review, ReviewState,
                                    Submission, SubmissionStatus)
from gmgportal.core.filters import QueryFilters
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
    """A case's results, aggregated in the database. `hidden`: the viewer reviews this case and has not
    submitted their review, so its mean, spread and disagreement are not shown to them (None / False)."""

    case: CaseRow
    assigned: int = 0
    conflicts: int = 0
    done: int = 0
    mean: Optional[float] = None
    spread: Optional[float] = None
    disagreement: bool = False
    hidden: bool = False

    @property
    def active(self) -> int:
        """Reviewers who have not declined the case (declared a conflict)."""
        return self.assigned - self.conflicts

    @property
    def outcome(self) -> Optional[Outcome]:
        return self.case.outcome


def score_from(by_criterion: dict[int, int], criteria: list[Criterion]) -> Optional[float]:
    total_weight = sum(c.weight for c in criteria)
    if not criteria or total_weight <= 0 or any(c.id not in by_criterion for c in criteria):
        return None
    value = sum(c.weight * (by_criterion[c.id] - c.min_score) / (c.max_score - c.min_score) for c in criteria)
    return round(100 * value / total_weight, 1)


def _per_case(call: Call, hidden: set[int]):
    """One row per case with reviews: counts, mean and spread of the submitted reviews' weighted scores
    (0–100; a review counts once every criterion is scored), and whether reviewers disagree."""
    from gmgportal.cases.models import ReviewScore

    criteria = list(call.criteria)
    total_weight = sum(c.weight for c in criteria) or None
    fraction = (Criterion.weight * (ReviewScore.score - Criterion.min_score)
                / sa.func.nullif(Criterion.max_score - Criterion.min_score, 0))
    weighted = (sa.select(ReviewScore.review_id.label("review_id"), sa.func.sum(fraction).label("value"),
                          sa.func.count(ReviewScore.id).label("scored"))
                .join(Criterion, Criterion.id == ReviewScore.criterion_id)
                .where(Criterion.call_id == call.id).group_by(ReviewScore.review_id).subquery())
    submitted = Review.state == ReviewState.SUBMITTED
    score = sa.case((sa.and_(submitted, weighted.c.scored == len(criteria)),
                     100.0 * weighted.c.value / total_weight if total_weight else sa.null()))
    per_review = (sa.select(Assignment.submission_id.label("sid"), Review.state.label("state"),
                            sa.case((submitted, Review.recommendation)).label("recommendation"), score.label("score"))
                  .join(Submission, Submission.id == Assignment.submission_id)
                  .outerjoin(Review, Review.assignment_id == Assignment.id)
                  .outerjoin(weighted, weighted.c.review_id == Review.id)
                  .where(Submission.call_id == call.id).subquery())
    r = per_review.c

    def count_if(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    done = sa.func.count(r.score)
    spread = sa.case((done > 1, sa.func.max(r.score) - sa.func.min(r.score)))
    split = sa.and_(count_if(r.recommendation == Recommendation.ACCEPT) > 0,
                    count_if(r.recommendation == Recommendation.REJECT) > 0)
    disagree = sa.or_(split, spread >= DISAGREEMENT_POINTS)
    visible = sa.not_(r.sid.in_(hidden)) if hidden else sa.true()
    return (sa.select(r.sid.label("sid"), sa.func.count().label("assigned"),
                      count_if(r.state == ReviewState.CONFLICT).label("conflicts"), done.label("done"),
                      sa.case((visible, sa.func.avg(r.score))).label("mean"),
                      sa.case((visible, spread)).label("spread"),
                      sa.case((sa.and_(visible, disagree), 1), else_=0).label("disagreement"))
            .group_by(r.sid).subquery())


RANKING_SORTS = ("mean", "spread", "title", "case", "done", "decision")


def _ranked(call: Call, viewer=None):
    """The ranking's select (every submitted case, one row each) and its sortable columns."""
    from gmgportal.auth.models import Agency
    from gmgportal.cases.models import Decision
    from gmgportal.cases.services import pending_case_ids

    hidden = pending_case_ids(viewer, call.id) if viewer is not None else set()
    agg = _per_case(call, hidden)
    query = (sa.select(Submission.id, Submission.title, Agency.code, Decision.outcome, Decision.released_at,
                       sa.func.coalesce(agg.c.assigned, 0), sa.func.coalesce(agg.c.conflicts, 0),
                       sa.func.coalesce(agg.c.done, 0), agg.c.mean, agg.c.spread,
                       sa.func.coalesce(agg.c.disagreement, 0))
             .outerjoin(Agency, Agency.id == Submission.agency_id)
             .outerjoin(Decision, Decision.submission_id == Submission.id)
             .outerjoin(agg, agg.c.sid == Submission.id)
             .where(Submission.call_id == call.id, Submission.status == SubmissionStatus.SUBMITTED))
    columns = {"mean": agg.c.mean, "spread": agg.c.spread, "title": sa.func.lower(Submission.title),
               "case": Submission.id, "done": sa.func.coalesce(agg.c.done, 0), "decision": Decision.outcome}
    return query, columns, agg, hidden


def _result(row, hidden: set[int]) -> CaseResult:
    sid, title, code, outcome, released, assigned, conflicts, done, mean, spread, disagreement = row
    return CaseResult(CaseRow(sid, title, code, outcome, released), int(assigned), int(conflicts), int(done),
                      None if mean is None else round(float(mean), 1),
                      None if spread is None else round(float(spread), 1), bool(disagreement), sid in hidden)


def case_results(call: Call, viewer=None) -> list[CaseResult]:
    """Every submitted case with its results, in case order: a fixed number of queries whatever the numbers
    (the weighting, means and spreads are computed in the database)."""
    query, _, _, hidden = _ranked(call, viewer)
    return [_result(row, hidden) for row in db.session.execute(query.order_by(Submission.id))]


def ranked_results(call: Call, filters: "RankingFilters", sort, viewer=None, page: int | None = None,
                   per_page: int = 50) -> "Page":
    """The ranking filtered, sorted (None last either way) and, with `page`, cut to one page: all in SQL."""
    query, columns, agg, hidden = _ranked(call, viewer)
    query = filters.where(query, agg)
    column = columns[sort.key]
    query = query.order_by(sa.nulls_last(column.desc() if sort.descending else column.asc()), Submission.id)
    if page is None:
        rows = [_result(row, hidden) for row in db.session.execute(query)]
        return Page(rows, 1, max(len(rows), 1), len(rows))
    return _page_of(query, hidden, page, per_page)


def _page_of(query, hidden: set[int], page: int, per_page: int) -> "Page":
    """One page of a sorted `_ranked` query; the total comes with the page (a window count), so the
    aggregation runs once (twice only past the last page, which shows the last page)."""
    counted = query.add_columns(sa.func.count().over().label("total"))
    page = max(page, 1)
    rows = db.session.execute(counted.limit(per_page).offset((page - 1) * per_page)).all()
    if not rows and page > 1:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        page = max(1, -(-total // per_page))
        rows = db.session.execute(counted.limit(per_page).offset((page - 1) * per_page)).all()
    total = rows[0][-1] if rows else 0
    return Page([_result(row[:-1], hidden) for row in rows], page, per_page, total)


class ManageFilters(QueryFilters):
    """The manage page's filters: words of the title, and only the cases short of reviewers."""

    q: str = Field("", max_length=100)
    needs: bool = False


def managed_cases(call: Call, filters: ManageFilters, viewer=None, per_page: int = 50) -> "Page":
    """One page of the call's submitted cases in case order, with their reviewer counts: a fixed number of
    queries however many cases (the chairs' manage page)."""
    query, _, agg, hidden = _ranked(call, viewer)
    if filters.q:
        query = query.where(sa.func.lower(Submission.title).contains(filters.q.lower(), autoescape=True))
    if filters.needs:
        active = sa.func.coalesce(agg.c.assigned, 0) - sa.func.coalesce(agg.c.conflicts, 0)
        query = query.where(active < call.reviewers_per_case)
    return _page_of(query.order_by(Submission.id), hidden, filters.page, per_page)


def accepted_count(call: Call) -> int:
    from gmgportal.cases.models import Decision

    return db.session.scalar(sa.select(sa.func.count(Decision.id)).join(Decision.submission).where(
        Submission.call_id == call.id, Submission.status == SubmissionStatus.SUBMITTED,
        Decision.outcome == Outcome.ACCEPT)) or 0


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


class RankingFilters(QueryFilters):
    """The ranking's filters (`?q=census&decision=undecided&disagreement=1&page=2`); a value the page
    cannot use is a 400 page that names it, as on every filtered page."""

    q: str = Field("", max_length=100)
    decision: str = ""  # "", "undecided", or an Outcome value
    disagreement: bool = False

    @field_validator("decision")
    @classmethod
    def _known_decision(cls, value: str) -> str:
        allowed = ("undecided", *(o.value for o in Outcome))
        if value and value not in allowed:
            raise ValueError(f"the decision must be one of {', '.join(allowed)}")
        return value

    def where(self, query, agg):
        """`query` (see `_ranked`) narrowed to the rows these filters keep."""
        from gmgportal.cases.models import Decision

        if self.disagreement:
            query = query.where(agg.c.disagreement == 1)
        if self.decision == "undecided":
            query = query.where(Decision.outcome.is_(None))
        elif self.decision:
            query = query.where(Decision.outcome == Outcome(self.decision))
        if self.q:
            query = query.where(sa.func.lower(Submission.title).contains(self.q.lower(), autoescape=True))
        return query


HIDDEN_NOTE = "Hidden: you review this case and have not submitted your review"


def _review_rows(call: Call, case_ids: set[int]) -> dict[int, list[tuple]]:
    """Every review of the call as plain columns, grouped by case, and each review's scores: two queries."""
    from gmgportal.cases.models import ReviewScore

    scores: dict[int, dict[int, int]] = {}
    for review_id, criterion_id, value in db.session.execute(
            sa.select(ReviewScore.review_id, ReviewScore.criterion_id, ReviewScore.score)
            .join(Criterion, Criterion.id == ReviewScore.criterion_id).where(Criterion.call_id == call.id)):
        scores.setdefault(review_id, {})[criterion_id] = value
    by_case: dict[int, list[tuple]] = {}
    for row in db.session.execute(
            sa.select(Assignment.submission_id, User.name, Review.id, Review.state, Review.recommendation,
                      Review.comments_for_authors, Review.confidential_comments)
            .join(User, User.id == Assignment.reviewer_id).join(Submission, Submission.id == Assignment.submission_id)
            .outerjoin(Review, Review.assignment_id == Assignment.id)
            .where(Submission.call_id == call.id).order_by(Assignment.id)):
        if row[0] in case_ids:
            by_case.setdefault(row[0], []).append((*row[1:], scores.get(row[2], {})))
    return by_case


def ranking_table(call: Call, rows: list[CaseResult]) -> Table:
    """One row per review (every review of the ranked cases), with the case's mean: for chairs only. A case
    the viewing chair reviews and has not submitted a review of (`hidden`) gets one row without reviews."""
    criteria = list(call.criteria)
    header = (["Case", "Title", "Mean (0-100)", "Spread", "Disagreement", "Decision", "Reviewer", "Review state",
               "Review score (0-100)"] + [c.name for c in criteria]
              + ["Recommendation", "Comments for the authors", "Confidential comments for the chairs"])
    table = Table(header, title="Ranking")
    reviews = _review_rows(call, {r.case.id for r in rows if not r.hidden})
    for row in rows:
        base = [row.case.id, row.case.title, row.mean, row.spread, "yes" if row.disagreement else "no",
                row.outcome.label if row.outcome else ""]
        if row.hidden:
            table.rows.append(base + [HIDDEN_NOTE] + [""] * (len(header) - len(base) - 1))
            continue
        for name, review_id, state, recommendation, public, confidential, by_criterion in reviews.get(row.case.id, []):
            cells = [name, state.label if state else "Not started",
                     score_from(by_criterion, criteria) if review_id else None]
            cells += [by_criterion.get(c.id) for c in criteria]
            cells += [recommendation.label if recommendation else "", public or "", confidential or ""]
            table.rows.append(base + cells)
        if row.case.id not in reviews:
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


def reviewer_progress(call: Call, reviewer_id: int | None = None, viewer=None) -> list[ReviewerProgress]:
    """Assigned, done, conflicts and mean score per reviewer. For a `viewer` who reviews some cases and has
    not submitted those reviews, the others' assignments to those cases stay out of every figure (counts
    and means): counts beside names would tell who else reviews them (a reviewer whose count exceeds the
    cases the viewer can see them on is on one of the viewer's)."""
    from gmgportal.cases.services import pending_case_ids

    criteria = list(call.criteria)
    hidden = pending_case_ids(viewer, call.id) if viewer is not None else set()
    query = (sa.select(Assignment).join(Assignment.submission).where(Submission.call_id == call.id)
             .options(selectinload(Assignment.review), selectinload(Assignment.reviewer)).order_by(Assignment.id))
    if reviewer_id is not None:
        query = query.where(Assignment.reviewer_id == reviewer_id)
    rows: dict[int, ReviewerProgress] = {}
    for assignment in db.session.scalars(query):
        if assignment.submission_id in hidden and assignment.reviewer_id != viewer.id:
            continue
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
