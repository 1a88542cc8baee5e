"""Starting, cancelling and retrying jobs, their status, and the upkeep of old ones."""
from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from gmgportal.core.attachments import StoredFile, human_size
from gmgportal.core.audit import record_event
from gmgportal.core.models import utcnow
from gmgportal.core.permissions import Role, has_role
from gmgportal.core.sqlite import transaction_mode
from gmgportal.extensions import db
from gmgportal.jobs.models import FINISHED_STATES, LOST_MESSAGE, Job, JobState, heard_of_since
from gmgportal.jobs.registry import get_task

log = logging.getLogger(__name__)
QUEUE_DOWN_MESSAGE = "The job could not be put in the queue (the queue is not reachable). Retry it in a moment."


class JobNotAllowed(PermissionError):
    pass


def _actor(user: Any) -> tuple[Optional[int], str]:
    return (user.id, user.email) if user is not None else (None, "system")


def start_job(kind: str, user: Any, params: dict | None = None, idempotency_key: str | None = None,
              enqueue: bool = True) -> Job:
    """Record a queued job and put it in the queue; the same key from the same user gives the same job."""
    spec = get_task(kind)
    if not spec.may_start(user):
        raise JobNotAllowed(f"You may not start “{spec.title}”.")
    key = (idempotency_key or "").strip()[:64] or None
    if key and (existing := _job_by_key(user, key)) is not None:
        return existing
    job = Job(kind=kind, title=spec.title, started_by_id=user.id if user is not None else None,
              params=dict(params or {}), idempotency_key=key, state=JobState.QUEUED, message="Waiting for a worker")
    db.session.add(job)
    try:
        db.session.flush()
    except IntegrityError:  # the same key, committed by a concurrent request (a double click)
        db.session.rollback()
        existing = _job_by_key(user, key) if key else None
        if existing is None:
            raise
        return existing
    record_event("job_started", job, {"kind": kind, "params": job.params}, actor=_actor(user))
    db.session.commit()
    if enqueue:
        _enqueue(job)
    return job


def _job_by_key(user: Any, key: str) -> Optional[Job]:
    return db.session.scalar(sa.select(Job).where(
        Job.started_by_id == (user.id if user is not None else None), Job.idempotency_key == key))


def _enqueue(job: Job) -> None:
    from gmgportal.jobs.queue import enqueue_job

    try:
        enqueue_job(job.id, job.attempt)
    except Exception:
        log.exception("Could not enqueue job %s", job.id)
        job.state, job.error, job.finished_at = JobState.FAILED, QUEUE_DOWN_MESSAGE, utcnow()
        db.session.commit()


def can_retry(job: Job, now: datetime | None = None) -> bool:
    return job.state in (JobState.FAILED, JobState.CANCELLED) or job.is_lost(now, stale_seconds())


def can_cancel(job: Job) -> bool:
    return job.state in (JobState.QUEUED, JobState.RUNNING)


def cancel_job(job: Job, user: Any) -> Job:
    """Cancel a queued or running job; a running task stops at its next progress update."""
    if not can_cancel(job):
        return job
    job.state, job.finished_at = JobState.CANCELLED, utcnow()
    job.message = f"Cancelled by {user.name}" if user is not None else "Cancelled"
    record_event("job_cancelled", job, {"kind": job.kind}, actor=_actor(user))
    db.session.commit()
    return job


def retry_job(job: Job, user: Any) -> Job:
    """Queue a failed or cancelled job again, as a new attempt of the same job."""
    if not can_retry(job):
        return job
    job.attempt += 1
    job.state, job.percent, job.message, job.error = JobState.QUEUED, 0, "Waiting for a worker", ""
    job.started_at = job.finished_at = job.heartbeat_at = None
    job.worker_id = ""
    record_event("job_retried", job, {"kind": job.kind, "attempt": job.attempt}, actor=_actor(user))
    db.session.commit()
    _enqueue(job)
    return job


def stale_seconds() -> float:
    return float(current_app.config.get("JOBS_STALE_SECONDS", 30))


