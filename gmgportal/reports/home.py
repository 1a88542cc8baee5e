"""The reports' part of the chairs' "What needs you" page: each group's next report period and open drafts."""
from __future__ import annotations

from flask import url_for

from gmgportal.core import clock
from gmgportal.core.formatting import format_date
from gmgportal.core.home import HomeItem, HomeSection, register_home_section
from gmgportal.programme import queries as programme
from gmgportal.reports import services
from gmgportal.reports.models import can_manage_reports


def chair_reports_section(user) -> HomeSection | None:
    if not can_manage_reports(user):
        return None
    today = clock.today()
    items, frozen = [], services.last_frozen_per_group()
    for group in programme.list_groups():
        last = frozen.get(group.id)
        period = services.next_period(last, today)
        items.append(HomeItem(
            f"Next {group.short_name} report: from {format_date(period.start)}",
            url_for("reports.generate", group=group.slug),
            f"Last frozen: report {last.number}, ending {format_date(last.period_end)}" if last
            else "No report frozen yet"))
    items += [HomeItem(f"{r.name}, {format_date(r.period_end)}", url_for("reports.show", report_id=r.id),
                       f"Generated {format_date(r.created_at)}", tag="not_started", tag_text="Draft")
              for r in services.list_drafts()]
    return HomeSection("Progress reports", items, order=8, empty_text="No working group yet.",
                       action_text="See the progress reports", action_url=url_for("reports.index"))


def register_reports_home(app) -> None:
    register_home_section(app, chair_reports_section)
