"""The pages people use most, on a 360 px phone as of 13 May 2014: tables become stacked
rows whose cells name their column, the audit log scrolls with a visible cue, and the
timeline re-lays itself so every bar and marker is on screen. Photographed for review."""
from __future__ import annotations

import sqlalchemy as sa

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

from gmgportal.core.permissions import Role
from tests.browser.layout import CLIPPED_JS, PHONE, check_layout

TABLET = {"width": 700, "height": 900}
SMALL_LAPTOP = {"width": 840, "height": 900}  # just above the 52rem switch


def _programme(db, runner, make_user):
    result = runner.invoke(args=["gmg", "load-content"])
    assert result.exit_code == 0, result.output
    from gmgportal.auth.services import get_agency_by_code

    make_user("chair@example.org", roles=(Role.CHAIR, Role.ADMIN), agency=get_agency_by_code("UN/DESA"),
              name="Bela Hovy")


def test_phone_pages_stack_tables_and_show_whole_tags(db, runner, make_user, frozen_clock, live_server, page,
                                                      login_as, check_a11y, screenshot):
    from gmgportal.programme.models import Activity

    _programme(db, runner, make_user)
    activity = db.session.scalar(sa.select(Activity).where(Activity.milestones.any()).order_by(Activity.id))
    page.set_viewport_size(PHONE)
    login_as(page, live_server, "chair@example.org")
    pages = {
        "overview": "/programme/twg1/",
        "activity": f"/programme/activities/{activity.id}",
        "timeline": "/programme/twg1/timeline",
        "engagement": "/programme/twg1/engagement",
        "admin-users": "/admin/users",
        "audit": "/admin/audit",
        "home": "/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        check_a11y(page)
        screenshot(page, f"phone-{name}")
        check_layout(page, path, PHONE)
    # Between phone and desktop (a small tablet) no table cuts a tag or a row's name either:
    # tables stack, and the timeline is the phone one, up to 52rem.
    for width in (TABLET, SMALL_LAPTOP):
        page.set_viewport_size(width)
        for name, path in pages.items():
            page.goto(live_server.url + path)
            check_layout(page, path, width)
    page.set_viewport_size(PHONE)

    # Stacked rows: the column name shows beside each value, the header row is out of sight.
    page.goto(live_server.url + "/programme/twg1/")
    status_cell = page.locator(".activity-table td[data-label=Status]").first
    label = status_cell.evaluate("el => getComputedStyle(el, '::before').content")
    assert label == '"Status"'
    assert page.locator(".activity-table thead").first.bounding_box()["height"] <= 1
    expect(status_cell.locator(".tag")).to_be_visible()
    # Every output's table has the same columns, so Status does not move at desktop width either.
    page.set_viewport_size({"width": 1280, "height": 900})
    lefts = page.locator(".activity-table thead th:nth-child(2)").evaluate_all(
        "els => els.map(el => Math.round(el.getBoundingClientRect().left))")
    assert len(lefts) >= 2 and len(set(lefts)) == 1, lefts
    page.set_viewport_size(PHONE)

    # The audit log keeps its columns and says that it scrolls; it is a Tab stop because it scrolls.
    page.goto(live_server.url + "/admin/audit")
    region = page.get_by_role("region", name="Audit events")
    expect(region.get_by_text("Scroll sideways for more columns")).to_be_visible()
    assert region.get_attribute("tabindex") == "0"
    # The date field keeps the site's 3 px focus ring while its picker is in use.
    page.get_by_label("From").focus()
    ring = page.get_by_label("From").evaluate(
        "el => getComputedStyle(el).outlineWidth + ' ' + getComputedStyle(el).outlineStyle")
    assert ring == "3px solid"


def test_phone_timeline_shows_every_bar_and_marker(db, runner, make_user, frozen_clock, live_server, page,
                                                   login_as, screenshot):
    _programme(db, runner, make_user)
    page.set_viewport_size(PHONE)
    login_as(page, live_server, "chair@example.org")
    page.goto(live_server.url + "/programme/twg1/timeline")
    screenshot(page, "phone-timeline-chart")
    expect(page.locator("svg.timeline-wide")).to_be_hidden()
    chart = page.locator("svg.timeline-phone")
    expect(chart).to_be_visible()
    bars, markers = chart.locator(".bar"), chart.locator(".ms")
    assert bars.count() >= 5 and markers.count() >= 4  # as many as the wide chart draws
    assert bars.count() == page.locator("svg.timeline-wide .bar").count()
    assert markers.count() == page.locator("svg.timeline-wide .ms").count()
    for item in bars.all() + markers.all():
        box = item.bounding_box()
        assert box and box["width"] > 0 and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], box
    expect(chart.locator(".today-label")).to_be_visible()  # a line on the chart, or an arrow to today
    assert page.evaluate(CLIPPED_JS) == []
    # The table under the chart lists the activities with their periods and statuses.
    table = page.get_by_role(
        "table", name="Activities shown on the timeline, with their periods, statuses and milestones")
    first = table.locator("tbody tr").first
    expect(first.locator("td[data-label=Period]")).to_contain_text(" to ")
    expect(first.locator("td[data-label=Status] .tag")).to_be_visible()


