"""The real queue: huey's consumer on the SQLite file and on the Redis server, running the audit export."""
from __future__ import annotations

import csv
import io
import time

import pytest
import sqlalchemy as sa

from gmgportal.jobs import audit_export, services
from gmgportal.jobs.models import Job, JobState
from gmgportal.jobs.queue import PrefixedRedisStorage, get_huey
from tests.conftest import make_config
from tests.jobs.helpers import read_job, wait_for_job, writing


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

    consumer = start_background_consumer(app)
    try:
        time.sleep(0.5)
        assert read_job(job.id).state is JobState.CANCELLED and read_job(job.id).started_at is None
        assert len(get_huey(app)) == 0  # the message was taken and dropped
    finally:
        consumer.shutdown()


def test_cancelling_a_running_export_stops_it(app, chair, audit_rows, monkeypatch, request):
    monkeypatch.setattr(audit_export, "BATCH_SIZE", 100)
    monkeypatch.setattr(audit_export, "BATCH_PAUSE_SECONDS", 0.05)
    audit_rows(3000)
    request.getfixturevalue("queue_worker")
    with writing():
        job = services.start_job("audit_export", chair)
    wait_for_job(job.id, until=lambda j: j.percent >= 10)
    with writing():
        services.cancel_job(read_job(job.id), chair)
    time.sleep(0.5)
    job = read_job(job.id)
    assert job.state is JobState.CANCELLED and job.result_file_id is None and job.percent < 100


def test_the_click_reaches_an_idle_worker_quickly(app, chair, queue_worker):
    time.sleep(0.3)  # the worker is idle, polling at its slowest
    with writing():
        job = services.start_job("audit_export", chair)
    job = wait_for_job(job.id)
    assert (job.started_at - job.created_at).total_seconds() < 0.5


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
