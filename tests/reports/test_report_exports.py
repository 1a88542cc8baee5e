"""DOCX and PDF exports: Word headings and lists as the seed looks, every section in the PDF, made by jobs."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from gmgportal.programme.queries import Period
from gmgportal.reports.assemble import SECTION_TITLES, assemble_report
from gmgportal.reports.exports import report_docx, report_pdf
from gmgportal.reports.render import ReportDocument
from tests.reports.conftest import MAY_13, SEED_NARRATIVE, SEED_PERIOD_START


@pytest.fixture
def document(seed_progress):
    report = assemble_report(seed_progress, Period(SEED_PERIOD_START, MAY_13))
    return ReportDocument("TWG1 Progress Report, 13 May 2014", report.header, report.sections)


def test_docx_has_the_sections_as_word_headings_italic_output_titles_and_nested_lists(document):
    from docx import Document

    doc = Document(io.BytesIO(report_docx(document)))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{n}. {title}" for n, title in enumerate(SECTION_TITLES.values(), start=1)]
    outputs = [p for p in doc.paragraphs if p.style.name == "List Bullet" and p.text.startswith("Output 1.")]
    assert [p.text.split(":")[0] for p in outputs] == ["Output 1.2", "Output 1.3"]
    assert outputs[0].runs[0].bold and outputs[0].runs[-1].italic
    assert outputs[0].runs[-1].text.startswith("Tools, guidelines")
    activities = [p.text for p in doc.paragraphs if p.style.name == "List Bullet 2"]
    assert len(activities) == 5 and activities[0].startswith("(1) Handbook")
    assert any(p.text == SEED_NARRATIVE and p.style.name == "List Continue 2" for p in doc.paragraphs)
    assert doc.paragraphs[0].runs[0].bold and "Thematic Working Group 1" in doc.paragraphs[0].text


def test_docx_numbered_lists_quotes_and_tables_from_a_chairs_markdown(document):
    from docx import Document
    from gmgportal.reports.assemble import Section

    edited = Section("findings", 3, "Key Findings and Lessons Learned",
                     "1. First\n2. Second\n\n> A quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x</script>")
    doc = Document(io.BytesIO(report_docx(ReportDocument("R", "**G**", (edited,)))))
    assert [p.text for p in doc.paragraphs if p.style.name == "List Number"] == ["First", "Second"]
    assert any(p.style.name == "Quote" and p.text == "A quote" for p in doc.paragraphs)
    assert doc.tables[0].cell(1, 1).text == "2"
    assert all("<script" not in p.text for p in doc.paragraphs)


def test_pdf_text_has_every_section(app, document):
    from pypdf import PdfReader

    with app.test_request_context():
        pdf = report_pdf(document)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = "".join(text.split())  # lines break anywhere, even after a hyphen
    for number, title in enumerate(SECTION_TITLES.values(), start=1):
        assert "".join(f"{number}. {title}".split()) in text
    assert "Drafthandbook,August2014" in text and "Chair:BelaHovy,UN/DESA" in text
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert all(f"Page{n}of{pages}" in text for n in range(1, pages + 1))


def _export(client, auth, rid: int, fmt: str):
    return client.post(f"/reports/{rid}/export/{fmt}", data={"csrf_token": auth.csrf_token(f"/reports/{rid}")})


@pytest.mark.parametrize("fmt, magic", [("docx", b"PK"), ("pdf", b"%PDF")])
def test_export_runs_as_a_job_whose_page_offers_the_file(db, client, auth, people, seed_progress, fmt, magic):
    from gmgportal.jobs import run_job_inline
    from gmgportal.jobs.models import Job, JobState
    from tests.reports.conftest import generate, report_id

    auth.login(people["chair"].email)
    rid = report_id(generate(client, auth))
    response = _export(client, auth, rid, fmt)
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    job = run_job_inline(db.session.scalar(sa.select(Job).order_by(Job.id.desc()).limit(1)))
    assert job.state == JobState.DONE, job.error
    assert job.result_name == f"twg1-progress-report-2014-05-13-draft.{fmt}"
    with client.get(f"/jobs/{job.id}/download") as download:
        assert download.status_code == 200 and download.data.startswith(magic)


def test_a_member_cannot_export_an_unpublished_report_and_unknown_formats_are_404(client, auth, people, seed_progress):
    from tests.reports.conftest import generate, report_id

    auth.login(people["chair"].email)
    rid = report_id(generate(client, auth))
    assert _export(client, auth, rid, "odt").status_code == 404
    auth.logout()
    auth.login(people["unicef"].email)
    assert client.post(f"/reports/{rid}/export/pdf",
                       data={"csrf_token": auth.csrf_token("/reports/")}).status_code == 403


def test_the_export_task_refuses_a_reader_who_lost_access(db, people, seed_progress):
    from gmgportal.jobs import run_job_inline, start_job
    from gmgportal.jobs.models import JobState
    from gmgportal.reports.models import Report, ReportStatus

    report = Report(group=seed_progress, period_start=SEED_PERIOD_START, period_end=MAY_13,
                    status=ReportStatus.DRAFT)
    db.session.add(report)
    db.session.commit()
    job = start_job("report_export", people["unicef"], {"report_id": report.id, "format": "pdf"}, enqueue=False)
    db.session.commit()
    job = run_job_inline(job)
    assert job.state == JobState.FAILED and "may no longer read it" in (job.error or "")
    job = start_job("report_export", people["chair"], {"report_id": report.id, "format": "odt"}, enqueue=False)
    db.session.commit()
    job = run_job_inline(job)
    assert job.state == JobState.FAILED and "not valid" in (job.error or "")
