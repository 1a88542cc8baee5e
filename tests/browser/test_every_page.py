"""Every page a signed-in user can reach passes axe at desktop and phone width,
and none scrolls sideways on a phone."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from gmgportal.core.permissions import Role

PHONE = {"width": 360, "height": 740}


def _reachable_paths(app, db) -> list[str]:
    """Pages without URL parameters, plus one of each detail page from the loaded content."""
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
    return paths


@pytest.fixture
def everyone(db, runner, make_user):
    result = runner.invoke(args=["gmg", "load-content"])
    assert result.exit_code == 0, result.output
    from gmgportal.auth.services import get_agency_by_code

    return make_user("everyone@example.org", roles=tuple(Role), agency=get_agency_by_code("IOM"),
                     name="Every Role")


def _shot_name(path: str, width: dict) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in path.strip("/")) or "home"
    return f"every-{slug}-{width['width']}"


def test_every_page_passes_axe_on_desktop_and_phone(app, db, everyone, live_server, page, login_as, check_a11y,
                                                    screenshot):
    login_as(page, live_server, "everyone@example.org")
    paths = _reachable_paths(app, db)
    assert len(paths) >= 15
    for width in ({"width": 1280, "height": 900}, PHONE):
        page.set_viewport_size(width)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, f"{path} answered {response.status}"
            check_a11y(page)
            screenshot(page, _shot_name(path, width))
            if width is PHONE:
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
