"""The activity table with latest progress, as CSV and XLSX (exactly the filtered rows)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

from gmgportal.core.markdown import markdown_to_text
from gmgportal.extensions import db
from gmgportal.programme import services
from gmgportal.programme.models import WorkingGroup

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["Output", "Activity", "Title", "Lead agency", "Partner agencies", "Cross-cutting themes", "Start date",
          "Due date", "Status", "Percent complete", "Latest update as of", "Latest update by", "Latest update",
          "Next milestone", "Next milestone due"]


@dataclass
class Table:
    header: list[str]
    rows: list[list]


def activity_table(group: WorkingGroup, filters: services.ActivityFilters) -> Table:
    activities = list(db.session.scalars(services.activity_query(group, filters)))
    ids = [a.id for a in activities]
    latest, upcoming = services.latest_updates(ids), services.next_milestones(ids)
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
    return Table(HEADER, rows)


def _cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow(["" if v is None else (v.isoformat() if hasattr(v, "isoformat") else _cell(v)) for v in row])
    return "\ufeff" + out.getvalue()  # Excel reads UTF-8 when the file starts with a BOM


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Activities"
    sheet.append(table.header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_cell(v) for v in row])
    for column in ("G", "H", "K", "O"):
        for cell in sheet[column][1:]:
            cell.number_format = "d mmmm yyyy"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
