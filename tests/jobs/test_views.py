"""Job pages and their refusals, through the test client."""
from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from gmgportal.core.permissions import Role
from gmgportal.jobs import services
from gmgportal.jobs.models import Job, JobState
from gmgportal.jobs.runner import run_job_inline
from tests.jobs.helpers import read_job, writing


@pytest.fixture
def done_job(app, chair):
    with writing():
        job = services.start_job("audit_export", chair, enqueue=False)
    return run_job_inline(job)


def csrf(client, path="/jobs/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_your_jobs_is_in_the_user_menu_and_lists_own_jobs(client, auth, chair, done_job):
    auth.login(chair.email)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/jobs/">Your jobs</a>' in html
    page = client.get("/jobs/").get_data(as_text=True)
    assert "<h1>Your jobs</h1>" in page and "Export the audit log as CSV" in page
    assert f'href="/jobs/{done_job.id}/download"' in page


def test_chair_starts_the_export_and_a_double_click_makes_one_job(client, auth, db, chair):
    auth.login(chair.email)
    page = client.get("/jobs/").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    token = csrf(client)
    first = client.post("/jobs/start/audit_export", data={"csrf_token": token, "idempotency_key": key})
    second = client.post("/jobs/start/audit_export", data={"csrf_token": token, "idempotency_key": key})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    db.session.rollback()
    job = db.session.scalar(sa.select(Job))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    assert job.state is JobState.QUEUED and job.started_by_id == chair.id


def test_focal_point_may_not_start_the_audit_export(client, auth, make_user):
    user = make_user("fp@example.org", roles=(Role.FOCAL_POINT,))
    auth.login(user.email)
    assert "Export the audit log" not in client.get("/jobs/").get_data(as_text=True)
    response = client.post("/jobs/start/audit_export", data={"csrf_token": csrf(client)})
    assert response.status_code == 403
    assert client.post("/jobs/start/nonsense", data={"csrf_token": csrf(client)}).status_code == 404


def test_job_page_has_an_accessible_bar_and_refreshes_without_javascript(client, auth, chair):
    with writing():
        job = services.start_job("audit_export", chair, enqueue=False)
    auth.login(chair.email)
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert '<progress id="job-progress" max="100" value="0"' in html
    assert '<label for="job-progress"' in html
    assert 'role="status" aria-live="polite"' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert 'src="/static/jobs.js"' in html and "<script>" not in html
    assert "Cancel the job" in html


def test_finished_job_page_does_not_refresh_and_offers_the_file(client, auth, chair, done_job):
    auth.login(chair.email)
    html = client.get(f"/jobs/{done_job.id}").get_data(as_text=True)
    assert "http-equiv" not in html
    assert f"Download <span data-job-result-name>{done_job.result_name}</span>" in html
    with client.get(f"/jobs/{done_job.id}/download") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.data.startswith(b'"id","when_utc","who"')


def test_status_json(client, auth, chair, done_job):
    auth.login(chair.email)
    response = client.get(f"/jobs/{done_job.id}/status")
    data = response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    assert data["state"] == "done" and data["percent"] == 100 and data["finished"] is True
    assert data["result"]["url"] == f"/jobs/{done_job.id}/download" and data["result"]["size"] > 0


def test_another_agencys_member_cannot_see_or_download_the_job(client, auth, make_user, done_job):
    other = make_user("someone@ilo.org", roles=(Role.FOCAL_POINT, Role.REVIEWER), agency="ILO")
    auth.login(other.email)
    for path in (f"/jobs/{done_job.id}", f"/jobs/{done_job.id}/status", f"/jobs/{done_job.id}/download",
                 f"/jobs/{done_job.id}/cancel"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/jobs/{done_job.id}/retry", data={"csrf_token": csrf(client)}).status_code == 403
    assert f"/jobs/{done_job.id}" not in client.get("/jobs/").get_data(as_text=True)
    assert client.get("/jobs/?scope=all").get_data(as_text=True).count("<h1>Your jobs</h1>") == 1


def test_anonymous_users_are_sent_to_log_in(client, done_job):
    for path in ("/jobs/", f"/jobs/{done_job.id}", f"/jobs/{done_job.id}/download"):
        assert client.get(path).status_code == 302


def test_admin_sees_everyones_jobs(client, auth, make_user, done_job):
    admin = make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login(admin.email)
    html = client.get("/jobs/?scope=all").get_data(as_text=True)
    assert "<h1>All jobs</h1>" in html and "Chair Person" in html
    with client.get(f"/jobs/{done_job.id}/download") as response:
        assert response.status_code == 200


def test_get_pages_never_write(client, auth, chair, done_job, count_queries):
    auth.login(chair.email)
    with count_queries() as queries:
        for path in ("/jobs/", "/jobs/?scope=all", f"/jobs/{done_job.id}", f"/jobs/{done_job.id}/status",
                     f"/jobs/{done_job.id}/download"):
            with client.get(path) as response:
                assert response.status_code == 200
    writes = [s for s in queries.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_cancel_asks_first_then_cancels(client, auth, chair):
    with writing():
        job = services.start_job("audit_export", chair, enqueue=False)
    auth.login(chair.email)
    page = client.get(f"/jobs/{job.id}/cancel").get_data(as_text=True)
    assert "Cancel “Export the audit log as CSV”?" in page
    response = client.post(f"/jobs/{job.id}/cancel", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert "is cancelled" in response.get_data(as_text=True)
    assert read_job(job.id).state is JobState.CANCELLED


def test_a_failed_job_shows_its_message_and_retry_queues_it_again(client, auth, chair):
    with writing():
        job = services.start_job("audit_export", chair, enqueue=False)
        job.state, job.error = JobState.FAILED, "The worker stopped while this job was running. Retry it."
    auth.login(chair.email)
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "The job failed" in html and "Retry it." in html and "Retry the job" in html
    response = client.post(f"/jobs/{job.id}/retry", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert "queued again (attempt 2)" in response.get_data(as_text=True)
    assert read_job(job.id).state is JobState.QUEUED


def test_start_cancel_and_retry_are_forms_with_csrf(client, auth, chair):
    with writing():
        job = services.start_job("audit_export", chair, enqueue=False)
    auth.login(chair.email)
    for path in ("/jobs/start/audit_export", f"/jobs/{job.id}/cancel", f"/jobs/{job.id}/retry"):
        response = client.post(path, data={"idempotency_key": "abc"})
        assert response.status_code == 400, path
        assert "form" in response.get_data(as_text=True).lower()
    assert read_job(job.id).state is JobState.QUEUED


def test_a_start_form_with_a_bad_key_is_refused_with_a_message(client, auth, db, chair):
    auth.login(chair.email)
    response = client.post("/jobs/start/audit_export", data={"csrf_token": csrf(client),
                                                             "idempotency_key": "<script>" + "x" * 80})
    assert response.status_code == 400
    assert "The form's key is not valid: reload the page and try again." in html.unescape(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_the_job_page_names_who_started_it_through_the_user_lookup(client, auth, chair, done_job, count_queries):
    auth.login(chair.email)
    page = client.get(f"/jobs/{done_job.id}").get_data(as_text=True)
    assert "<dd>Chair Person (UN/DESA)</dd>" in page