def list_jobs(user: Any, everyone: bool = False) -> sa.Select:
    """Jobs newest first: the user's own, or everyone's for chairs and administrators."""
    query = sa.select(Job).options(selectinload(Job.started_by), selectinload(Job.result_file)) \
        .order_by(Job.created_at.desc(), Job.id.desc())
    if not (everyone and has_role(user, Role.CHAIR, Role.ADMIN)):
        query = query.where(Job.started_by_id == user.id)
    return query


def job_status(job: Job, now: datetime | None = None) -> dict:
    """What the job page and its JSON show. A job whose worker vanished reads as failed."""
    state, error = job.state, job.error
    if job.is_lost(now, stale_seconds()):
        state, error = JobState.FAILED, LOST_MESSAGE
    result = None
    if state is JobState.DONE and job.result_file is not None:
        result = {"name": job.result_name, "size": job.result_file.size,
                  "size_text": human_size(job.result_file.size),
                  "url": url_for("jobs.download", job_id=job.id)}
    return {
        "id": job.id, "kind": job.kind, "title": job.title, "state": state.value, "state_label": state.label,
        "finished": state in FINISHED_STATES, "percent": 100 if state is JobState.DONE else job.percent,
        "message": job.message, "error": error, "attempt": job.attempt,
        "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at), "result": result,
        "result_removed": job.result_removed_at is not None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def mark_lost(job_id: int, attempt: int) -> bool:
    """The job's worker is gone: fail this attempt (if still running) with the message that says so."""
    from gmgportal.jobs.progress import _update_running
    from gmgportal.jobs.runner import temp_root

    marked = _update_running(job_id, attempt, {"state": JobState.FAILED, "error": LOST_MESSAGE,
                                               "finished_at": utcnow()})
    shutil.rmtree(temp_root() / f"job-{job_id}-{attempt}", ignore_errors=True)  # the half-written file
    return marked


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_gone(worker: str) -> bool:
    """True when `worker` ("host:pid") ran on this machine and its process has ended."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return int(pid) != os.getpid() and not _pid_alive(int(pid))


def reap_lost_jobs(now: datetime | None = None) -> int:
    """Fail running jobs whose worker process ended or has not sent a heartbeat lately."""
    now = now or utcnow()
    with transaction_mode(False):
        running = db.session.execute(
            sa.select(Job.id, Job.attempt, Job.worker_id, Job.heartbeat_at, Job.started_at)
            .where(Job.state == JobState.RUNNING)).all()
        db.session.rollback()
    cutoff = now - timedelta(seconds=stale_seconds())
    reaped = 0
    for job_id, attempt, worker, heartbeat, started in running:
        if worker_gone(worker) or not heard_of_since(heartbeat, started, cutoff):
            reaped += mark_lost(job_id, attempt)
    if reaped:
        log.warning("Marked %d job(s) failed: their worker stopped.", reaped)
    return reaped


def remove_expired_results(now: datetime | None = None) -> int:
    """Drop result files of jobs finished more than JOBS_RESULT_DAYS ago; returns how many."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config.get("JOBS_RESULT_DAYS", 7))
    jobs = list(db.session.scalars(sa.select(Job).where(Job.result_file_id.is_not(None), Job.finished_at < cutoff)))
    files = {job.result_file_id for job in jobs}
    for job in jobs:
        job.result_file_id, job.result_removed_at = None, now
    db.session.flush()
    paths = []
    for file_id in files:
        stored = db.session.get(StoredFile, file_id)
        if stored is not None and not _still_referenced(file_id):
            paths.append(stored.path)
            db.session.delete(stored)
    db.session.commit()
    for path in paths:
        path.unlink(missing_ok=True)
    _remove_old_temp_dirs(now)
    return len(jobs)


def _still_referenced(file_id: int) -> bool:
    """Whether any row of any table (another feature's attachment) points at this stored file."""
    stored_id = StoredFile.__table__.c.id
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is stored_id:
                if db.session.scalar(sa.select(sa.literal(1)).select_from(table)
                                     .where(fk.parent == file_id).limit(1)):
                    return True
    return False


def _remove_old_temp_dirs(now: datetime) -> None:
    from gmgportal.jobs.runner import temp_root

    root = temp_root()
    if not root.is_dir():
        return
    limit = time.time() - 24 * 3600
    for child in root.iterdir():
        if child.is_dir() and child.stat().st_mtime < limit:
            shutil.rmtree(child, ignore_errors=True)