def test_handbook_board_and_case_ranking_are_cards_headed_by_their_row_name(everyone, samples, live_server, page,
                                                                            login_as, check_a11y, screenshot):
    """On a phone each chapter and each ranked case is a card whose first line is its name (the
    row header), above the chapter number or the checkbox that come first on a desktop."""
    page.set_viewport_size(PHONE)
    login_as(page, live_server, "everyone@example.org")
    checks = {"handbook-board": ("/handbook/", ".board-table", "No."),
              "cases-ranking": (f"/cases/{samples['call'].slug}/ranking", ".ranking-table", "Choose")}
    for name, (path, table, first_column) in checks.items():
        page.goto(live_server.url + path)
        check_a11y(page)
        screenshot(page, f"phone-{name}")
        check_layout(page, path, PHONE)
        row = page.locator(f"{table} tbody tr").first
        header = row.locator("th[scope=row]").bounding_box()
        first = row.locator(f"td[data-label='{first_column}']").bounding_box()
        assert header["y"] + header["height"] <= first["y"] + 0.5, f"{name}: the row's name is not on top"
        assert page.locator(f"{table} thead").bounding_box()["height"] <= 1


def test_phone_case_forms_keep_checkboxes_beside_labels_and_the_country_filter(everyone, samples, live_server, page,
                                                                                login_as, check_a11y, screenshot):
    """At 360 px the ranking's filter checkbox sits on its label's line (it floated above it), and the
    submission form's country filter box and list fit the screen and work."""
    page.set_viewport_size(PHONE)
    login_as(page, live_server, "everyone@example.org")
    ranking = f"/cases/{samples['call'].slug}/ranking"
    page.goto(live_server.url + ranking)
    check_a11y(page)
    screenshot(page, "phone-cases-ranking-filters")
    check_layout(page, ranking, PHONE)
    box = page.locator("#disagreement").bounding_box()
    label = page.locator("label[for=disagreement]").bounding_box()
    assert box["x"] + box["width"] <= label["x"], (box, label)  # beside it, on the left
    assert label["y"] - 2 <= box["y"] and box["y"] + box["height"] <= label["y"] + label["height"] + 2, (box, label)
    form = f"/cases/{samples['call'].slug}/submissions/new"
    page.goto(live_server.url + form)
    check_a11y(page)
    check_layout(page, form, PHONE)
    page.get_by_label("Find countries by name").fill("ken")
    expect(page.locator("#countries-filter-count")).to_contain_text("1 of 249 match")
    page.locator("#countries").select_option("KEN")
    expect(page.locator("#countries-chosen")).to_have_text("Chosen: Kenya.")
    screenshot(page, "phone-cases-country-filter")
    for selector in ("#countries-filter", "#countries"):
        field = page.locator(selector).bounding_box()
        assert field["x"] >= 0 and field["x"] + field["width"] <= PHONE["width"], (selector, field)
