"""The programme's part of the "What needs you" home page."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import contains_eager

from gmgportal.core.formatting import format_date
from gmgportal.core.home import HomeItem, HomeSection, register_home_section
from gmgportal.core.permissions import Role
from gmgportal.extensions import db
from gmgportal.programme import services
from gmgportal.programme.models import Activity, Milestone, Output, ProgressUpdate, Status

LIMIT = 10


def quiet_activities(agency_id: int, on: dt.date) -> list[Activity]:
    """Open activities of the agency with no update logged in the last SILENT_AFTER_DAYS days."""
    since = dt.datetime.combine(on - dt.timedelta(days=services.SILENT_AFTER_DAYS), dt.time(), dt.timezone.utc)
    recent = sa.select(ProgressUpdate.activity_id).where(ProgressUpdate.created_at >= since)
    return list(db.session.scalars(
        sa.select(Activity).join(Activity.output).options(contains_eager(Activity.output))
        .where(services.involving_agency(agency_id), Activity.status != Status.COMPLETED, Activity.id.not_in(recent))
        .order_by(Output.position, Output.code, Activity.number).limit(LIMIT)))


def milestones_due(on: dt.date, agency_id: int | None = None, overdue_only: bool = False) -> list[Milestone]:
    query = (sa.select(Milestone).join(Milestone.activity).join(Activity.output)
             .options(contains_eager(Milestone.activity).contains_eager(Activity.output))
             .where(Milestone.done_date.is_(None)).order_by(Milestone.due_date).limit(LIMIT))
    if overdue_only:
        query = query.where(Milestone.due_date < on)
    else:
        query = query.where(Milestone.due_date <= on + dt.timedelta(days=services.DUE_SOON_DAYS))
    if agency_id is not None:
        query = query.where(services.involving_agency(agency_id))
    return list(db.session.scalars(query))


def _milestone_item(m: Milestone, on: dt.date) -> HomeItem:
    overdue = m.due_date < on
    return HomeItem(f"{m.activity.ref} {m.title}", url_for("programme.activity", activity_id=m.activity_id),
                    f"{'Was due' if overdue else 'Due'} {format_date(m.due_date)}",
                    tag="overdue" if overdue else "due_soon", tag_text=None if overdue else "Due soon")


def focal_point_section(user) -> HomeSection | None:
    if not user.has_role(Role.FOCAL_POINT):
        return None
    on = services.today()
    items = [_milestone_item(m, on) for m in milestones_due(on, user.agency_id)]
    items += [HomeItem(f"{a.ref} {a.title}", url_for("programme.activity", activity_id=a.id),
                       f"No progress logged in {services.SILENT_AFTER_DAYS} days. Log an update.", tag="no_update",
                       tag_text="No update")
              for a in quiet_activities(user.agency_id, on)]
    return HomeSection(f"Work programme: {user.agency.code}", items, order=10,
                       empty_text="Your agency's activities are up to date and no milestone is due in the next 14 days.",
                       action_text="See the work programme", action_url=url_for("programme.index"))


def chair_section(user) -> HomeSection | None:
    if not user.has_role(Role.CHAIR):
        return None
    on = services.today()
    items = [_milestone_item(m, on) for m in milestones_due(on, overdue_only=True)]
    groups = services.list_groups()
    engagement_url = (url_for("programme.engagement", slug=groups[0].slug) if len(groups) == 1
                      else url_for("programme.index"))
    items += [HomeItem(f"{e.agency.code} has not logged progress for over {services.SILENT_AFTER_DAYS} days",
                       engagement_url,
                       f"Last update {format_date(e.last_update)}" if e.last_update else "No update yet",
                       tag="silent", tag_text="Silent")
              for e in services.agency_engagement(None, on) if e.silent]
    return HomeSection("Work programme: overdue and silent", items, order=5,
                       empty_text="No milestone is overdue and every agency has logged progress lately.",
                       action_text="See the work programme", action_url=url_for("programme.index"))


def register_programme_home(app) -> None:
    register_home_section(app, focal_point_section)
    register_home_section(app, chair_section)
