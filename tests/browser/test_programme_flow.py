"""The work programme as new users meet it: an IOM focal point logs progress on
activity 1.2 (1) with Markdown and a PDF, and sees it on the overview, the
activity page and the timeline; the chair sees the overdue milestones and IOM's
last update on the engagement page. Every page passes axe and is photographed."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

from gmgportal.core.permissions import Role
from tests.browser.helpers import visit

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def programme(db, make_user):
    """TWG1's programme from content/, an IOM focal point and the chair. Listed before live_server."""
    from gmgportal.core.content import load_content

    load_content(CONTENT_DIR)
    make_user("focal.iom@example.org", agency="IOM", name="Ivana Ortiz")
    make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Bela Hovy")


def test_focal_point_logs_progress_and_chair_sees_it(programme, live_server, page, login_as, check_a11y,
                                                     screenshot):
    login_as(page, live_server, "focal.iom@example.org")
    expect(page.get_by_role("heading", name="Work programme: IOM")).to_be_visible()
    screenshot(page, "programme-home-focal-point")

    page.get_by_role("link", name="Work programme", exact=True).click()
    visit(page, check_a11y, screenshot, "programme-overview-before", "Work programme TWG1")
    page.get_by_role("link", name="1.2 (1) Handbook").click()
    visit(page, check_a11y, screenshot, "programme-activity-before", "Activity 1.2 (1)")

    page.get_by_role("link", name="Log progress").click()
    visit(page, check_a11y, screenshot, "programme-progress-form", "Log progress on 1.2 (1)")
    page.get_by_label("Status").select_option("on_track")
    page.get_by_label("Percent complete").fill("35")
    page.get_by_label("What happened").fill(
        "The **concept note** and chapter template went to all members.\n\n- IOM drafts chapter 3\n- ILO reviews")
    page.get_by_label("Evidence links").fill("https://www.un.org/en/development/desa/population/migration/")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview strong")).to_have_text("concept note")
    check_a11y(page)
    screenshot(page, "programme-progress-preview")
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "concept-note.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    page.get_by_role("button", name="Save update").click()

    expect(page.get_by_role("status")).to_contain_text("Progress on 1.2 (1) saved.")
    expect(page.locator(".update strong").first).to_have_text("concept note")
    expect(page.get_by_role("link", name="concept-note.pdf")).to_be_visible()
    visit(page, check_a11y, screenshot, "programme-activity-after", "Activity 1.2 (1)")

    page.get_by_role("link", name="Work programme TWG1").click()
    row = page.locator("tr", has=page.get_by_role("link", name="1.2 (1) Handbook"))
    expect(row).to_contain_text("by IOM")
    expect(row).to_contain_text("35% complete")
    visit(page, check_a11y, screenshot, "programme-overview-after", "Work programme TWG1")

    page.get_by_role("link", name="Timeline").click()
    expect(page.locator("svg.timeline-wide")).to_contain_text("1.2 (1)")
    expect(page.locator("svg.timeline-wide .status-text-on-track").first).to_be_visible()
    visit(page, check_a11y, screenshot, "programme-timeline-focal-point", "Milestone timeline TWG1")

    page.get_by_role("button", name="Log out").click()
    login_as(page, live_server, "chair@example.org")
    expect(page.get_by_role("heading", name="Work programme: overdue and silent")).to_be_visible()
    expect(page.get_by_text("1.2 (1) Draft handbook")).to_be_visible()
    check_a11y(page)
    screenshot(page, "programme-home-chair")

    page.get_by_role("link", name="Work programme", exact=True).click()
    page.get_by_role("link", name="Timeline").click()
    expect(page.locator("svg.timeline-wide path.ms-overdue")).to_have_count(4)
    expect(page.locator("table").last).to_contain_text("Overdue")
    visit(page, check_a11y, screenshot, "programme-timeline-chair", "Milestone timeline TWG1")

    page.get_by_role("link", name="Agency engagement").click()
    iom = page.locator("tr", has=page.get_by_role("link", name="IOM", exact=True))
    today = dt.date.today()
    expect(iom).to_contain_text(f"{today.day} {today:%B %Y}")
    expect(iom).to_contain_text("Active")
    unicef = page.locator("tr", has=page.get_by_role("link", name="UNICEF", exact=True))
    expect(unicef).to_contain_text("Silent over 60 days")
    visit(page, check_a11y, screenshot, "programme-engagement", "Agency engagement TWG1")

    page.get_by_role("link", name="Findings").click()
    visit(page, check_a11y, screenshot, "programme-findings", "Findings TWG1")
    page.goto(f"{live_server.url}/programme/twg1/themes/gender")
    visit(page, check_a11y, screenshot, "programme-theme-gender", "Theme: Gender")
