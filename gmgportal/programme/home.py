"""The programme's part of the "What needs you" home page."""
from __future__ import annotations

import datetime as dt

from flask import url_for

from gmgportal.core import clock
from gmgportal.core.formatting import format_date
from gmgportal.core.home import HomeItem, HomeSection, due_phrase, register_home_section
from gmgportal.core.permissions import Role
from gmgportal.programme import queries
from gmgportal.programme.models import Milestone


def _milestone_item(m: Milestone, on: dt.date) -> HomeItem:
    overdue = m.due_date < on
    return HomeItem(f"{m.activity.ref} {m.title}", url_for("programme.activity", activity_id=m.activity_id),
                    due_phrase(m.due_date, overdue),
                    tag="overdue" if overdue else "due_soon", tag_text=None if overdue else "Due soon")


def focal_point_section(user) -> HomeSection | None:
    if not user.has_role(Role.FOCAL_POINT):
        return None
    on = clock.today()
    soon = on + dt.timedelta(days=queries.DUE_SOON_DAYS + 1)
    items = [_milestone_item(m, on) for m in queries.milestones_due(None, on, before=soon, agency_id=user.agency_id,
                                                                    limit=queries.HOME_LIMIT)]
    items += [HomeItem(f"{a.ref} {a.title}", url_for("programme.activity", activity_id=a.id),
                       f"No progress logged in {queries.SILENT_AFTER_DAYS} days. Log an update.", tag="no_update",
                       tag_text="No update")
              for a in queries.quiet_activities(user.agency_id, on)]
    return HomeSection(f"Work programme: {user.agency.code}", items, order=10,
                       empty_text="Your agency's activities are up to date and no milestone is due in the next 14 days.",
                       action_text="See the work programme", action_url=url_for("programme.index"))


def chair_section(user) -> HomeSection | None:
    if not user.has_role(Role.CHAIR):
        return None
    on = clock.today()
    items = [_milestone_item(m, on) for m in queries.overdue_milestones(None, on, limit=queries.HOME_LIMIT)]
    groups = queries.list_groups()
    engagement_url = (url_for("programme.engagement", slug=groups[0].slug) if len(groups) == 1
                      else url_for("programme.index"))
    items += [HomeItem(f"{e.agency.code} has not logged progress for over {queries.SILENT_AFTER_DAYS} days",
                       engagement_url,
                       f"Last update {format_date(e.last_update)}" if e.last_update else "No update yet",
                       tag="silent", tag_text="Silent")
              for e in queries.agency_engagement(None, on) if e.silent]
    return HomeSection("Work programme: overdue and silent", items, order=5,
                       empty_text="No milestone is overdue and every agency has logged progress lately.",
                       action_text="See the work programme", action_url=url_for("programme.index"))


def register_programme_home(app) -> None:
    register_home_section(app, focal_point_section)
    register_home_section(app, chair_section)
