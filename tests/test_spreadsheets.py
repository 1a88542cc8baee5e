"""CSV and XLSX downloads are safe to open in a spreadsheet."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from gmgportal.core.spreadsheets import Table, csv_cell, to_csv, to_xlsx


def test_formulas_are_neutralised_in_csv_and_xlsx():
    table = Table(["a", "b", "c"], [["=HYPERLINK(\"http://evil\")", "+1", "plain"]], title="T")
    csv_text = to_csv(table)
    assert "'=HYPERLINK" in csv_text and "'+1" in csv_text and csv_text.startswith("\ufeff")
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet["A2"].value.startswith("'=") and sheet["B2"].value == "'+1" and sheet["C2"].value == "plain"
    assert sheet.title == "T" and sheet["A1"].font.bold


def test_dates_are_iso_in_csv_and_real_dates_in_xlsx():
    table = Table(["when"], [[dt.date(2014, 5, 13)]])
    assert "2014-05-13" in to_csv(table)
    cell = load_workbook(io.BytesIO(to_xlsx(table))).active["A2"]
    assert cell.value.date() == dt.date(2014, 5, 13) and cell.number_format == "d mmmm yyyy"


def test_csv_cell_renders_none_and_numbers():
    assert csv_cell(None) == "" and csv_cell(35) == "35" and csv_cell(-3) == "-3"
