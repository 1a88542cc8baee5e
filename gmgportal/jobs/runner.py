"""Running one job: claim it, run its task with a Progress, store the result, record the end.

Used by the queue's worker and directly (`run_job_inline`, the CLI's
`--no-queue`). A run only proceeds when it can claim the job (queued ->
running for this attempt), so a message delivered twice runs once.

Transactions of a run (this is the job's unit of work, and infrastructure):
- claim, progress, heartbeat and failure are short writes of their own, each
  conditional on the job still running this attempt;
- the task runs in a read transaction (`unit_of_work(writes=False)`): it
  reads, computes, reports and hands over its file;
- the final transaction (`unit_of_work()`) applies the task's writes (the
  `apply` function it returned), stores the result file and marks the job
  done; all of it commits, or none of it (a cancel that landed meanwhile
  leaves nothing). Side effects queued by `apply` (e-mail) leave after it.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app

from gmgportal.core.attachments import UploadRefused, store_bytes, store_file
from gmgportal.core.models import utcnow
from gmgportal.core.sqlite import transaction_mode
from gmgportal.core.uow import unit_of_work
from gmgportal.extensions import db
from gmgportal.jobs.models import Job, JobState
from gmgportal.jobs.progress import JobCancelled, JobFailed, Progress, ProgressListener, update_running
from gmgportal.jobs.registry import UnknownTask, get_task

log = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def temp_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / ".job-temp"


def claim_job(job_id: int, attempt: int) -> bool:
    now = utcnow()
    statement = (sa.update(Job)
                 .where(Job.id == job_id, Job.attempt == attempt, Job.state == JobState.QUEUED)
                 .values(state=JobState.RUNNING, started_at=now, heartbeat_at=now, worker_id=worker_id(),
                         percent=0, message="Starting"))
    with transaction_mode(True), db.engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def execute_job(job_id: int, attempt: int, listener: Optional[ProgressListener] = None) -> Optional[JobState]:
    """Run the job if it is still queued for this attempt; the state it ended in, or None if not run."""
    if not claim_job(job_id, attempt):
        log.info("Job %s attempt %s is no longer queued; not running it.", job_id, attempt)
        return None
    with unit_of_work(writes=False):
        job = db.session.get(Job, job_id, populate_existing=True)
        assert job is not None
        kind = job.kind
        progress = Progress(job_id, attempt, dict(job.params or {}), job.started_by_id, temp_root(), listener)
    heartbeat = _Heartbeat(current_app._get_current_object(), job_id, attempt)  # type: ignore[attr-defined]
    heartbeat.start()
    try:
        return _run(kind, progress)
    finally:
        heartbeat.stop()
        progress.cleanup()
        db.session.rollback()


def run_job_inline(job: Job, listener: Optional[ProgressListener] = None) -> Job:
    """Run a queued job here and now, without the queue (CLI `--no-queue`, tests of a feature's task).

    It runs as a worker would, on committed data: commit the unit of work that started the job first.
    """
    with transaction_mode(False):
        job_id, attempt = job.id, job.attempt
    if _committed_state(job_id, attempt) is not JobState.QUEUED:
        raise RuntimeError(f"Job {job_id} (attempt {attempt}) is not a committed, queued job: "
                           "commit the unit of work that started it, then run it.")
    db.session.rollback()  # a fresh transaction after the run sees what the run wrote
    execute_job(job_id, attempt, listener)
    refreshed = db.session.get(Job, job_id, populate_existing=True)
    assert refreshed is not None
    return refreshed


def _committed_state(job_id: int, attempt: int) -> Optional[JobState]:
    with transaction_mode(False), db.engine.connect() as connection:
        return connection.execute(sa.select(Job.state).where(Job.id == job_id, Job.attempt == attempt)).scalar()


def _run(kind: str, progress: Progress) -> JobState:
    try:
        spec = get_task(kind)
        with unit_of_work(writes=False):  # the task reads; it returns its writes
            apply = spec.run(progress, progress.params)
        return _finish(progress, apply)
    except JobCancelled:
        db.session.rollback()
        return JobState.CANCELLED
    except (JobFailed, UploadRefused, UnknownTask) as error:
        db.session.rollback()
        _fail(progress, str(error))
        return JobState.FAILED
    except Exception as error:
        db.session.rollback()
        log.exception("Job %s (%s) failed", progress.job_id, kind)
        _fail(progress, f"The job stopped because of an unexpected error ({type(error).__name__}). "
                        "Retry it; if it fails again, tell an administrator.")
        return JobState.FAILED


class _NoLongerRunning(Exception):
    """The job was cancelled (or marked lost) while its task ran: its final transaction is undone."""


def _finish(progress: Progress, apply: Optional[Callable[[], None]] = None) -> JobState:
    """Apply the task's writes, store the result and mark the job done in one transaction, or none of it.

    A task reads (its transaction is a read); what it changes, it returns as a function
    (`apply`) that runs here, in the job's one writing transaction.
    """
    db.session.rollback()
    try:
        with unit_of_work():
            if apply is not None:
                apply()
                db.session.flush()
            values = _done_values(progress)
            if not _store_and_mark_done(progress, values):
                raise _NoLongerRunning()
    except _NoLongerRunning:
        return JobState.CANCELLED
    if progress.listener is not None:
        progress.listener(100, values.get("message", progress.message))
    return JobState.DONE


def _done_values(progress: Progress) -> dict:
    values: dict = {"state": JobState.DONE, "percent": 100, "finished_at": utcnow(), "error": ""}
    values["message"] = progress.final_message or (progress.message if progress.percent >= 100 else "") or "Done"
    return values


def _store_and_mark_done(progress: Progress, values: dict) -> bool:
    if progress.result is not None:
        stored = _store_result(progress)
        db.session.flush()
        values.update(result_file_id=stored.id, result_name=progress.result.filename)
    statement = (sa.update(Job)
                 .where(Job.id == progress.job_id, Job.attempt == progress.attempt, Job.state == JobState.RUNNING)
                 .values(**values))
    return db.session.execute(statement).rowcount == 1


def _store_result(progress: Progress):
    result = progress.result
    assert result is not None
    max_bytes = current_app.config.get("JOBS_MAX_RESULT_MB", 200) * 1024 * 1024
    if isinstance(result.data, bytes):
        return store_bytes(result.data, result.filename, (result.kind,), max_bytes)
    with open(result.data, "rb") as stream:
        return store_file(stream, result.filename, (result.kind,), max_bytes)


def _fail(progress: Progress, message: str) -> None:
    update_running(progress.job_id, progress.attempt,
                    {"state": JobState.FAILED, "error": message[:2000], "finished_at": utcnow()})


class _Heartbeat:
    """Tells the world this job's worker is alive, even while the task reports nothing."""

    def __init__(self, app, job_id: int, attempt: int) -> None:
        self.app, self.job_id, self.attempt = app, job_id, attempt
        self.interval = float(app.config.get("JOBS_HEARTBEAT_SECONDS", 5))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _beat(self) -> None:
        with self.app.app_context():
            while not self._stop.wait(self.interval):
                try:
                    if not update_running(self.job_id, self.attempt, {"heartbeat_at": utcnow()}):
                        return
                except Exception:  # a busy database must not kill the job; the next beat retries
                    log.warning("Heartbeat of job %s failed", self.job_id, exc_info=True)
