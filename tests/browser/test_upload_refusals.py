"""Refused uploads as a focal point meets them: a clear reason, the typed text kept,
and an accessible page, whether the file is too big, of the wrong kind, or
larger than the whole request may be."""
from __future__ import annotations

from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
NARRATIVE = "Chapter drafts arrived from **three** agencies."


@pytest.fixture
def app_config(app_config):
    """A 1 MB upload limit (2 MB per request), so that big files are quick to make."""
    return type("SmallUploads", (app_config,), {"MAX_UPLOAD_MB": 1, "MAX_CONTENT_LENGTH": 2 * 1024 * 1024})


@pytest.fixture
def focal_point(db, make_user):
    from gmgportal.core.content import load_content

    load_content(CONTENT_DIR)
    make_user("focal.iom@example.org", agency="IOM", name="Ivana Ortiz")


def _open_form(page, live_server, login_as):
    login_as(page, live_server, "focal.iom@example.org")
    page.get_by_role("link", name="Work programme", exact=True).click()
    page.get_by_role("link", name="1.2 (1) Handbook").click()
    page.get_by_role("link", name="Log progress").click()
    page.get_by_label("Percent complete").fill("40")
    page.get_by_label("What happened").fill(NARRATIVE)


def test_a_file_of_the_wrong_kind_is_refused_with_the_text_kept(focal_point, live_server, page, login_as,
                                                                check_a11y, screenshot):
    _open_form(page, live_server, login_as)
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": b"just text, not a PDF"}])
    page.get_by_role("button", name="Save update").click()
    expect(page.locator(".error-summary")).to_contain_text("is named like a PDF file but its content is not one")
    expect(page.get_by_label("What happened")).to_have_value(NARRATIVE)
    expect(page.get_by_label("Percent complete")).to_have_value("40")
    check_a11y(page)
    screenshot(page, "upload-refused-type")


def test_a_file_over_the_limit_is_refused_with_the_text_kept(focal_point, live_server, page, login_as,
                                                             check_a11y, screenshot):
    _open_form(page, live_server, login_as)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "big.pdf", "mimeType": "application/pdf", "buffer": big}])
    page.get_by_role("button", name="Save update").click()
    expect(page.locator(".error-summary")).to_contain_text("is 1.1 MB; attachments can be at most 1 MB")
    expect(page.get_by_label("What happened")).to_have_value(NARRATIVE)
    check_a11y(page)
    screenshot(page, "upload-refused-size")


def test_a_request_over_the_whole_limit_gets_the_413_page(focal_point, live_server, page, login_as,
                                                          check_a11y, screenshot):
    _open_form(page, live_server, login_as)
    huge = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)
    page.get_by_label("Attachments").set_input_files(
        files=[{"name": "huge.pdf", "mimeType": "application/pdf", "buffer": huge}])
    with page.expect_response(lambda r: r.status == 413):
        page.get_by_role("button", name="Save update").click()
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("1 MB")
    check_a11y(page)
    screenshot(page, "upload-refused-413")
