"""Tables as CSV and XLSX downloads, safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A mimetype: Flask and Werkzeug add "; charset=utf-8" to text types themselves.
CSV_MIMETYPE = "text/csv"
# A cell starting with one of these would run as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (for CSV)."""
    if looks_like_formula(value):
        return "'" + value
    return value


def csv_writer(handle: Any) -> Any:
    """A CSV writer that quotes every field, so that no spreadsheet, whatever separator it is
    set to (`;` in much of Europe), splits a field and reads a formula out of its middle."""
    return csv.writer(handle, quoting=csv.QUOTE_ALL)


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(spreadsheet_safe(value))


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    title: str = "Sheet1"


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(table.header)
    writer.writerows([csv_cell(v) for v in row] for row in table.rows)
    return "\ufeff" + out.getvalue()  # Excel reads UTF-8 when the file starts with a BOM


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31]
    sheet.append(table.header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if looks_like_formula(cell.value):
                cell.data_type = "s"  # shown as the text it is, never run, and no apostrophe to see
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "d mmmm yyyy hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "d mmmm yyyy"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
