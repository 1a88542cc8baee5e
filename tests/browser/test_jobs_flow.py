"""Background jobs as a chair meets them: start the audit export, watch the bar move, leave, come
back, download the file; a failed job's message and its retry; the page without JavaScript.
Every job page is checked with axe and photographed."""
from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI) before `expect` is needed
    expect = None

from gmgportal.core.permissions import Role
from gmgportal.jobs import audit_export, services
from gmgportal.jobs.models import LOST_MESSAGE, JobState
from tests.jobs.helpers import writing

CHAIR_EMAIL = "chair@example.org"


@pytest.fixture
def chair(make_user):
    return make_user(CHAIR_EMAIL, roles=(Role.CHAIR,), agency="UN/DESA", name="Chair Person")


@pytest.fixture
def slow_export(db, monkeypatch):
    """10,000 audit rows exported 500 at a time, held half-way until the test calls `release()`."""
    import threading

    import sqlalchemy as sa

    from gmgportal.core.audit import AuditEvent
    from gmgportal.core.models import utcnow
    from gmgportal.jobs.progress import Progress

    rows = [{"at": utcnow(), "actor_label": f"person{i}@example.org", "action": "update", "object_type": "Activity",
             "object_id": str(i), "object_label": f"Activity 1.2 ({i})", "changes": None, "ip_address": ""}
            for i in range(10_000)]
    with db.engine.begin() as conn:
        conn.execute(sa.insert(AuditEvent.__table__), rows)
    monkeypatch.setattr(audit_export, "BATCH_SIZE", 500)
    released = threading.Event()
    step = Progress.step

    def step_and_hold_half_way(progress, done, total, noun="item"):
        step(progress, done, total, noun)
        if 2 * done >= total and done < total and not released.is_set():
            progress._write()  # the page shows this point, whatever the throttle skipped
            released.wait(timeout=60)

    monkeypatch.setattr(Progress, "step", step_and_hold_half_way)
    yield released.set
    released.set()


def checked(page, check_a11y, screenshot, name: str) -> None:
    expect(page.locator("h1")).to_have_count(1)
    check_a11y(page)
    screenshot(page, name)


def test_chair_exports_the_audit_log_watching_the_bar_and_downloads_it(
        live_server, page, login_as, check_a11y, screenshot, chair, slow_export, queue_worker):
    login_as(page, live_server, CHAIR_EMAIL)
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Your jobs").click()
    expect(page).to_have_title("Your jobs – GMG Portal")
    expect(page.get_by_text("You have not started any jobs yet.")).to_be_visible()
    checked(page, check_a11y, screenshot, "jobs-01-your-jobs-empty")

    page.get_by_role("button", name="Export the audit log").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Export the audit log as CSV \(job \d+\)$"))
    expect(page.get_by_role("status").first).to_contain_text("has started")
    bar = page.locator("progress#job-progress")
    expect(page.locator("#job-message")).to_have_text(re.compile(r"^Rows [1-9][\d,]* of 10,0\d\d$"))
    middle = int(bar.get_attribute("value"))
    assert 0 < middle < 100, middle
    expect(page.locator("[data-job-tag]")).to_have_text("Running")
    checked(page, check_a11y, screenshot, "jobs-02-export-running")
    slow_export()  # let the export go on

    job_url = page.url
    page.get_by_role("link", name="Home").first.click()  # leave: the job goes on
    expect(page.locator("h1")).to_have_text("What needs you")
    page.get_by_role("link", name="Your jobs").click()
    page.get_by_role("link", name="Export the audit log as CSV").click()
    assert page.url == job_url
    expect(page.locator("[data-job-tag]")).to_have_text("Done", timeout=30_000)
    expect(page.locator("#job-message")).to_contain_text("is ready to download", timeout=30_000)
    assert bar.get_attribute("value") == "100"
    expect(page.get_by_role("button", name="Retry the job")).to_be_hidden()
    expect(page.get_by_role("link", name="Cancel the job")).to_be_hidden()
    checked(page, check_a11y, screenshot, "jobs-03-export-done")

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"^Download audit-log-")).click()
    download = info.value
    assert re.fullmatch(r"audit-log-\d{4}-\d\d-\d\d\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert lines[0].startswith('"id","when_utc","who"') and len(lines) > 10_000

    page.get_by_role("link", name="Your jobs").first.click()
    expect(page.get_by_role("cell", name="Done")).to_be_visible()
    checked(page, check_a11y, screenshot, "jobs-04-your-jobs-list")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(job_url)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    screenshot(page, "jobs-05-export-done-phone")


def test_a_job_whose_worker_stopped_says_so_and_retry_succeeds(
        live_server, page, login_as, check_a11y, screenshot, chair, queue_worker):
    with writing():
        job = services.start_job("audit_export", chair, enqueue=False)
        job.state, job.percent, job.message, job.error = JobState.FAILED, 40, "Rows 400 of 1,000", LOST_MESSAGE
    login_as(page, live_server, CHAIR_EMAIL)
    page.goto(f"{live_server.url}/jobs/{job.id}")
    expect(page.get_by_role("heading", name="The job failed")).to_be_visible()
    expect(page.get_by_text(LOST_MESSAGE)).to_be_visible()
    checked(page, check_a11y, screenshot, "jobs-06-failed-worker-stopped")

    page.get_by_role("button", name="Retry the job").click()
    expect(page.get_by_role("status").first).to_contain_text("queued again (attempt 2)")
    expect(page.locator("[data-job-tag]")).to_have_text("Done", timeout=30_000)
    expect(page.get_by_role("heading", name="The job failed")).to_be_hidden()
    expect(page.get_by_role("link", name=re.compile(r"^Download audit-log-"))).to_be_visible()


def test_cancel_asks_first(live_server, page, login_as, check_a11y, screenshot, chair):
    with writing():
        job = services.start_job("audit_export", chair, enqueue=False)  # no worker: it stays queued
    login_as(page, live_server, CHAIR_EMAIL)
    page.goto(f"{live_server.url}/jobs/{job.id}")
    expect(page.locator("[data-job-tag]")).to_have_text("Queued")
    page.get_by_role("link", name="Cancel the job").click()
    checked(page, check_a11y, screenshot, "jobs-07-cancel-confirm")
    page.get_by_role("button", name="Cancel the job").click()
    expect(page.locator("[data-job-tag]")).to_have_text("Cancelled")
    expect(page.get_by_role("button", name="Retry the job")).to_be_visible()


def test_without_javascript_the_job_page_refreshes_until_done(live_server, browser, chair, login_as, db,
                                                                queue_worker):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        login_as(page, live_server, CHAIR_EMAIL)
        page.goto(f"{live_server.url}/jobs/")
        page.get_by_role("button", name="Export the audit log").click()
        expect(page.locator("[data-job-tag]")).to_have_text("Done", timeout=30_000)  # by meta refresh
        expect(page.get_by_role("link", name=re.compile(r"^Download audit-log-"))).to_be_visible()
    finally:
        context.close()
