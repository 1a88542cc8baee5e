"""Progress reports as a new chair meets them: generate TWG1's May 2014 report, edit Key Findings
with a preview, freeze it, download the DOCX and PDF through the job page, publish it; a member
then reads the published report. Every report page passes axe and is photographed."""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

from gmgportal.core.permissions import Role
from tests.browser.helpers import visit

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
NARRATIVE = "A detailed concept note, table of contents, and template has been circulated."
CHAIR_NOTE = "The chairs ask every member to send **chapter outlines** by June."


@pytest.fixture
def reports_data(db, make_user, frozen_clock):
    """TWG1 from content/, a chair, a UNICEF focal point and the seed's progress. Listed before live_server."""
    import sqlalchemy as sa

    from gmgportal.core.content import load_content
    from gmgportal.programme.models import Activity, Status
    from gmgportal.programme.operations import ProgressData, log_progress

    load_content(CONTENT_DIR)
    db.session.commit()
    chair = make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Bela Hovy")
    make_user("focal.unicef@example.org", agency="UNICEF", name="Una Ugo")
    handbook = next(a for a in db.session.scalars(sa.select(Activity)) if a.ref == "1.2 (1)")
    log_progress(handbook, chair, ProgressData(dt.date(2014, 4, 30), Status.ON_TRACK, 20, NARRATIVE))
    db.session.commit()


def download_through_job(page, check_a11y, screenshot, fmt: str, name: str) -> bytes:
    page.get_by_role("button", name=f"Make the {fmt.upper()}").click()
    expect(page.locator("[data-job-tag]")).to_have_text("Done", timeout=30_000)
    check_a11y(page)
    screenshot(page, name)
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"^Download twg1-progress-report-")).click()
    download = info.value
    assert download.suggested_filename == f"twg1-progress-report-2014-05-13-1.{fmt}"
    return Path(download.path()).read_bytes()


def test_chair_generates_edits_freezes_exports_and_publishes_and_a_member_reads_it(
        reports_data, live_server, page, login_as, check_a11y, screenshot, queue_worker):
    login_as(page, live_server, "chair@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Progress reports").click()
    visit(page, check_a11y, screenshot, "reports-01-list-empty", "Progress reports")
    expect(page.get_by_text("No reports yet. Generate the first report.")).to_be_visible()

    page.get_by_role("link", name="Generate a report").click()
    visit(page, check_a11y, screenshot, "reports-02-generate", "Generate a progress report")
    expect(page.get_by_label(re.compile("^To"))).to_have_value("2014-05-13")
    page.get_by_label(re.compile("^From")).fill("2014-01-01")
    page.get_by_role("button", name="Generate the draft").click()
    visit(page, check_a11y, screenshot, "reports-03-draft", "Draft TWG1 progress report, 13 May 2014")
    expect(page.get_by_role("status").first).to_contain_text("Draft generated for TWG1")
    headings = page.locator(".report-document h2").all_inner_texts()
    assert [h.split(".")[0] for h in headings] == [str(n) for n in range(1, 8)]
    expect(page.locator("#section-highlights")).to_contain_text(NARRATIVE)

    page.get_by_role("link", name="Edit section 3, Key Findings and Lessons Learned").click()
    visit(page, check_a11y, screenshot, "reports-04-edit-findings", "Edit section 3: Key Findings and Lessons Learned")
    text = page.get_by_label(re.compile("^Text of the section"))
    assert "The delivery of the handbook" in text.input_value()
    text.fill(text.input_value() + "\n\n" + CHAIR_NOTE)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview strong").last).to_have_text("chapter outlines")
    check_a11y(page)
    screenshot(page, "reports-05-edit-preview")
    page.get_by_role("button", name="Save the section").click()
    expect(page.locator("#section-findings strong").last).to_have_text("chapter outlines")
    expect(page.locator("#section-findings")).to_contain_text("Edited")
    check_a11y(page)

    page.get_by_role("link", name="Freeze the report…").click()
    visit(page, check_a11y, screenshot, "reports-06-freeze-confirm", "Freeze this report?")
    page.get_by_role("button", name="Freeze the report").click()
    visit(page, check_a11y, screenshot, "reports-07-frozen", "TWG1 progress report 1, 13 May 2014")
    expect(page.locator("#section-findings")).to_contain_text("chapter outlines")
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    report_url = page.url

    docx = download_through_job(page, check_a11y, screenshot, "docx", "reports-08-docx-job")
    from docx import Document

    headings = [p.text for p in Document(io.BytesIO(docx)).paragraphs if p.style.name == "Heading 1"]
    assert headings[2] == "3. Key Findings and Lessons Learned" and len(headings) == 7
    page.goto(report_url)
    pdf = download_through_job(page, check_a11y, screenshot, "pdf", "reports-09-pdf-job")
    assert pdf.startswith(b"%PDF")

    page.goto(report_url)
    page.get_by_role("button", name="Publish to members").click()
    expect(page.get_by_role("status").first).to_contain_text("is published to members")
    check_a11y(page)
    screenshot(page, "reports-10-published")
    page.get_by_role("button", name="Log out").click()

    login_as(page, live_server, "focal.unicef@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Progress reports").click()
    visit(page, check_a11y, screenshot, "reports-11-member-list", "Progress reports")
    page.get_by_role("link", name="TWG1 progress report 1").click()
    visit(page, check_a11y, screenshot, "reports-12-member-reads", "TWG1 progress report 1, 13 May 2014")
    expect(page.locator("#section-findings")).to_contain_text("chapter outlines")
    expect(page.get_by_role("button", name="Publish to members")).to_have_count(0)
    page.set_viewport_size({"width": 360, "height": 740})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    screenshot(page, "reports-13-member-phone")


