"""The foundation as a new user meets it: an administrator creates a focal
point, who logs in, changes their password, and runs into the login throttle
and the pages they may not see. Every page is checked with axe and photographed."""
from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

from gmgportal.core.permissions import Role
from tests.browser.helpers import visit

ADMIN_EMAIL = "admin@example.org"
FP_EMAIL = "ana.fernandez@ilo.org"
FP_NAME = "Ana Fernández"
INITIAL_PASSWORD = "initial secret for Ana"
NEW_PASSWORD = "blue river quiet lantern"


@pytest.fixture
def agencies(make_agency):
    make_agency("UN/DESA", "United Nations Department of Economic and Social Affairs")
    return make_agency("ILO", "International Labour Organization")


def no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        wide = page.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            const sticksOut = el => el.getBoundingClientRect().right > width + 1;
            return [...document.querySelectorAll('body *')]
                .filter(el => sticksOut(el) && !sticksOut(el.parentElement))
                .map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right));
        }""")
        raise AssertionError(f"{page.url} scrolls sideways by {overflow}px at {page.viewport_size['width']}px: {wide}")


def mobile_visit(page, check_a11y, screenshot, name: str) -> None:
    """At 360 px wide the page fits (tables scroll in their own box), passes axe, and is photographed."""
    desktop = page.viewport_size
    page.set_viewport_size({"width": 360, "height": 740})
    try:
        no_horizontal_scroll(page)
        check_a11y(page)
        screenshot(page, name)
    finally:
        page.set_viewport_size(desktop)


def log_out(page) -> None:
    page.get_by_role("navigation", name="Your account").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out.")
    expect(page.locator("h1")).to_have_text("Log in")


def submit_login(page, email: str, password: str):
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label(re.compile(r"^Password")).fill(password)
    with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as response:
        page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return response.value


def test_admin_creates_focal_point_who_changes_password_and_meets_the_limits(
        page, live_server, login_as, check_a11y, screenshot, make_user, agencies):
    make_user(ADMIN_EMAIL, roles=(Role.ADMIN,), agency="UN/DESA", name="Portal Admin")
    base = live_server.url

    # The login page, then the administrator's home.
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login")
    visit(page, check_a11y, screenshot, "login", "Log in")
    login_as(page, live_server, ADMIN_EMAIL)
    expect(page.get_by_role("status")).to_contain_text("Welcome, Portal Admin.")
    visit(page, check_a11y, screenshot, "home-admin", "What needs you")
    expect(page.get_by_text("ILO has no active focal point")).to_be_visible()
    mobile_visit(page, check_a11y, screenshot, "home-admin-mobile")

    # Admin > Users > Create a user; an empty form shows the error summary.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    visit(page, check_a11y, screenshot, "admin-users", "Users")
    page.get_by_role("link", name="Create a user").click()
    visit(page, check_a11y, screenshot, "admin-user-form", "Create a user")
    page.get_by_role("button", name="Save user").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Enter the person's name.")).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")
    visit(page, check_a11y, screenshot, "admin-user-form-errors", "Create a user")
    summary.get_by_role("link", name="Enter the person's name.").click()
    expect(page.get_by_label("Full name")).to_be_focused()

    page.get_by_label("Full name").fill(FP_NAME)
    page.get_by_label("E-mail address").fill(FP_EMAIL)
    page.get_by_label("Agency", exact=True).select_option(label="ILO – International Labour Organization")
    page.get_by_role("checkbox", name="Agency focal point").check()
    page.get_by_label("Initial password").fill(INITIAL_PASSWORD)
    page.get_by_role("button", name="Save user").click()
    # The browser keeps the #name fragment (from the error summary link) across the redirect.
    expect(page).to_have_url(re.compile(re.escape(f"{base}/admin/users") + r"(#name)?$"))
    expect(page.get_by_role("status")).to_contain_text(f"User {FP_NAME} ({FP_EMAIL}) created.")
    row = page.get_by_role("row").filter(has_text=FP_EMAIL)
    expect(row).to_contain_text(FP_NAME)
    expect(row).to_contain_text("ILO")
    expect(row).to_contain_text("Agency focal point")
    expect(row).to_contain_text("Active")
    visit(page, check_a11y, screenshot, "admin-users-created", "Users")
    mobile_visit(page, check_a11y, screenshot, "admin-users-mobile")

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Agencies").click()
    visit(page, check_a11y, screenshot, "admin-agencies", "Agencies")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Audit log").click()
    visit(page, check_a11y, screenshot, "admin-audit", "Audit log")
    mobile_visit(page, check_a11y, screenshot, "admin-audit-mobile")
    expect(page.get_by_role("cell", name="login_success").first).to_be_visible()
    log_out(page)

    # The focal point logs in and changes the initial password.
    login_as(page, live_server, FP_EMAIL, INITIAL_PASSWORD)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_have_count(0)
    visit(page, check_a11y, screenshot, "home-focal-point", "What needs you")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name=re.compile(FP_NAME)).click()
    visit(page, check_a11y, screenshot, "account", "Your account")
    page.get_by_role("link", name="Change your password").click()
    visit(page, check_a11y, screenshot, "password", "Change your password")
    page.get_by_label(re.compile(r"^Current password")).fill(INITIAL_PASSWORD)
    page.get_by_label(re.compile(r"^New password")).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(f"{base}/account")
    expect(page.get_by_role("status")).to_contain_text("Your password is changed.")
    log_out(page)
    login_as(page, live_server, FP_EMAIL, NEW_PASSWORD)

    # Pages the focal point may not see, and pages that do not exist.
    response = page.goto(f"{base}/admin/users")
    assert response.status == 403
    visit(page, check_a11y, screenshot, "error-403", "You don't have access to this page")
    expect(page.get_by_role("link", name="Go to your home page")).to_be_visible()
    response = page.goto(f"{base}/no/such/page")
    assert response.status == 404
    visit(page, check_a11y, screenshot, "error-404", "Page not found")
    page.goto(f"{base}/")
    log_out(page)

    # Five wrong passwords are answered plainly; the sixth, and even the right one after it, are throttled.
    for attempt in range(5):
        response = submit_login(page, FP_EMAIL, f"wrong password {attempt}")
        assert response.status == 200
        expect(page.get_by_role("alert")).to_contain_text("The e-mail address or password is not right.")
    visit(page, check_a11y, screenshot, "login-wrong-password", "Log in")
    throttled = re.compile(r"Too many failed attempts\. Try again in \d+ minutes?\.")
    for password in ("wrong password 5", NEW_PASSWORD):
        response = submit_login(page, FP_EMAIL, password)
        assert response.status == 429
        expect(page.get_by_role("alert")).to_contain_text(throttled)
    visit(page, check_a11y, screenshot, "login-throttled", "Log in")


def tab_until(page, predicate_js: str, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies `predicate_js` (a JS function of the element)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"({predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element matching {predicate_js}")


FOCUS_STYLE_JS = """el => {
  const s = getComputedStyle(el);
  return {outline: parseFloat(s.outlineWidth) || 0, outlineStyle: s.outlineStyle, shadow: s.boxShadow,
          label: el.tagName + ' ' + (el.textContent || el.value || '').trim().slice(0, 40)};
}"""


def assert_focus_visible(page) -> None:
    style = page.evaluate(f"({FOCUS_STYLE_JS})(document.activeElement)")
    has_outline = style["outline"] >= 3 and style["outlineStyle"] != "none"
    assert has_outline or style["shadow"] not in ("", "none"), f"no visible focus indicator on {style}"


def test_keyboard_users_get_a_skip_link_and_a_visible_focus_ring(
        page, live_server, login_as, check_a11y, screenshot, make_user, agencies):
    make_user(ADMIN_EMAIL, roles=(Role.ADMIN,), agency="UN/DESA", name="Portal Admin")

    # On the login page and on a page full of links, the first Tab reaches the skip link,
    # which appears; Enter moves focus to <main>, and the next Tab stays inside it.
    page.goto(f"{live_server.url}/login")
    for where in ("login", "users"):
        if where == "users":
            login_as(page, live_server, ADMIN_EMAIL)
            page.goto(f"{live_server.url}/admin/users")
        skip = page.get_by_role("link", name="Skip to main content")
        expect(skip).not_to_be_in_viewport()
        page.keyboard.press("Tab")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        assert_focus_visible(page)
        screenshot(page, f"keyboard-skip-link-{where}")
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('main').contains(document.activeElement)")

    # Every link and button met while tabbing through the page shows a focus ring.
    page.goto(f"{live_server.url}/admin/users")
    seen = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        tag = page.evaluate("document.activeElement.tagName")
        if tag == "BODY":
            break
        if tag in ("A", "BUTTON"):
            assert_focus_visible(page)
            seen += 1
    assert seen >= 10
    tab_until(page, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Log out'")
    assert_focus_visible(page)
    screenshot(page, "keyboard-focus-log-out")
    check_a11y(page)
