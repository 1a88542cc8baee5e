"""Starting, cancelling and retrying jobs, and their status.

Like every service these change objects and flush; the unit of work around them
(the request, or `with unit_of_work()` in a command) commits. A job is put in the
queue only once it is committed (`after_commit`): a worker never sees a job the
request then rolled back. If the queue cannot be reached then, the job is marked
failed on a short transaction of its own, with a message that says to retry.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from gmgportal.core.attachments import human_size
from gmgportal.core.audit import record_event
from gmgportal.core.models import utcnow
from gmgportal.core.permissions import is_chair_or_admin
from gmgportal.core.uow import after_commit
from gmgportal.extensions import db
from gmgportal.jobs.models import FINISHED_STATES, LOST_MESSAGE, Job, JobState
from gmgportal.jobs.progress import update_job_in_state
from gmgportal.jobs.queue import enqueue_job
from gmgportal.jobs.registry import get_task
from gmgportal.jobs.upkeep import stale_seconds

log = logging.getLogger(__name__)
QUEUE_DOWN_MESSAGE = "The job could not be put in the queue (the queue is not reachable). Retry it in a moment."
WAITING_MESSAGE = "Waiting for a worker"


class JobNotAllowed(PermissionError):
    pass


def _user_id(user: Any) -> Optional[int]:
    return user.id if user is not None else None


def _actor(user: Any) -> tuple[Optional[int], str]:
    return (user.id, user.email) if user is not None else (None, "system")


def start_job(kind: str, user: Any, params: dict | None = None, idempotency_key: str | None = None,
              enqueue: bool = True) -> Job:
    """Record a queued job, queued once the unit of work commits; the same key from the same user gives the same job.

    `user` is who starts it (an object with `id` and `email`, as `current_user`), or None for the system.
    """
    spec = get_task(kind)
    if not spec.may_start(user):
        raise JobNotAllowed(f"You may not start “{spec.title}”.")
    key = (idempotency_key or "").strip()[:64] or None
    if key and (existing := _job_by_key(user, key)) is not None:
        return existing
    job = Job(kind=kind, title=spec.title, started_by_id=_user_id(user), params=dict(params or {}),
              idempotency_key=key, state=JobState.QUEUED, message=WAITING_MESSAGE)
    try:
        # Added inside the savepoint: a double click whose twin committed between our check and this
        # insert undoes only this insert (the savepoint must begin before the add: it flushes first).
        with db.session.begin_nested():
            db.session.add(job)
            db.session.flush()
    except IntegrityError:
        existing = _job_by_key(user, key) if key else None
        if existing is None:
            raise
        return existing
    record_event("job_started", job, {"kind": kind, "params": job.params}, actor=_actor(user))
    if enqueue:
        _enqueue_after_commit(job)
    return job


def _job_by_key(user: Any, key: str) -> Optional[Job]:
    return db.session.scalar(sa.select(Job).where(Job.started_by_id == _user_id(user), Job.idempotency_key == key))


def _enqueue_after_commit(job: Job) -> None:
    job_id, attempt = job.id, job.attempt

    def enqueue() -> None:
        try:
            enqueue_job(job_id, attempt)
        except Exception:
            log.exception("Could not enqueue job %s", job_id)
            update_job_in_state(job_id, attempt, JobState.QUEUED, {
                "state": JobState.FAILED, "error": QUEUE_DOWN_MESSAGE, "finished_at": utcnow()})

    after_commit(enqueue)


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
    db.session.flush()
    record_event("job_cancelled", job, {"kind": job.kind}, actor=_actor(user))
    return job


def retry_job(job: Job, user: Any) -> Job:
    """Queue a failed or cancelled job again, as a new attempt of the same job (queued once committed)."""
    if not can_retry(job):
        return job
    job.attempt += 1
    job.state, job.percent, job.message, job.error = JobState.QUEUED, 0, WAITING_MESSAGE, ""
    job.started_at = job.finished_at = job.heartbeat_at = None
    job.worker_id = ""
    db.session.flush()
    record_event("job_retried", job, {"kind": job.kind, "attempt": job.attempt}, actor=_actor(user))
    _enqueue_after_commit(job)
    return job


def list_jobs(user: Any, everyone: bool = False) -> sa.Select:
    """Jobs newest first: the user's own, or everyone's for chairs and administrators."""
    query = sa.select(Job).options(selectinload(Job.result_file)).order_by(Job.created_at.desc(), Job.id.desc())
    if not (everyone and is_chair_or_admin(user)):
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
