"""Every page a signed-in user can reach passes axe at desktop and phone width, none
scrolls sideways, no status tag or row name is cut, and scroll regions are Tab stops
only where they scroll."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from gmgportal.core.permissions import Role

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

# Elements that must be seen whole: status tags, each table row's name, the timeline's bars
# and markers. Returns those cut by the viewport or by a box that clips them (a scrolling table).
CLIPPED_JS = """
() => {
  const cut = [];
  const vw = document.documentElement.clientWidth;
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const name = el => (el.textContent || el.getAttribute('class') || el.tagName).trim().slice(0, 40);
  for (const el of document.querySelectorAll('.tag, tbody th[scope=row], svg.timeline .bar, svg.timeline .ms')) {
    if (!shown(el) || el.closest('svg[aria-hidden=true], .timeline-legend')) continue;
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.right > vw + 0.5) {
      cut.push(`${name(el)} (${Math.round(r.left)}..${Math.round(r.right)} of ${vw})`);
      continue;
    }
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX === 'visible') continue;
      const b = box.getBoundingClientRect();
      if (r.left < b.left - 0.5 || r.right > b.right + 0.5) { cut.push(`${name(el)} cut by ${box.className}`); break; }
    }
  }
  return cut;
}
"""

# Every table is the one table component (macros/ui.html data_table), so it works on a phone.
COMPONENT_JS = """
() => [...document.querySelectorAll('main table')].flatMap(table => {
  const name = table.caption ? table.caption.textContent.trim() : table.className;
  const bad = [];
  if (!table.closest('[data-scroll-region]')) bad.push(`${name}: not made with data_table`);
  if (table.querySelector('tbody td:not([colspan]):not([data-label])')) bad.push(`${name}: a cell without data-label`);
  return bad;
})
"""

# A scroll region that is a Tab stop must scroll, and one that scrolls must be a Tab stop.
TAB_STOPS_JS = """
() => [...document.querySelectorAll('[data-scroll-region]')].filter(el => el.offsetParent !== null)
  .filter(el => (el.scrollWidth > el.clientWidth + 1) !== el.hasAttribute('tabindex'))
  .map(el => `${el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')}: `
             + `scrolls ${el.scrollWidth > el.clientWidth + 1}, tab stop ${el.hasAttribute('tabindex')}`)
"""


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


@pytest.fixture
def everyone(db, runner, make_user):
    result = runner.invoke(args=["gmg", "load-content"])
    assert result.exit_code == 0, result.output
    from gmgportal.auth.services import get_agency_by_code

    return make_user("everyone@example.org", roles=tuple(Role), agency=get_agency_by_code("IOM"),
                     name="Every Role")


@pytest.fixture
def samples(db, frozen_clock, everyone, make_user):
    """A chapter with two versions and a compiled edition; a submitted case reviewed by `everyone`,
    and an open assignment proposal: so every handbook and case table has rows."""
    from gmgportal.cases import services as cases
    from gmgportal.cases.models import AssignmentProposal, Recommendation
    from gmgportal.handbook import services as handbook
    from gmgportal.handbook.models import Chapter, Handbook
    from gmgportal.jobs import run_job_inline, start_job

    frozen_clock.freeze("2014-06-02")  # inside the call's window
    chapter = db.session.scalar(sa.select(Chapter).order_by(Chapter.number))
    writer = make_user(agency=chapter.lead_agency, name="Chapter Writer")
    handbook.save_chapter_version(chapter, writer, "## Scope\n\nWhat the chapter covers.", "First draft", 0)
    handbook.save_chapter_version(chapter, writer, "## Scope\n\nWhat the chapter covers, and why.", "", 1)
    db.session.commit()
    job = start_job("handbook_compile", everyone, {"handbook_id": db.session.scalar(sa.select(Handbook.id)),
                                                   "mode": "latest"}, enqueue=False)
    db.session.commit()
    run_job_inline(job)

    call = cases.get_call("egm-2014")
    submitter = make_user(agency="ILO", name="Case Submitter")
    data = cases.SubmissionData(
        title="Mobile phone records for migration flows", organisation="Statistics office", countries=["SEN"],
        data_kinds=["mobile_phone_records"], summary="Call detail records measure migration.",
        method="Anonymised call records.", innovation="New source", replication="Any operator",
        gender="Sex from subscriber data", contact_email=submitter.email, coauthors=[])
    case = cases.create_submission(call, submitter, data)
    cases.submit_case(case)
    assignment = cases.assign_reviewer(case, everyone)
    cases.save_review(assignment, cases.ReviewData(
        scores={c.id: c.max_score for c in call.criteria}, comments_for_authors="Clear and replicable.",
        confidential_comments="A strong case.", recommendation=Recommendation.ACCEPT.value), submit=True)
    proposal = AssignmentProposal(call_id=call.id, created_by_id=everyone.id, pairs=[[everyone.id, case.id, 0.5]],
                                  summary={"total": 0.5, "greedy_total": 0.5})
    db.session.add(proposal)
    db.session.commit()
    return {"chapter": chapter, "call": call, "case": case, "assignment": assignment, "proposal": proposal}


def _shot_name(path: str, width: dict) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in path.strip("/")) or "home"
    return f"every-{slug}-{width['width']}"


def check_layout(page, path: str, width: dict) -> None:
    """No sideways scroll, nothing important cut, Tab stops only on regions that scroll."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width['width']}px"
    cut = page.evaluate(CLIPPED_JS)
    assert not cut, f"{path} at {width['width']}px cuts: {cut}"
    not_component = page.evaluate(COMPONENT_JS)
    assert not not_component, f"{path}: {not_component}"
    wrong = page.evaluate(TAB_STOPS_JS)
    assert not wrong, f"{path} at {width['width']}px: {wrong}"


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
