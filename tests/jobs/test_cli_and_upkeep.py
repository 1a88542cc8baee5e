"""`flask gmg jobs`, `flask gmg jobs run --no-queue` and the removal of old results."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from gmgportal.core.attachments import StoredFile
from gmgportal.core.models import utcnow
from gmgportal.jobs import services, upkeep
from gmgportal.jobs.models import JobState
from gmgportal.jobs.runner import run_job_inline
from tests.jobs.helpers import read_job, writing


def test_jobs_run_without_the_queue_shows_a_bar_and_writes_the_file(runner, chair, tmp_path, audit_rows):
    audit_rows(50)
    output = tmp_path / "audit.csv"
    result = runner.invoke(args=["gmg", "jobs", "run", "audit_export", "--as", chair.email, "--no-queue",
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "running here, without the queue" in result.output and "Done: audit-log-" in result.output
    assert output.read_text(encoding="utf-8").startswith('"id","when_utc","who"')


def test_jobs_lists_recent_jobs(runner, chair):
    with writing():
        services.start_job("audit_export", chair, enqueue=False)
    result = runner.invoke(args=["gmg", "jobs"])
    assert result.exit_code == 0
    assert "queued" in result.output and "Export the audit log as CSV" in result.output and chair.email in result.output


def test_jobs_run_refuses_a_user_who_may_not(runner, make_user):
    user = make_user("fp@example.org")
    result = runner.invoke(args=["gmg", "jobs", "run", "audit_export", "--as", user.email, "--no-queue"])
    assert result.exit_code != 0 and "may not start" in result.output


def test_old_result_files_are_removed_and_recent_ones_kept(app, db, chair):
    with writing():
        old = services.start_job("audit_export", chair, enqueue=False)
    old = run_job_inline(old)
    path = old.result_file.path
    assert path.exists()
    with writing():
        assert upkeep.remove_expired_results() == 0
        assert upkeep.remove_expired_results(utcnow() + timedelta(days=8)) == 1
    job = read_job(old.id)
    assert job.result_file_id is None and job.result_removed_at is not None and job.state is JobState.DONE
    assert not path.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_a_result_file_another_record_still_uses_is_kept(app, db, chair):
    with writing():
        first = services.start_job("audit_export", chair, enqueue=False)
    first = run_job_inline(first)
    with writing():
        second = services.start_job("audit_export", chair, enqueue=False)
        second.state, second.result_file_id, second.finished_at = JobState.DONE, first.result_file_id, utcnow()
    with writing():
        first.finished_at = utcnow() - timedelta(days=30)
    with writing():
        assert upkeep.remove_expired_results() == 1
    assert read_job(second.id).result_file.path.exists()
