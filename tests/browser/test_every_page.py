"""Every page a signed-in user can reach passes axe at desktop and phone width, none
scrolls sideways, no status tag or row name is cut, and scroll regions are Tab stops
only where they scroll."""
from __future__ import annotations

import sqlalchemy as sa

from tests.browser.layout import DESKTOP, PHONE, check_layout


def _reachable_paths(app, db, samples=None) -> list[str]:
    """Pages without URL parameters, plus one of each detail page from the loaded content
    (and the handbook and case pages of `samples`)."""
    from gmgportal.programme.models import Activity, Output, Theme, WorkingGroup

    paths = sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static"
        and not rule.rule.endswith((".csv", ".xlsx"))
    )
    group = db.session.scalar(sa.select(WorkingGroup))
    activity = db.session.scalar(sa.select(Activity).where(Activity.milestones.any()).order_by(Activity.id))
    output = db.session.scalar(sa.select(Output).order_by(Output.id))
    theme = db.session.scalar(sa.select(Theme).order_by(Theme.id))
    with app.test_request_context():
        from flask import url_for

        paths += [
            url_for("programme.overview", slug=group.slug),
            url_for("programme.timeline", slug=group.slug),
            url_for("programme.engagement", slug=group.slug),
            url_for("programme.theme", slug=group.slug, theme_slug=theme.slug),
            url_for("programme.activity", activity_id=activity.id),
            url_for("programme.new_update", activity_id=activity.id),
            url_for("programme.edit_activity", slug=group.slug, activity_id=activity.id),
            url_for("programme.edit_activity", slug=group.slug),
            url_for("programme.edit_output", slug=group.slug, output_id=output.id),
            url_for("programme.edit_milestone", activity_id=activity.id),
            url_for("programme.findings", slug=group.slug),
            url_for("programme.edit_finding", slug=group.slug),
            url_for("admin.new_agency"),
            url_for("programme.delete_milestone", activity_id=activity.id, milestone_id=activity.milestones[0].id),
            url_for("programme.delete_finding", slug=group.slug, finding_id=group.findings[0].id),
        ]
        if samples:
            paths += [
                url_for("handbook.chapter", chapter_id=samples["chapter"].id),
                url_for("cases.call", slug=samples["call"].slug),
                url_for("cases.manage", slug=samples["call"].slug),
                url_for("cases.ranking", slug=samples["call"].slug),
                url_for("cases.progress", slug=samples["call"].slug),
                url_for("cases.case_admin", submission_id=samples["case"].id),
                url_for("cases.review", assignment_id=samples["assignment"].id),
                url_for("cases.proposal", proposal_id=samples["proposal"].id),
            ]
    return paths


def _shot_name(path: str, width: dict) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in path.strip("/")) or "home"
    return f"every-{slug}-{width['width']}"


def test_every_page_passes_axe_on_desktop_and_phone(app, db, everyone, samples, live_server, page, login_as,
                                                    check_a11y, screenshot):
    login_as(page, live_server, "everyone@example.org")
    paths = _reachable_paths(app, db, samples)
    assert len(paths) >= 15
    for width in (DESKTOP, PHONE):
        page.set_viewport_size(width)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, f"{path} answered {response.status}"
            check_a11y(page)
            screenshot(page, _shot_name(path, width))
            check_layout(page, path, width)
