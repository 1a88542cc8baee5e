"""The task queue: huey, on a SQLite file by default and on Redis when REDIS_URL is set.

One huey instance per app, created on first use. It knows a single task,
`run_job(job_id, attempt)`: what to run is in the Job row, so a queue message
is two integers and every feature's task goes through the same runner.
The queue knows the runner and the upkeep, never the services that start
jobs (they call `enqueue_job`). Two periodic tasks mark jobs of vanished workers failed and remove old
result files.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab, signals
from huey.storage import RedisStorage

from gmgportal.core.uow import unit_of_work
from gmgportal.jobs import runner, upkeep

log = logging.getLogger(__name__)
EXTENSION_KEY = "gmg_huey"


class PrefixedRedisStorage(RedisStorage):
    """huey's Redis storage with every key under our prefix: `<prefix>:jobs:queue`, ..."""

    def __init__(self, name: str = "huey", key_prefix: str = "gmgportal", **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        base = f"{key_prefix}:jobs"
        self.queue_key = f"{base}:queue"
        self.schedule_key = f"{base}:schedule"
        self.result_key = f"{base}:results"
        self.counter_key = f"{base}:counters"
        self.notify_prefix = f"{base}:notify:"


def queue_file(app: Flask) -> Path:
    configured = app.config.get("JOBS_QUEUE_FILE")
    if configured:
        return Path(configured)
    return Path(app.config["UPLOAD_FOLDER"]).parent / "jobs-queue.sqlite3"


def create_huey(app: Flask) -> Huey:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        huey: Huey = RedisHuey("gmgportal-jobs", results=False, url=redis_url, blocking=True, read_timeout=1,
                               storage_class=PrefixedRedisStorage, key_prefix=app.config["REDIS_KEY_PREFIX"])
    else:
        path = queue_file(app)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("gmgportal-jobs", results=False, filename=str(path), timeout=30)
    _register_tasks(huey, app)
    return huey


def get_huey(app: Flask | None = None) -> Huey:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    huey = app.extensions.get(EXTENSION_KEY)
    if huey is None:
        huey = app.extensions[EXTENSION_KEY] = create_huey(app)
    return huey


def enqueue_job(job_id: int, attempt: int) -> None:
    get_huey().tasks["run_job"](job_id, attempt)


def _register_tasks(huey: Huey, app: Flask) -> None:
    huey.tasks = {}  # type: ignore[attr-defined]

    @huey.task(name="gmg.run_job")
    def run_job(job_id: int, attempt: int) -> None:
        with app.app_context():
            runner.execute_job(job_id, attempt)

    @huey.periodic_task(crontab(minute="*"), name="gmg.reap_lost_jobs")
    def reap_lost_jobs() -> None:
        with app.app_context():
            upkeep.reap_lost_jobs()

    @huey.periodic_task(crontab(minute="17"), name="gmg.remove_expired_results")
    def remove_expired_results() -> None:
        with app.app_context(), unit_of_work():
            upkeep.remove_expired_results()

    @huey.on_startup(name="gmg.reap_on_start")
    def reap_on_start() -> None:
        with app.app_context():
            upkeep.reap_lost_jobs()

    @huey.signal(signals.SIGNAL_INTERRUPTED)
    def interrupted(signal: str, task) -> None:
        """The consumer is stopping now (SIGTERM): the job it ran failed; say so at once."""
        if task.name == "gmg.run_job":
            with app.app_context():
                upkeep.mark_lost(*task.args)

    huey.tasks.update(run_job=run_job, reap_lost_jobs=reap_lost_jobs,  # type: ignore[attr-defined]
                      remove_expired_results=remove_expired_results)
