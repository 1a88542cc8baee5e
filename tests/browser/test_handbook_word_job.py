"""A long Word draft with a figure, as an author meets it: the upload goes to a job whose page shows what it
is doing, and the chapter page then shows the figure from the Word file (the portal's own image, loaded).
A short file still becomes a version at once. Pages pass axe and are photographed."""
from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

from tests.browser.helpers import logout, visit

FIGURE_DRAFT = """# Introduction

Household surveys are the main source on return migration.

![Figure 1: Share of households with a member abroad, by region](figure.png)

# Sources and methods

""" + "\n\n".join(f"Paragraph {i}: labour force surveys carry a migration module in many countries, counting "
                  f"migrants by country of birth and citizenship." for i in range(300))


@pytest.fixture
def app_config(app_config):
    return type("WordJobConfig", (app_config,), {"HANDBOOK_DOCX_JOB_BYTES": 20 * 1024})


def _word_file(folder, markdown: str) -> bytes:
    import pypandoc
    from PIL import Image, ImageDraw

    figure = Image.new("RGB", (480, 200), "white")
    draw = ImageDraw.Draw(figure)
    for i, height in enumerate((60, 120, 90, 170, 40)):
        draw.rectangle([30 + i * 90, 190 - height, 90 + i * 90, 190], fill=(0, 90, 160))
    figure.save(folder / "figure.png")
    (folder / "draft.md").write_text(markdown)
    out = folder / "draft.docx"
    pypandoc.convert_file(str(folder / "draft.md"), "docx", outputfile=str(out),
                          extra_args=[f"--resource-path={folder}"])
    return out.read_bytes()


def test_a_long_word_draft_is_converted_by_a_job_and_its_figure_shows_on_the_chapter_page(
        handbook_people, live_server, queue_worker, page, login_as, check_a11y, screenshot, tmp_path):
    login_as(page, live_server, "author.wb@example.org")
    page.goto(f"{live_server.url}/handbook/")
    page.get_by_role("link", name="Household surveys").click()
    page.get_by_role("link", name="Upload a Word file").first.click()
    page.get_by_label("Word file").set_input_files(
        {"name": "chapter-3-long.docx", "mimeType": "application/octet-stream",
         "buffer": _word_file(tmp_path, FIGURE_DRAFT)})
    page.get_by_role("button", name="Upload and make a new version").click()
    expect(page.locator("h1")).to_contain_text("Import a Word file into a chapter (job")
    expect(page.locator(".flash-region")).to_contain_text("is being converted in the background")
    screenshot(page, "handbook-word-import-job-started")  # as it opens: queued, or already converting
    expect(page.locator("[data-job-tag]")).to_have_text("Done", timeout=60_000)
    expect(page.locator("#job-message")).to_contain_text("Version 1 saved")
    expect(page.locator("[data-job-result-hint]")).to_have_text("The job is done; it made no file.")
    title = page.locator("h1").inner_text()
    visit(page, check_a11y, screenshot, "handbook-word-import-job", title)

    page.get_by_role("link", name="Go to chapter 3").click()
    figure = page.locator(".chapter-text img")
    expect(figure).to_have_count(1)
    expect(figure).to_have_attribute("alt", "Figure 1: Share of households with a member abroad, by region")
    # Loaded from the portal: wait until the browser has the picture, then check its size.
    page.wait_for_function("() => { const img = document.querySelector('.chapter-text img');"
                           " return img !== null && img.complete && img.naturalWidth > 0; }")
    assert figure.evaluate("img => img.naturalWidth") == 480
    visit(page, check_a11y, screenshot, "handbook-chapter-with-image", "Chapter 3: Household surveys")
    figure.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "handbook-chapter-with-image")).replace(".png", "-figure.png"))

    page.get_by_role("link", name="Upload a Word file").first.click()
    page.get_by_label("Word file").set_input_files(
        {"name": "short.docx", "mimeType": "application/octet-stream",
         "buffer": _word_file(tmp_path, "# Short\n\nA short revision.")})
    page.get_by_role("button", name="Upload and make a new version").click()
    expect(page.locator(".flash-region")).to_contain_text("Version 2 of chapter 3 made from the Word file")
    logout(page)

    # A colleague asks her something: her home page lists it under "what needs you".
    login_as(page, live_server, "second.wb@example.org")
    page.goto(f"{live_server.url}/handbook/")
    page.get_by_role("link", name="Household surveys").click()
    page.get_by_role("link", name="Comment on paragraph 2").click()
    page.get_by_label("Comment", exact=False).last.fill("@author.wb is the figure's source the 2010 round?")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".flash-region")).to_contain_text("Your comment is added.")
    logout(page)
    login_as(page, live_server, "author.wb@example.org")
    section = page.locator("section", has=page.get_by_role("heading", name="Handbook: World Bank"))
    expect(section).to_contain_text("Mention of you by Walter Second on chapter 3")
    expect(section.locator(".tag-mention")).to_have_text("Mentions you")
    visit(page, check_a11y, screenshot, "handbook-home-mention", "What needs you")
