"""CSV and XLSX downloads are safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from openpyxl import load_workbook

from gmgportal.core.spreadsheets import Table, csv_cell, to_csv, to_xlsx


def test_formulas_are_neutralised_in_csv_and_xlsx():
    table = Table(["a", "b", "c"], [["=HYPERLINK(\"http://evil\")", "+1", "plain"]], title="T")
    csv_text = to_csv(table)
    assert "'=HYPERLINK" in csv_text and "'+1" in csv_text and csv_text.startswith("\ufeff")
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet["C2"].value == "plain"
    assert sheet.title == "T" and sheet["A1"].font.bold


def test_every_csv_field_is_quoted_so_no_separator_setting_finds_a_formula():
    attack = "x;=cmd|' /C calc'!A0"
    table = Table(["name", "count"], [[attack, 3], [None, "=1+1"]])
    lines = to_csv(table).lstrip("\ufeff").splitlines()
    assert lines == ['"name","count"', '"x;=cmd|\' /C calc\'!A0","3"', '"","\'=1+1"']
    # Read with ';' as the separator, the quoted field stays one field: the formula is not at a cell's start.
    assert all(not cell.startswith("=") for cell in next(csv.reader(io.StringIO(lines[1]), delimiter=";")))


def test_xlsx_writes_formula_like_text_as_text_cells_without_a_visible_apostrophe():
    table = Table(["a", "b"], [["=HYPERLINK(\"http://evil\")", "@SUM(A1)"], ["-", 5]])
    data = to_xlsx(table)
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "'=" not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "=HYPERLINK(\"http://evil\")" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == "@SUM(A1)" and sheet["B2"].data_type == "s"
    assert sheet["A3"].value == "-" and sheet["B3"].value == 5 and sheet["B3"].data_type == "n"


def test_dates_are_iso_in_csv_and_real_dates_in_xlsx():
    table = Table(["when"], [[dt.date(2014, 5, 13)]])
    assert "2014-05-13" in to_csv(table)
    cell = load_workbook(io.BytesIO(to_xlsx(table))).active["A2"]
    assert cell.value.date() == dt.date(2014, 5, 13) and cell.number_format == "d mmmm yyyy"


def test_csv_cell_renders_none_and_numbers():
    assert csv_cell(None) == "" and csv_cell(35) == "35" and csv_cell(-3) == "-3"
