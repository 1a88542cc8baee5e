"""The job queue's overhead: click-to-start latency with an idle worker, and trivial jobs per second,
on the SQLite queue and (when a Redis server answers) on Redis. Job records live in a SQLite database
in a temporary folder, as in development."""
from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from config import DevelopmentConfig
from gmgportal.jobs.registry import add_tasks, register_task

LATENCY_SAMPLES = 25
THROUGHPUT_JOBS = 300
_started: dict[int, float] = {}


@register_task("bench_noop", title="Benchmark: do nothing", may_start=lambda user: True, listed=False)
def _noop(progress, params: dict) -> None:
    _started[progress.job_id] = time.perf_counter()


def _redis_url() -> str | None:
    url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        client.ping()
        client.close()
        return url
    except Exception:
        return None


def _make_app(folder: Path, redis_url: str = "", prefix: str = "gmgbench"):
    from gmgportal import create_app
    from gmgportal.extensions import db

    config = type("BenchConfig", (DevelopmentConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}", "UPLOAD_FOLDER": str(folder / "uploads"),
        "JOBS_QUEUE_FILE": str(folder / "queue.sqlite3"), "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix,
        "PASSWORD_HASH_MEMORY_KIB": 8, "PASSWORD_HASH_TIME_COST": 1})
    app = create_app(config)
    add_tasks(app, _noop)
    with app.app_context():
        db.create_all()
    return app


def _wait(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("jobs did not finish")
        time.sleep(0.002)


def _done_count() -> int:
    from gmgportal.core.uow import unit_of_work
    from gmgportal.extensions import db
    from gmgportal.jobs.models import Job, JobState

    with unit_of_work(writes=False):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == JobState.DONE))


def _click(user) -> int:
    """What the POST request does: record the job in one unit of work; it is queued when that commits."""
    from gmgportal.core.uow import unit_of_work
    from gmgportal.jobs.services import start_job

    with unit_of_work():
        job_id = start_job("bench_noop", user).id
    return job_id


def _measure(app, label: str) -> list[str]:
    from gmgportal.auth.models import Agency
    from gmgportal.auth.services import create_user
    from gmgportal.jobs.worker import start_background_consumer

    lines = []
    _started.clear()  # job ids start again at 1 in each run's database
    with app.app_context():
        from gmgportal.core.uow import unit_of_work

        with unit_of_work():
            agency = Agency(code="BENCH", name="Bench")
            user = create_user(f"bench-{uuid.uuid4().hex[:6]}@example.org", "Bench", agency, "bench password 1")
        consumer = start_background_consumer(app, workers=1)
        try:
            latencies = []
            for _ in range(LATENCY_SAMPLES):
                time.sleep(0.3)  # let the worker go idle, polling at its slowest
                clicked = time.perf_counter()
                job_id = _click(user)
                _wait(lambda: job_id in _started)
                latencies.append((_started[job_id] - clicked) * 1000)
            latencies.sort()
            lines.append(f"{label}: click to job start, idle worker: median {statistics.median(latencies):.0f} ms, "
                         f"p90 {latencies[int(len(latencies) * 0.9) - 1]:.0f} ms, max {latencies[-1]:.0f} ms "
                         f"({LATENCY_SAMPLES} jobs)")
        finally:
            consumer.shutdown()
        for workers in (1, 2):
            before = _done_count()
            consumer = start_background_consumer(app, workers=workers)
            try:
                began = time.perf_counter()
                for _ in range(THROUGHPUT_JOBS):
                    _click(user)
                enqueued = time.perf_counter() - began
                _wait(lambda: _done_count() >= before + THROUGHPUT_JOBS)
                elapsed = time.perf_counter() - began
            finally:
                consumer.shutdown()
            lines.append(f"{label}: {THROUGHPUT_JOBS / elapsed:.0f} trivial jobs/s with {workers} worker thread(s) "
                         f"({THROUGHPUT_JOBS} jobs in {elapsed:.2f} s; starting them took {enqueued:.2f} s)")
    return lines


def run() -> list[str]:
    import logging

    logging.getLogger("huey").setLevel(logging.WARNING)
    lines = []
    with tempfile.TemporaryDirectory(prefix="gmg-bench-jobs-") as folder:
        lines += _measure(_make_app(_mkdir(Path(folder) / "sqlite")), "SQLite queue")
        url = _redis_url()
        if url is None:
            lines.append("Redis queue: skipped (no Redis server answers; set BENCH_REDIS_URL)")
            return lines
        prefix = f"gmgbench-{uuid.uuid4().hex[:8]}"
        app = _make_app(_mkdir(Path(folder) / "redis"), url, prefix)
        try:
            lines += _measure(app, "Redis queue")
        finally:
            _delete_keys(url, prefix)
    return lines


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _delete_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()
