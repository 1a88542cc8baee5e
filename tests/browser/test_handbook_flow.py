"""The handbook as new users meet it: a World Bank author uploads a Word draft of chapter 3,
edits it and submits it; the editor comments on a paragraph and requests changes; two authors
edit at once and the second meets the conflict page with their text kept; the editor accepts;
the chair compiles the handbook, watches the job, downloads the Word file and the PDF, and
publishes it; a visitor who is not logged in reads it. Every page passes axe and is photographed
(the compiled DOCX and PDF are rendered to PNG next to the screenshots)."""
from __future__ import annotations

from pathlib import Path

import io
import re
import subprocess

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

from tests.browser.helpers import logout, visit

WORD_DRAFT = """# Introduction

Household surveys are the main source on return migration and on households with members abroad.[^1]

# Sources and methods

Labour force surveys carry a migration module in many countries.

| Survey | Countries |
|---|---|
| Labour force survey | 40 |

[^1]: United Nations, Recommendations on Statistics of International Migration, 1998.
"""


def _word_file(folder) -> bytes:
    import pypandoc

    source = folder / "draft.md"
    source.write_text(WORD_DRAFT)
    out = folder / "chapter-3-world-bank.docx"
    pypandoc.convert_file(str(source), "docx", outputfile=str(out))
    return out.read_bytes()


def test_handbook_from_a_word_draft_through_review_and_conflict_to_a_published_edition(
        handbook_people, frozen_clock, live_server, queue_worker, page, browser, login_as, check_a11y, screenshot,
        tmp_path):
    frozen_clock.freeze("2014-07-02")
    login_as(page, live_server, "author.wb@example.org")
    expect(page.get_by_role("heading", name="Handbook: World Bank")).to_be_visible()
    page.get_by_role("link", name="Handbook", exact=True).click()
    visit(page, check_a11y, screenshot, "handbook-board-before", "Handbook board")
    page.get_by_role("link", name="Household surveys").click()
    visit(page, check_a11y, screenshot, "handbook-chapter-empty", "Chapter 3: Household surveys")

    page.get_by_role("link", name="Upload a Word file").first.click()
    visit(page, check_a11y, screenshot, "handbook-upload", "Upload a Word file for chapter 3")
    page.get_by_label("Word file").set_input_files(
        {"name": "chapter-3.docx", "mimeType": "application/octet-stream", "buffer": _word_file(tmp_path)})
    page.get_by_role("button", name="Upload and make a new version").click()
    expect(page.locator(".flash-region")).to_contain_text("Version 1 of chapter 3 made from the Word file")
    expect(page.locator(".chapter-text h2").first).to_have_text("Introduction")
    expect(page.locator(".chapter-text table")).to_be_visible()

    page.get_by_role("link", name="Edit the chapter").click()
    visit(page, check_a11y, screenshot, "handbook-editor", "Edit chapter 3")
    text = page.get_by_label("Chapter text").input_value()
    assert "[^1]: United Nations" in text and "## Sources and methods" in text
    page.get_by_label("Chapter text").fill(text + "\n\n<script>alert('x')</script>\n")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview h2", has_text="Introduction")).to_be_visible()
    check_a11y(page)
    page.get_by_label("What changed").fill("Tidied after the upload")
    page.get_by_role("button", name="Save version").click()
    expect(page.locator(".flash-region")).to_contain_text("Version 2 of chapter 3 saved")
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
    theirs = other.get_by_label("Chapter text").input_value().replace("in many countries", "in 40 countries")
    other.get_by_label("Chapter text").fill(theirs)
    other.get_by_label("What changed").fill("Number of countries")
    other.get_by_role("button", name="Save version").click()
    expect(other.locator(".flash-region")).to_contain_text("Version 3 of chapter 3 saved")
    other_context.close()

    mine = page.get_by_label("Chapter text").input_value() + "\n\n## Country examples\n\nMexico and the Philippines.\n"
    page.get_by_label("Chapter text").fill(mine)
    page.get_by_role("button", name="Save version").click()
    expect(page.locator(".error-summary")).to_contain_text("Version 3 of this chapter was saved")
    expect(page.get_by_label("Chapter text")).to_have_value(mine)
    expect(page.locator(".conflict .diff ins")).to_contain_text("40")
    visit(page, check_a11y, screenshot, "handbook-conflict", "Edit chapter 3")
    page.get_by_label("Chapter text").fill(mine.replace("in many countries", "in 40 countries"))
    page.get_by_role("button", name="Save version").click()
    expect(page.locator(".flash-region")).to_contain_text("Version 4 of chapter 3 saved")
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_role("link", name="Compare versions").click()
    visit(page, check_a11y, screenshot, "handbook-diff", "Chapter 3: version 3 to version 4")
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
    page.set_viewport_size({"width": 1280, "height": 900})
    logout(page)

    login_as(page, live_server, "chair@example.org")
    page.goto(f"{live_server.url}/handbook/")
    page.get_by_role("link", name="Compile and publish").click()
    visit(page, check_a11y, screenshot, "handbook-editions-empty", "Handbook editions")
    page.get_by_label("What to include").select_option("accepted")
    page.get_by_role("button", name="Compile the handbook").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Compile the handbook \(job \d+\)$"))
    expect(page.locator("#job-progress")).to_be_visible()
    expect(page.locator("[data-job-tag]")).to_have_text("Done", timeout=60_000)
    expect(page.locator("#job-message")).to_contain_text("handbook-edition-1.pdf is ready to download", timeout=30_000)
    check_a11y(page)
    screenshot(page, "handbook-compile-job")
    page.goto(f"{live_server.url}/handbook/editions")
    visit(page, check_a11y, screenshot, "handbook-editions", "Handbook editions")
    with page.expect_download() as info:
        page.get_by_role("link", name="Word file of edition 1").click()
    docx_path = info.value.path()
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF of edition 1").click()
    pdf_path = info.value.path()
    _check_and_render(docx_path, pdf_path, tmp_path)

    page.get_by_role("link", name="Publish edition 1").click()
    visit(page, check_a11y, screenshot, "handbook-publish", "Publish edition 1")
    page.get_by_role("button", name="Publish this edition").click()
    expect(page.locator(".flash-region")).to_contain_text("Edition 1 is published")
    logout(page)

    page.goto(f"{live_server.url}/handbook/published/")
    title = "Measuring International Migration and its Impact on Development – A Practical Guide"
    visit(page, check_a11y, screenshot, "handbook-published", title)
    expect(page.get_by_role("link", name="log in to the portal")).to_be_visible()
    page.get_by_role("link", name="Chapter 3. Household surveys").click()
    visit(page, check_a11y, screenshot, "handbook-published-chapter", "Chapter 3. Household surveys")
    expect(page.locator(".published-chapter")).to_contain_text("Mexico and the Philippines")
    expect(page.locator(".published-chapter .footnotes")).to_contain_text("Recommendations on Statistics")
    assert "<script>alert" not in page.content()


