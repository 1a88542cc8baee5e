"""The call for case studies in figures as of a date, written once for the progress report of the call's
activity and for that activity's page.

As of a date means by the end of that day in the group's time zone: a case counts once it was first
submitted by then and as long as it was not withdrawn by then, a review once it was submitted by then, a
decision once it was taken by then; a decision's outcome is its latest (it changes only until it is
released). A case withdrawn in July is still counted in a report ending in June.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

import sqlalchemy as sa

from gmgportal.cases.models import (Assignment, Call, Decision, Outcome, Review, ReviewState, Submission,
                                    SubmissionStatus, SubmissionVersion)
from gmgportal.core import clock
from gmgportal.core.formatting import format_date
from gmgportal.extensions import db


@dataclass(frozen=True)
class CallFigures:
    slug: str
    title: str
    as_of: dt.date
    opens_on: dt.date
    closes_on: dt.date
    submitted: int
    reviews_assigned: int
    reviews_done: int
    decided: int
    accepted: int

    @property
    def window(self) -> str:
        """Where the call stood on the date: "open until 30 June 2014", "closed on 30 June 2014"."""
        if self.as_of < self.opens_on:
            return f"opens on {format_date(self.opens_on)}"
        if self.as_of <= self.closes_on:
            return f"open until {format_date(self.closes_on)}"
        return f"closed on {format_date(self.closes_on)}"

    @property
    def sentence(self) -> str:
        """The figures in one line of Markdown, as the report and the activity page show them."""
        parts = [f"{self.submitted} case{'' if self.submitted == 1 else 's'} submitted"]
        if self.reviews_assigned:
            reviews = "review" if self.reviews_assigned == 1 else "reviews"
            parts.append(f"{self.reviews_done} of {self.reviews_assigned} {reviews} done")
        if self.decided:
            parts.append(f"{self.decided} decided, {self.accepted} accepted")
        label = f"*{markdown_escape(self.title)}, as of {format_date(self.as_of)} ({self.window}):*"
        return f"{label} " + "; ".join(parts) + "."


def markdown_escape(text: str) -> str:
    """A title as literal text inside Markdown emphasis."""
    return "".join("\\" + c if c in "\\`*_[]" else c for c in text)


def _local_date(value: dt.datetime) -> dt.date:
    return value.astimezone(clock.group_zone()).date()


def call_figures(call: Call, as_of: dt.date) -> CallFigures:
    """The call's submissions, reviews and decisions as of the end of `as_of`, in one query."""
    end = clock.end_of_day(as_of)
    first_submitted = (sa.select(sa.func.min(SubmissionVersion.submitted_at))
                       .where(SubmissionVersion.submission_id == Submission.id).scalar_subquery())
    # A case withdrawn before withdrawals were dated (withdrawn_at NULL) counts as withdrawn at any date:
    # we cannot tell when it left, so it is left out of every date's figures, as before.
    not_withdrawn_yet = sa.or_(Submission.status == SubmissionStatus.SUBMITTED,
                               sa.and_(Submission.status == SubmissionStatus.WITHDRAWN,
                                       Submission.withdrawn_at.is_not(None), Submission.withdrawn_at >= end))
    counted = (sa.select(Submission.id)
               .where(Submission.call_id == call.id, not_withdrawn_yet,
                      sa.func.coalesce(first_submitted, Submission.submitted_at) < end))
    assigned = (sa.select(Assignment.id)
                .where(Assignment.submission_id.in_(counted), Assignment.created_at < end).subquery())
    decided = (sa.select(Decision.outcome)
               .where(Decision.submission_id.in_(counted), Decision.created_at < end).subquery())
    row = db.session.execute(sa.select(
        sa.select(sa.func.count()).select_from(counted.subquery()).scalar_subquery().label("submitted"),
        sa.select(sa.func.count()).select_from(assigned).scalar_subquery().label("assigned"),
        sa.select(sa.func.count()).select_from(Review)
        .where(Review.assignment_id.in_(sa.select(assigned.c.id)), Review.state == ReviewState.SUBMITTED,
               Review.submitted_at < end).scalar_subquery().label("done"),
        sa.select(sa.func.count()).select_from(decided).scalar_subquery().label("decided"),
        sa.select(sa.func.count()).select_from(decided).where(decided.c.outcome == Outcome.ACCEPT)
        .scalar_subquery().label("accepted"),
    )).one()
    return CallFigures(call.slug, call.title, as_of, _local_date(call.opens_at), _local_date(call.closes_at),
                       row.submitted, row.assigned, row.done, row.decided, row.accepted)


def calls_of_activities(refs: Iterable[str]) -> dict[str, list[Call]]:
    """The calls that belong to the activities `refs` ("1.2 (3)"), by activity, in one query."""
    wanted = set(refs)
    result: dict[str, list[Call]] = {}
    for call in db.session.scalars(sa.select(Call).where(Call.activity_ref != "").order_by(Call.opens_at, Call.id)):
        if call.activity_ref in wanted:
            result.setdefault(call.activity_ref, []).append(call)
    return result


def activity_call_figures(activity, as_of: Optional[dt.date] = None) -> list[CallFigures]:
    """For the programme's activity page: the figures of the calls that belong to the activity, as of today."""
    on = as_of or clock.today()
    return [call_figures(call, on) for call in calls_of_activities([activity.ref]).get(activity.ref, [])]
