"""Chapter due dates follow the programme's milestones of the handbook's activity (draft and final).

The outline names, for each chapter, `draft`, `final` or a date of its own. The handbook keeps the
two milestones' titles and dates; the programme's Milestone rows are the source. When a chair moves
(or renames) the "Draft handbook" milestone on the programme's pages, the same flush moves the
handbook's date and every chapter that was due on the old date, so the board, the home pages and
the overdue marks follow. A chapter with a date of its own that differs from the milestone's stays.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from gmgportal.handbook.models import Chapter, Handbook
from gmgportal.programme.models import Activity, Milestone


def programme_milestone_due(activity_ref: str, title: str) -> Optional[dt.date]:
    """The due date of the programme's milestone `title` of activity `activity_ref`, if there is one."""
    for milestone in _by_title(title):
        if milestone.activity.ref == activity_ref:
            return milestone.due_date
    return None


def _by_title(title: str) -> list[Milestone]:
    from gmgportal.extensions import db

    return list(db.session.scalars(sa.select(Milestone).where(Milestone.title == title)))


def _changed(obj, key: str) -> Optional[tuple]:
    history = sa.inspect(obj).attrs[key].history
    if not history.has_changes() or not history.deleted:
        return None
    return history.deleted[0], getattr(obj, key)


@event.listens_for(Session, "before_flush")
def _chapters_follow_milestones(session: Session, flush_context, instances) -> None:
    moved = [m for m in session.dirty if isinstance(m, Milestone)]
    if not moved:
        return
    with session.no_autoflush:
        for milestone in moved:
            _follow(session, milestone)


def _follow(session: Session, milestone: Milestone) -> None:
    due, title = _changed(milestone, "due_date"), _changed(milestone, "title")
    if due is None and title is None:
        return
    activity = milestone.activity or session.get(Activity, milestone.activity_id)
    old_title = title[0] if title else milestone.title
    for handbook in session.scalars(sa.select(Handbook).where(Handbook.activity_ref == activity.ref)):
        for which in ("draft", "final"):
            if getattr(handbook, f"{which}_title") != old_title:
                continue
            if title:
                setattr(handbook, f"{which}_title", milestone.title)
            if due:
                _move_chapters(session, handbook, which, *due)


def _move_chapters(session: Session, handbook: Handbook, which: str, old: dt.date, new: dt.date) -> None:
    following = getattr(handbook, f"{which}_due") or old
    setattr(handbook, f"{which}_due", new)
    for chapter in session.scalars(sa.select(Chapter).where(Chapter.handbook_id == handbook.id,
                                                            Chapter.due_date == following)):
        chapter.due_date = new