@pytest.fixture
def call_data(reports_data, db, make_user, submitted_case):
    """Two cases submitted to the call for case studies (activity 1.2 (3)) and a review assigned."""
    import sqlalchemy as sa

    from gmgportal.cases import services as cases
    from gmgportal.cases.models import Call

    call = db.session.scalar(sa.select(Call))
    made = []
    for title in ("Mobile phone records for migration flows", "Registers linked to the census"):
        made.append(submitted_case(call, make_user(agency="ILO"), title, data_kinds=["censuses"]))
    cases.assign_reviewer(made[0], make_user(roles=(Role.REVIEWER,), agency="IOM"))
    db.session.commit()


def test_chair_compares_two_frozen_reports_and_reads_the_calls_figures(
        call_data, live_server, page, login_as, check_a11y, screenshot):
    """Two consecutive frozen reports compared section by section; the call's figures in the draft's
    highlights and on the page of activity 1.2 (3)."""
    login_as(page, live_server, "chair@example.org")
    for start, end in (("2014-01-01", "2014-03-31"), ("2014-04-01", "2014-05-13")):
        page.goto(f"{live_server.url}/reports/new")
        page.get_by_label(re.compile("^From")).fill(start)
        page.get_by_label(re.compile("^To")).fill(end)
        page.get_by_role("button", name="Generate the draft").click()
        if end == "2014-05-13":
            visit(page, check_a11y, screenshot, "reports-20-draft-with-figures", "Draft TWG1 progress report, 13 May 2014")
            highlights = page.locator("#section-highlights")
            expect(highlights).to_contain_text("as of 13 May 2014 (open until 30 June 2014): 2 cases submitted; "
                                               "0 of 1 review done.")
            expect(highlights).to_contain_text("Handbook, as of 13 May 2014: 9 chapters, all not started")
        page.get_by_role("link", name="Freeze the report…").click()
        page.get_by_role("button", name="Freeze the report").click()
    page.get_by_role("link", name="Compare with report 1").click()
    visit(page, check_a11y, screenshot, "reports-21-compare", "TWG1 progress report 2 compared with report 1")
    expect(page.locator("#compare-highlights")).to_contain_text("Changed")
    expect(page.locator(".compare-section").filter(has=page.locator("#compare-highlights"))
           .locator(".diff-added").filter(has_text=NARRATIVE)).to_have_count(1)
    page.set_viewport_size({"width": 360, "height": 740})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    screenshot(page, "reports-22-compare-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/programme/twg1")
    page.get_by_role("link", name=re.compile(r"^1\.2 \(3\)")).first.click()
    visit(page, check_a11y, screenshot, "reports-23-activity-call-figures", "Activity 1.2 (3)")
    expect(page.locator(".call-summary dd").first).to_have_text("2")
    expect(page.locator(".call-summary")).to_contain_text("0 of 1 assigned")
