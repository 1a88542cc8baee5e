"""Markdown and HTML of a report come from the same Markdown, through the portal's sanitiser."""
from __future__ import annotations


import pytest

from gmgportal.programme.queries import Period
from gmgportal.reports.assemble import Section
from gmgportal.reports.render import ReportDocument, report_html, report_markdown
from tests.reports.conftest import MAY_13, SEED_PERIOD_START


@pytest.fixture
def document(seed_progress):
    from gmgportal.reports.assemble import assemble_report

    report = assemble_report(seed_progress, Period(SEED_PERIOD_START, MAY_13))
    return ReportDocument("TWG1 Progress Report, 13 May 2014", report.header, report.sections)


def test_html_has_the_sections_as_headings_nested_activity_lists_and_italic_output_titles(app, document):
    with app.test_request_context():
        html = report_html(document)
    assert html.count("<h2>") == 7 and "<h2>7. Next Steps</h2>" in html
    assert "<em>Tools, guidelines, methods" in html
    handbook = html.index("(1) Handbook")
    assert html.rindex("<ul>", 0, handbook) > html.index("Output 1.2")  # activities: a list in the output's item
    assert html.count("<li>") == 3 + 5 + 4 + 2 + 3 + 2
    assert "@media print" in html and "<script" not in html


def test_a_section_body_is_sanitised_in_html_and_kept_as_written_in_markdown(app):
    evil = Section("findings", 3, "Key Findings and Lessons Learned",
                   "Fine <script>alert(1)</script> [x](javascript:alert(1)) **bold**")
    document = ReportDocument("R", "**Group**", (evil,))
    with app.test_request_context():
        html = report_html(document)
    assert "<script>alert" not in html and "javascript:" not in html and "<strong>bold</strong>" in html
    assert report_markdown(document) == f"**Group**\n\n## 3. Key Findings and Lessons Learned\n\n{evil.body}\n"


def test_markdown_reads_like_the_seed(document, tmp_path):
    text = report_markdown(document)
    (tmp_path.parent / "report.md").write_text(text)
    assert text.startswith("**Thematic Working Group 1: Data on Migration and Remittance Flows**  \n"
                           "**Progress Report**  \n13 May 2014\n\nChair: Bela Hovy, UN/DESA  \n"
                           "Co-Chair: Frank Laczko, IOM\n\n## 1. Objectives\n\n- Enhancing")
