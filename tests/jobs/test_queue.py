"""The real queue: huey's consumer on the SQLite file and on the Redis server, running the audit export."""
from __future__ import annotations

import csv
import io
import threading

import pytest
import sqlalchemy as sa
from huey import signals

from gmgportal.core.attachments import StoredFile
from gmgportal.jobs import audit_export, services
from gmgportal.jobs.models import Job, JobState
from gmgportal.jobs.progress import Progress
from gmgportal.jobs.queue import PrefixedRedisStorage, get_huey
from tests.conftest import make_config
from tests.jobs.helpers import read_job, wait_for_job, writing
from tests.waiting import wait_until


def runs_handled(app) -> list[tuple]:
    """The (job id, attempt) of each `run_job` message the worker has finished handling (run or skipped)."""
    handled: list[tuple] = []

    @get_huey(app).signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)
    def note(signal, task, *args) -> None:
        if task.name == "gmg.run_job":
            handled.append(tuple(task.args))

    return handled


def export_and_check(chair, total_rows: int) -> Job:
    with writing():
        job = services.start_job("audit_export", chair, idempotency_key="k1")
    job = wait_for_job(job.id)
    assert job.state is JobState.DONE, job.error
    rows = list(csv.reader(io.StringIO(job.result_file.path.read_text(encoding="utf-8"))))
    assert rows[0] == audit_export.COLUMNS
    assert len(rows) - 1 >= total_rows  # the start of the job itself is audited too
    assert job.message == f"Rows {len(rows) - 1:,} of {len(rows) - 1:,}"
    assert job.result_name.startswith("audit-log-") and job.result_file.kind == "csv"
    return job


def test_sqlite_queue_runs_the_audit_export(app, chair, audit_rows, queue_worker):
    from gmgportal.jobs.queue import queue_file

    total = audit_rows(2500)
    assert queue_file(app).exists()
    job = export_and_check(chair, total)
    rows = list(csv.reader(io.StringIO(job.result_file.path.read_text(encoding="utf-8"))))
    things = [row for row in rows if row[audit_export.COLUMNS.index("object_type")] == "Thing"]
    assert len(things) == 2500
    assert things[0][audit_export.COLUMNS.index("object")] == "'=thing 0"  # text, never a formula


def test_a_double_click_starts_one_job_on_the_queue(app, db, chair, queue_worker):
    with writing():
        first = services.start_job("audit_export", chair, idempotency_key="same")
        second = services.start_job("audit_export", chair, idempotency_key="same")
    assert first.id == second.id
    wait_for_job(first.id)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_a_cancelled_queued_job_is_skipped_by_the_worker(app, chair):
    with writing():
        job = services.start_job("audit_export", chair)
        services.cancel_job(job, chair)
    from gmgportal.jobs.worker import start_background_consumer

    handled = runs_handled(app)
    consumer = start_background_consumer(app)
    try:
        wait_until(lambda: (job.id, 1) in handled, message="the worker never took the message")
        stored = read_job(job.id)
        assert stored.state is JobState.CANCELLED and stored.started_at is None
        assert len(get_huey(app)) == 0  # the message was taken and dropped
    finally:
        consumer.shutdown()


def test_cancelling_a_running_export_stops_it(app, db, chair, audit_rows, monkeypatch, request):
    """The export is held after its first batch until the cancel has landed, however slow the machine."""
    monkeypatch.setattr(audit_export, "BATCH_SIZE", 100)
    audit_rows(3000)
    held, release = threading.Event(), threading.Event()
    step = Progress.step

    def step_then_hold(progress, done, total, noun="item"):
        step(progress, done, total, noun)
        if done and not release.is_set():
            held.set()
            release.wait(timeout=60)

    monkeypatch.setattr(Progress, "step", step_then_hold)
    handled = runs_handled(app)
    request.getfixturevalue("queue_worker")
    with writing():
        job = services.start_job("audit_export", chair)
    assert held.wait(timeout=30), "the export never got past its first batch"
    assert read_job(job.id).state is JobState.RUNNING
    with writing():
        services.cancel_job(read_job(job.id), chair)
    release.set()
    wait_until(lambda: (job.id, 1) in handled, message="the export never stopped")
    job = read_job(job.id)
    assert job.state is JobState.CANCELLED and job.result_file_id is None and job.percent < 100
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_an_idle_worker_polls_often_and_takes_a_new_job(app, chair, queue_worker):
    """How fast a click reaches an idle worker is measured by `python -m bench` (latency); here: its
    polling interval is short, and a job started while it idles is taken without another nudge."""
    from gmgportal.jobs.worker import consumer_options

    assert consumer_options(app)["max_delay"] <= 0.1
    with writing():
        job = services.start_job("audit_export", chair)
    job = wait_for_job(job.id)
    assert job.state is JobState.DONE and job.started_at >= job.created_at


@pytest.fixture
def redis_app(database_url, tmp_path, redis_url, redis_keys):
    from gmgportal import create_app
    from gmgportal.extensions import db

    config = make_config(database_url, tmp_path / "uploads", REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_keys,
                         JOBS_HEARTBEAT_SECONDS=0.5)
    app = create_app(config)
    with app.app_context():
        yield app
        get_huey(app).storage.conn.close()
        db.session.remove()
        db.engine.dispose()


def test_redis_queue_runs_the_audit_export_under_its_own_key_prefix(app, redis_app, chair, audit_rows, redis_keys):
    import redis

    from gmgportal.jobs.worker import start_background_consumer

    huey = get_huey(redis_app)
    assert isinstance(huey.storage, PrefixedRedisStorage) and huey.storage.queue_key == f"{redis_keys}:jobs:queue"
    total = audit_rows(500)
    consumer = start_background_consumer(redis_app)
    try:
        export_and_check(chair, total)
    finally:
        consumer.shutdown()
    client = redis.Redis.from_url(redis_app.config["REDIS_URL"])
    foreign = [k for k in client.scan_iter("huey*") if redis_keys.encode() in k]
    assert not foreign  # nothing outside our prefix
    client.close()