def _check_and_render(docx_path, pdf_path, folder) -> None:
    """python-docx reads the Word file (Heading 1 chapters, a real footnote); the PDF has the chapter title.
    Both are rendered to PNG beside the screenshots, to be looked at."""
    import docx
    import pypandoc
    from pypdf import PdfReader

    from tests.browser.conftest import SCREENSHOT_DIR

    document = docx.Document(str(docx_path))
    assert "Chapter 3. Household surveys" in [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    footnotes = next(p for p in document.part.package.iter_parts() if p.partname == "/word/footnotes.xml")
    assert "Recommendations on Statistics of International Migration" in footnotes.blob.decode()
    pdf_bytes = Path(pdf_path).read_bytes()
    assert "Chapter 3. Household surveys" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf_path), str(SCREENSHOT_DIR / "handbook-compiled-pdf")],
                   check=True)
    # The Word file read back by pandoc and laid out again (core.documents), to see what Word will show.
    from gmgportal.core.documents import markdown_to_pdf, strip_html

    markdown = pypandoc.convert_file(str(docx_path), "commonmark_x", format="docx", extra_args=["--sandbox"])
    (folder / "docx.pdf").write_bytes(markdown_to_pdf(strip_html(markdown), title="DOCX"))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(folder / "docx.pdf"),
                    str(SCREENSHOT_DIR / "handbook-compiled-docx")], check=True)
