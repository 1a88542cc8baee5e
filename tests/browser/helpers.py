"""What every browser flow does on each page it reaches."""
from __future__ import annotations

from playwright.sync_api import expect


def visit(page, check_a11y, screenshot, name: str, title: str) -> None:
    """The page has the expected one <h1> and <title>, passes axe, and is photographed."""
    expect(page).to_have_title(f"{title} – GMG Portal")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_have_text(title)
    check_a11y(page)
    screenshot(page, name)


def logout(page) -> None:
    page.get_by_role("button", name="Log out").click()
