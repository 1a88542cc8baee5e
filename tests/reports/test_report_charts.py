"""The report's chart of activity status and milestones: its numbers as of the end date, one drawing
as SVG and PNG, with the numbers as tables beside it in every format."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from gmgportal.programme.queries import Period
from gmgportal.reports.assemble import assemble_report
from gmgportal.reports.charts import chart, figures_markdown
from gmgportal.reports.render import ReportDocument, report_html, report_markdown
from tests.reports.conftest import MAY_13, SEED_PERIOD_START

PERIOD = Period(SEED_PERIOD_START, MAY_13)


def counts(rows) -> dict[str, int]:
    return {key: n for key, _, n in rows}


def test_figures_count_activities_by_status_and_milestones_as_of_the_end(db, seed_progress, activity_by_ref):
    figures = assemble_report(seed_progress, PERIOD).figures
    assert counts(figures.activities) == {"not_started": 1, "on_track": 3, "at_risk": 1, "delayed": 0,
                                          "completed": 0}
    assert counts(figures.milestones) == {"completed": 0, "not_started": 4, "overdue": 0}
    handbook = activity_by_ref("1.2 (1)")
    draft, final = handbook.milestones
    draft.done_date, final.due_date = dt.date(2014, 5, 14), dt.date(2014, 5, 1)  # done later; overdue by then
    db.session.commit()
    assert counts(assemble_report(seed_progress, PERIOD).figures.milestones) == {
        "completed": 0, "not_started": 3, "overdue": 1}
    draft.done_date = dt.date(2014, 5, 13)
    db.session.commit()
    assert counts(assemble_report(seed_progress, PERIOD).figures.milestones)["completed"] == 1


def test_one_drawing_as_svg_with_text_and_as_png(seed_progress):
    figures = assemble_report(seed_progress, PERIOD).figures
    svg = chart(figures, "svg").decode()
    assert "<svg" in svg and "Activities by status" in svg and "Number of milestones" in svg
    assert chart(figures, "png").startswith(b"\x89PNG")


def test_markdown_and_html_carry_the_numbers_beside_the_chart(app, seed_progress):
    report = assemble_report(seed_progress, PERIOD)
    document = ReportDocument("R", report.header, report.sections, report.figures)
    text = report_markdown(document)
    assert figures_markdown(report.figures) in text
    assert text.index("| On track | 3 |") < text.index("## 3. Key Findings")
    with app.test_request_context():
        html = report_html(document)
        pdf_html = report_html(document, chart="png")
    assert '<svg role="img" aria-label="Bar charts. Activities by status: not started 1, on track 3' in html
    assert '<th scope="row" data-label="Activity status">On track</th><td class="num" data-label="Activities">3</td>' in html
    assert 'src="data:image/png;base64,' in pdf_html and "<svg" not in pdf_html


def test_docx_has_the_chart_with_alt_text_and_its_tables(seed_progress):
    from docx import Document

    from gmgportal.reports.exports import report_docx

    report = assemble_report(seed_progress, PERIOD)
    doc = Document(io.BytesIO(report_docx(ReportDocument("R", report.header, report.sections, report.figures))))
    assert len(doc.inline_shapes) == 1
    assert doc.inline_shapes[0]._inline.docPr.get("descr").startswith("Bar charts. Activities by status")
    assert [[c.text for c in row.cells] for row in doc.tables[0].rows][:3] == [
        ["Activity status", "Number"], ["Not started", "1"], ["On track", "3"]]


def test_pdf_has_the_chart_as_a_png_after_the_highlights(seed_progress, tmp_path):
    import subprocess

    from gmgportal.reports.exports import report_pdf

    report = assemble_report(seed_progress, PERIOD)
    (tmp_path / "report.pdf").write_bytes(report_pdf(ReportDocument("R", report.header, report.sections,
                                                                    report.figures)))
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "report.pdf")], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert [line.split()[2:4] for line in images if line.split()[2] == "image"] == [["image", "1440"]]
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.index("2. Work Programme Highlights") < text.index("Activities by status") < text.index(
        "3. Key Findings")


def test_the_page_shows_the_chart_as_an_image_and_a_frozen_report_keeps_its_numbers(
        client, auth, people, seed_progress, activity_by_ref, log_update, frozen_clock):
    from gmgportal.programme.models import Status
    from tests.reports.conftest import freeze, generate, report_id

    auth.login(people["chair"].email)
    rid = report_id(generate(client, auth))
    html = client.get(f"/reports/{rid}").get_data(as_text=True)
    assert f'<img src="/reports/{rid}/chart.svg" alt="Bar charts.' in html
    response = client.get(f"/reports/{rid}/chart.svg")
    assert response.mimetype == "image/svg+xml" and b"Activities by status" in response.data
    assert "style-src 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    freeze(client, auth, rid)
    log_update(activity_by_ref("1.3 (1)"), people["unicef"], dt.date(2014, 5, 10), Status.DELAYED, 5, "Late.")
    text = client.get(f"/reports/{rid}/report.md").get_data(as_text=True)
    assert "| Delayed | 0 |" in text and "| Not started | 1 |" in text


@pytest.mark.parametrize("path", ["/reports/999/chart.svg"])
def test_no_chart_for_an_unknown_report(client, auth, people, twg1, path):
    auth.login(people["chair"].email)
    assert client.get(path).status_code == 404
