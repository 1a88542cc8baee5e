"""Jobs in the unit of work: services flush, the caller commits, the queue hears of a job only once it
is committed; the final transaction applies a task's writes with the job's end, or nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from gmgportal.core.audit import AuditEvent, record_event
from gmgportal.core.models import utcnow
from gmgportal.jobs import Progress, register_task, services
from gmgportal.jobs.models import Job, JobState
from gmgportal.jobs.registry import add_tasks
from gmgportal.jobs.runner import _finish, claim_job, run_job_inline, temp_root
from tests.jobs.helpers import read_job, writing


@register_task("test_noop", title="Test: nothing", may_start=lambda user: True, listed=False)
def noop(progress: Progress, params: dict) -> None:
    progress.update(50, "half")


@register_task("test_writes", title="Test: writes at the end", may_start=lambda user: True, listed=False)
def writes_at_the_end(progress: Progress, params: dict):
    progress.update(50, "read everything")

    def apply() -> None:
        record_event("test_written", None, {"job": progress.job_id}, actor=(None, "test"))
        if params.get("fail_in_apply"):
            raise RuntimeError("the write failed")
        progress.final_message = "Wrote one event."

    return apply


@pytest.fixture(autouse=True)
def _test_tasks(app):
    add_tasks(app, noop, writes_at_the_end)


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def queued(monkeypatch):
    """What reaches the queue: (job id, attempt) pairs."""
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(services, "enqueue_job", lambda job_id, attempt: sent.append((job_id, attempt)))
    return sent


def jobs_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Job))


def written_events(db) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "test_written"))


def test_a_job_is_queued_only_once_its_unit_of_work_commits(app, db, user, queued):
    with writing():
        job = services.start_job("test_noop", user)
        assert queued == []  # flushed, not committed: no worker may see it yet
        job_id = job.id
    assert queued == [(job_id, 1)]
    assert read_job(job_id).state is JobState.QUEUED


def test_a_job_started_in_a_unit_of_work_that_rolls_back_is_neither_kept_nor_queued(app, db, user, queued):
    with pytest.raises(RuntimeError, match="the request failed"), writing():
        services.start_job("test_noop", user)
        raise RuntimeError("the request failed")
    assert queued == [] and jobs_count(db) == 0


def test_retry_is_queued_after_commit_too(app, db, user, queued):
    with writing():
        job = services.start_job("test_noop", user)
        services.cancel_job(job, user)
    with writing():
        services.retry_job(job, user)
        assert queued == [(job.id, 1)]
    assert queued == [(job.id, 1), (job.id, 2)]


def test_a_queue_that_cannot_be_reached_fails_the_committed_job_with_a_message(app, db, user, monkeypatch, caplog):
    def queue_down(job_id: int, attempt: int) -> None:
        raise ConnectionError("connection refused")

    monkeypatch.setattr(services, "enqueue_job", queue_down)
    with writing():
        job = services.start_job("test_noop", user)
    stored = read_job(job.id)
    assert (stored.state, stored.error) == (JobState.FAILED, services.QUEUE_DOWN_MESSAGE)
    assert stored.finished_at is not None and services.can_retry(stored)
    assert "Could not enqueue job" in caplog.text


def test_a_double_click_whose_twin_committed_meanwhile_gets_the_twins_job(app, db, user, queued, monkeypatch):
    """The race: request B checks the key, request A commits its job, B inserts. B's unique-key error
    is caught in a savepoint and B answers with A's job; B's transaction goes on (SQLite and PostgreSQL)."""
    user_id = user.id
    db.session.rollback()
    with db.engine.begin() as other_request:
        other_request.execute(sa.insert(Job.__table__).values(
            kind="test_noop", title="Test: nothing", started_by_id=user_id, params={}, idempotency_key="k",
            state=JobState.QUEUED.value, attempt=1, percent=0, message="", error="", worker_id="",
            created_at=utcnow(), result_name=""))
    twin_id = db.session.scalar(sa.select(Job.id))
    db.session.rollback()
    checks = []
    real_lookup = services._job_by_key

    def lookup_before_the_twin_committed(who, key):
        checks.append(key)
        return None if len(checks) == 1 else real_lookup(who, key)

    monkeypatch.setattr(services, "_job_by_key", lookup_before_the_twin_committed)
    with writing():
        job = services.start_job("test_noop", user, idempotency_key="k")
        assert job.id == twin_id and len(checks) == 2
        record_event("test_written", None, None, actor=(None, "test"))  # the request's other work goes on
    assert jobs_count(db) == 1 and queued == []  # the twin's request queued it, not this one
    assert written_events(db) == 1


def test_run_job_inline_refuses_a_job_not_yet_committed(app, db, user):
    job = services.start_job("test_noop", user, enqueue=False)  # flushed only
    with pytest.raises(RuntimeError, match="commit the unit of work"):
        run_job_inline(job)
    db.session.rollback()


def test_the_final_transaction_applies_the_tasks_writes_with_the_job_done(app, db, user):
    with writing():
        job = services.start_job("test_writes", user, enqueue=False)
    job = run_job_inline(job)
    assert (job.state, job.message) == (JobState.DONE, "Wrote one event.")
    assert written_events(db) == 1


def test_a_failing_apply_keeps_none_of_its_writes_and_fails_the_job(app, db, user):
    with writing():
        job = services.start_job("test_writes", user, {"fail_in_apply": True}, enqueue=False)
    job = run_job_inline(job)
    assert job.state is JobState.FAILED and "RuntimeError" in job.error
    assert written_events(db) == 0


def test_a_job_cancelled_before_its_final_transaction_keeps_none_of_the_tasks_writes(app, db, user):
    from gmgportal.jobs.progress import Progress as RunProgress

    with writing():
        job = services.start_job("test_writes", user, enqueue=False)
    assert claim_job(job.id, job.attempt)
    progress = RunProgress(job.id, job.attempt, {}, user.id, temp_root())
    apply = writes_at_the_end(progress, {})
    with writing():
        services.cancel_job(read_job(job.id), user)
    assert _finish(progress, apply) is JobState.CANCELLED
    assert written_events(db) == 0 and read_job(job.id).state is JobState.CANCELLED
