"""The handbook as new users meet it: a World Bank author drafts chapter 3 and submits it;
the editor comments on a paragraph and requests changes; two authors edit at once and the
second meets the conflict page with their text kept; the editor accepts. Every page passes
axe and is photographed."""
from __future__ import annotations

from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

from gmgportal.core.permissions import Role

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
DRAFT = """## Introduction

Household surveys are the main source on return migration and on households with members abroad.

## Sources and methods

Labour force surveys carry a migration module in many countries.
"""


@pytest.fixture
def handbook_people(db, make_user):
    """The outline from content/, two World Bank authors, the editor and the chair. Listed before live_server."""
    from gmgportal.core.content import load_content

    load_content(CONTENT_DIR)
    db.session.commit()
    make_user("author.wb@example.org", agency="World Bank", name="Wanda Bank")
    make_user("second.wb@example.org", agency="World Bank", name="Walter Second")
    make_user("editor@example.org", roles=(Role.HANDBOOK_EDITOR,), agency="UN/DESA", name="Edith Editor")
    make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Bela Hovy")


def visit(page, check_a11y, screenshot, name: str, title: str) -> None:
    expect(page).to_have_title(f"{title} – GMG Portal")
    expect(page.locator("h1")).to_have_text(title)
    check_a11y(page)
    screenshot(page, name)


def logout(page):
    page.get_by_role("button", name="Log out").click()


def test_chapter_goes_from_draft_through_review_and_conflict_to_accepted(
        handbook_people, frozen_clock, live_server, page, browser, login_as, check_a11y, screenshot):
    frozen_clock.freeze("2014-07-02")
    login_as(page, live_server, "author.wb@example.org")
    expect(page.get_by_role("heading", name="Handbook: World Bank")).to_be_visible()
    page.get_by_role("link", name="Handbook", exact=True).click()
    visit(page, check_a11y, screenshot, "handbook-board-before", "Handbook board")
    page.get_by_role("link", name="Household surveys").click()
    visit(page, check_a11y, screenshot, "handbook-chapter-empty", "Chapter 3: Household surveys")

    page.get_by_role("link", name="Write the first draft").first.click()
    visit(page, check_a11y, screenshot, "handbook-editor", "Edit chapter 3")
    page.get_by_label("Chapter text").fill(DRAFT + "\n<script>alert('x')</script>\n")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview h2", has_text="Introduction")).to_be_visible()
    check_a11y(page)
    page.get_by_label("What changed").fill("First draft")
    page.get_by_role("button", name="Save version").click()
    expect(page.locator(".flash-region")).to_contain_text("Version 1 of chapter 3 saved")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".flash-region")).to_contain_text("Chapter 3 moved to “Submitted”")
    visit(page, check_a11y, screenshot, "handbook-chapter-submitted", "Chapter 3: Household surveys")
    logout(page)

    login_as(page, live_server, "editor@example.org")
    page.get_by_role("link", name="Chapter 3: Household surveys").click()
    page.get_by_role("button", name="Start the review").click()
    page.get_by_role("link", name="Comment on paragraph 2").click()
    visit(page, check_a11y, screenshot, "handbook-comment-form", "Comment on chapter 3")
    page.get_by_label("Comment", exact=False).last.fill("Which countries? Give **two examples**.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".comment-thread strong")).to_have_text("two examples")
    page.get_by_label("Comment (optional)").fill("Please add country examples.")
    page.get_by_role("button", name="Request changes").click()
    expect(page.locator(".flash-region")).to_contain_text("Chapter 3 moved to “Changes requested”")
    visit(page, check_a11y, screenshot, "handbook-chapter-commented", "Chapter 3: Household surveys")
    logout(page)

    # Two World Bank authors open the editor at once.
    login_as(page, live_server, "author.wb@example.org")
    page.goto(f"{page.url.rstrip('/')}/handbook/")
    page.get_by_role("link", name="Household surveys").click()
    page.get_by_role("link", name="Edit the chapter").click()
    other_context = browser.new_context(viewport={"width": 1280, "height": 900})
    other = other_context.new_page()
    login_as(other, live_server, "second.wb@example.org")
    other.goto(page.url)
    other.get_by_label("Chapter text").fill(DRAFT.replace("in many countries", "in 40 countries"))
    other.get_by_label("What changed").fill("Number of countries")
    other.get_by_role("button", name="Save version").click()
    expect(other.locator(".flash-region")).to_contain_text("Version 2 of chapter 3 saved")
    other_context.close()

    mine = DRAFT + "\n## Country examples\n\nMexico and the Philippines.\n"
    page.get_by_label("Chapter text").fill(mine)
    page.get_by_role("button", name="Save version").click()
    expect(page.locator(".error-summary")).to_contain_text("Version 2 of this chapter was saved")
    expect(page.get_by_label("Chapter text")).to_have_value(mine)
    expect(page.locator(".conflict .diff ins")).to_contain_text("40")
    visit(page, check_a11y, screenshot, "handbook-conflict", "Edit chapter 3")
    page.get_by_label("Chapter text").fill(mine.replace("in many countries", "in 40 countries"))
    page.get_by_role("button", name="Save version").click()
    expect(page.locator(".flash-region")).to_contain_text("Version 3 of chapter 3 saved")
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_role("link", name="Compare versions").click()
    visit(page, check_a11y, screenshot, "handbook-diff", "Chapter 3: version 2 to version 3")
    expect(page.locator(".diff ins").first).to_contain_text("Country examples")
    logout(page)

    login_as(page, live_server, "editor@example.org")
    page.get_by_role("link", name="Chapter 3: Household surveys").click()
    page.get_by_role("button", name="Start the review").click()
    page.get_by_role("button", name="Mark as resolved").first.click()
    page.get_by_role("button", name="Accept the chapter").click()
    expect(page.locator(".summary-list .tag-accepted")).to_have_text("Accepted")
    visit(page, check_a11y, screenshot, "handbook-chapter-accepted", "Chapter 3: Household surveys")
    page.get_by_role("link", name="Handbook board").click()
    visit(page, check_a11y, screenshot, "handbook-board-after", "Handbook board")
    page.set_viewport_size({"width": 360, "height": 800})
    screenshot(page, "handbook-board-360")
