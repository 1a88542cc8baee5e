"""The activity table with latest progress, as CSV and XLSX (exactly the filtered rows)."""
from __future__ import annotations

import datetime as dt

from gmgportal.core.markdown import markdown_to_text
from gmgportal.core.spreadsheets import Table
from gmgportal.extensions import db
from gmgportal.programme import queries
from gmgportal.programme.models import WorkingGroup

HEADER = ["Output", "Activity", "Title", "Lead agency", "Partner agencies", "Cross-cutting themes", "Start date",
          "Due date", "Status", "Percent complete", "Latest update as of", "Latest update by", "Latest update",
          "Next milestone", "Next milestone due"]


def activity_table(group: WorkingGroup, filters: queries.ActivityFilters, as_of: dt.date) -> Table:
    activities = list(db.session.scalars(queries.activity_query(group, filters)))
    ids = [a.id for a in activities]
    latest, upcoming = queries.latest_updates(ids, as_of), queries.next_milestones(ids, as_of)
    rows = []
    for a in activities:
        update, milestone = latest.get(a.id), upcoming.get(a.id)
        rows.append([
            a.output.code, a.ref, a.title, a.lead_agency.code, ", ".join(p.code for p in a.partners),
            ", ".join(t.name for t in a.themes), a.start_date, a.due_date, a.status.label, a.percent_complete,
            update.as_of if update else None, update.agency.code if update else "",
            markdown_to_text(update.narrative, 500) if update else "",
            milestone.title if milestone else "", milestone.due_date if milestone else None,
        ])
    return Table(HEADER, rows, title="Activities")
