"""The progress helper and the job's state changes, without a queue."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import sqlalchemy as sa

from gmgportal.core.attachments import StoredFile
from gmgportal.jobs import services
from gmgportal.jobs.models import LOST_MESSAGE, Job, JobState
from gmgportal.jobs.progress import JobCancelled, JobFailed, Progress
from gmgportal.jobs.registry import add_tasks, register_task
from gmgportal.jobs.runner import claim_job, execute_job, run_job_inline, temp_root
from gmgportal.jobs.upkeep import reap_lost_jobs
from tests.jobs.helpers import read_job, writing

CALLS: list[str] = []


@register_task("test_steps", title="Test: three steps", may_start=lambda user: True, listed=False)
def three_steps(progress: Progress, params: dict) -> None:
    for number in range(1, 4):
        progress.step(number, 3, "step")
    if params.get("fail"):
        raise JobFailed("The file has no header row. Add one and start again.")
    if params.get("crash"):
        raise RuntimeError("secret internal detail /etc/passwd")
    progress.finish_with_file(b"a,b\n1,2\n", "steps.csv", "csv")


@register_task("test_wrong_kind", title="Test: not a PDF", may_start=lambda user: True, listed=False)
def wrong_kind(progress: Progress, params: dict) -> None:
    progress.finish_with_file(b"plain words, not a pdf", "report.pdf", "pdf")


@register_task("test_cancel_me", title="Test: cancelled midway", may_start=lambda user: True, listed=False)
def cancelled_midway(progress: Progress, params: dict) -> None:
    progress.update(10, "first half")
    _cancel_elsewhere(progress.job_id)  # as a chair's request would, meanwhile
    CALLS.append("before")
    progress.check_cancelled()
    CALLS.append("after")  # never reached: the check notices the cancellation


def _cancel_elsewhere(job_id: int) -> None:
    from gmgportal.core.models import utcnow
    from gmgportal.extensions import db

    with db.engine.begin() as conn:
        conn.execute(sa.update(Job).where(Job.id == job_id).values(state=JobState.CANCELLED, finished_at=utcnow()))


@pytest.fixture(autouse=True)
def _test_tasks(app):
    """This module's tasks, on this test's app only."""
    add_tasks(app, three_steps, wrong_kind, cancelled_midway)


@pytest.fixture
def user(make_user):
    return make_user()


def start(kind: str, user, params: dict | None = None, **kwargs) -> Job:
    """Start a job (not queued) as a request would: in a unit of work that commits."""
    with writing():
        job = services.start_job(kind, user, params, enqueue=False, **kwargs)
    return job


def _progress(job: Job, **kwargs) -> Progress:
    assert claim_job(job.id, job.attempt)
    return Progress(job.id, job.attempt, {}, job.started_by_id, temp_root(), **kwargs)


def test_update_writes_percent_and_message_and_clamps(app, user):
    job = start("test_steps", user)
    progress = _progress(job, min_interval=0)
    progress.update(150, "  chapter 7\nof   20 ")
    stored = read_job(job.id)
    assert (stored.percent, stored.message) == (100, "chapter 7 of 20")
    progress.update(-5, "x" * 400)
    stored = read_job(job.id)
    assert stored.percent == 0 and len(stored.message) == 255


def test_step_says_how_far_in_words(app, user):
    job = start("test_steps", user)
    progress = _progress(job, min_interval=0)
    progress.step(2000, 10000, "row")
    assert (read_job(job.id).percent, read_job(job.id).message) == (20, "Rows 2,000 of 10,000")
    progress.step(1, 1, "chapter")
    assert read_job(job.id).message == "Chapter 1 of 1"


def test_updates_are_throttled_but_the_listener_sees_every_one(app, user):
    seen = []
    job = start("test_steps", user)
    progress = _progress(job, min_interval=60, listener=lambda p, m: seen.append(p))
    for percent in range(0, 100, 10):
        progress.update(percent, f"{percent}")
    assert progress.writes == 1  # the first; the rest within the interval are not written
    progress.update(100, "last")
    assert progress.writes == 2 and read_job(job.id).percent == 100
    assert seen == list(range(0, 100, 10)) + [100]


def test_update_on_a_cancelled_job_stops_the_task(app, user):
    job = start("test_steps", user)
    progress = _progress(job, min_interval=0)
    with writing():
        services.cancel_job(job, user)
    with pytest.raises(JobCancelled):
        progress.update(50, "halfway")
    with pytest.raises(JobCancelled):
        progress.check_cancelled()


def test_start_job_records_a_queued_job_and_an_audit_event(app, db, user):
    from gmgportal.core.audit import AuditEvent

    job = start("test_steps", user, {"x": 1})
    assert (job.state, job.percent, job.attempt, job.params) == (JobState.QUEUED, 0, 1, {"x": 1})
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "job_started"))
    assert event.actor_id == user.id and event.object_type == "Job"


def test_a_job_runs_to_done_with_its_file_stored_like_an_attachment(app, db, user):
    job = start("test_steps", user)
    job = run_job_inline(job)
    assert (job.state, job.percent, job.error) == (JobState.DONE, 100, "")
    assert job.result_name == "steps.csv" and job.result_file.kind == "csv"
    assert job.result_file.path.read_bytes() == b"a,b\n1,2\n"
    assert job.started_at <= job.finished_at
    assert not temp_root().exists() or not any(temp_root().iterdir())  # the run's temporary folder is gone


def test_a_message_runs_once_even_when_delivered_twice(app, user):
    job = start("test_steps", user)
    assert execute_job(job.id, job.attempt) is JobState.DONE
    assert execute_job(job.id, job.attempt) is None


def test_a_failing_task_shows_its_own_message(app, user):
    job = run_job_inline(start("test_steps", user, {"fail": True}))
    assert job.state is JobState.FAILED
    assert job.error == "The file has no header row. Add one and start again."
    assert job.result_file_id is None and job.finished_at is not None


def test_an_unexpected_error_shows_no_traceback_or_detail(app, user, caplog):
    job = run_job_inline(start("test_steps", user, {"crash": True}))
    assert job.state is JobState.FAILED
    assert "RuntimeError" in job.error and "Retry" in job.error
    assert "Traceback" not in job.error and "/etc/passwd" not in job.error
    assert "secret internal detail" in caplog.text  # but the log has it for the administrator


def test_a_refused_result_fails_the_job_and_stores_nothing(app, db, user):
    job = run_job_inline(start("test_wrong_kind", user))
    assert job.state is JobState.FAILED and "its content is not one" in job.error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_a_task_that_ends_after_being_cancelled_keeps_nothing(app, db, user):
    job = start("test_steps", user)
    progress = _progress(job)
    progress.finish_with_file(b"a,b\n", "late.csv", "csv")
    _cancel_elsewhere(job.id)
    from gmgportal.jobs.runner import _finish

    assert _finish(progress) is JobState.CANCELLED
    assert read_job(job.id).result_file_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_a_task_cancelled_midway_stops_and_keeps_nothing(app, db, user):
    CALLS.clear()
    job = run_job_inline(start("test_cancel_me", user))
    assert job.state is JobState.CANCELLED and CALLS == ["before"]
    assert job.result_file_id is None


def test_retry_queues_a_new_attempt_of_a_failed_job(app, user):
    job = run_job_inline(start("test_steps", user, {"fail": True}))
    assert services.can_retry(job)
    with writing():
        job.params = {}
        services.retry_job(job, user)
    assert (job.state, job.attempt, job.error, job.percent) == (JobState.QUEUED, 2, "", 0)
    assert execute_job(job.id, 1) is None  # the old attempt's message no longer runs
    assert execute_job(job.id, 2) is JobState.DONE


def test_done_and_running_jobs_cannot_be_retried(app, user):
    job = run_job_inline(start("test_steps", user))
    assert not services.can_retry(job)
    assert services.retry_job(job, user).attempt == 1


def test_cancel_a_queued_job_and_its_message_is_skipped(app, user):
    job = start("test_steps", user)
    with writing():
        services.cancel_job(job, user)
    assert job.state is JobState.CANCELLED and "Cancelled by" in job.message
    assert execute_job(job.id, job.attempt) is None


def test_the_same_idempotency_key_gives_the_same_job(app, db, user, make_user):
    first = start("test_steps", user, idempotency_key="abc")
    again = start("test_steps", user, idempotency_key="abc")
    other_user = start("test_steps", make_user(), idempotency_key="abc")
    assert again.id == first.id and other_user.id != first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 2


def test_a_job_whose_worker_vanished_reads_as_failed_and_is_reaped(app, user):
    from datetime import timedelta

    from gmgportal.core.models import utcnow

    job = start("test_steps", user)
    assert claim_job(job.id, job.attempt)
    job = read_job(job.id)
    later = utcnow() + timedelta(seconds=60)
    assert job_status_state(job, later) == ("failed", LOST_MESSAGE)
    assert read_job(job.id).state is JobState.RUNNING  # reading changed nothing
    assert reap_lost_jobs(later) == 1
    job = read_job(job.id)
    assert (job.state, job.error) == (JobState.FAILED, LOST_MESSAGE) and services.can_retry(job)


def test_a_running_job_of_a_live_worker_is_not_reaped(app, db, user):
    job = start("test_steps", user)
    assert claim_job(job.id, job.attempt)  # this process is the worker, and it is alive
    db.session.rollback()
    assert reap_lost_jobs() == 0
    assert read_job(job.id).state is JobState.RUNNING


def test_a_job_of_a_dead_local_worker_is_reaped_at_once(app, db, user):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job = start("test_steps", user)
    assert claim_job(job.id, job.attempt)
    with db.engine.begin() as conn:
        conn.execute(sa.update(Job).where(Job.id == job.id).values(worker_id=f"{socket.gethostname()}:{dead.pid}"))
    db.session.rollback()  # see what the other connections wrote
    assert reap_lost_jobs() == 1
    assert read_job(job.id).error == LOST_MESSAGE


def job_status_state(job: Job, now) -> tuple[str, str]:
    from flask import current_app

    with current_app.test_request_context():
        status = services.job_status(job, now)
    return status["state"], status["error"]
