"""The upkeep of jobs: failing those whose worker vanished, removing old result files.

The queue runs these periodically (every minute / every hour) and the CLI on demand.
Marking a job lost writes on its own short transaction, conditional on the job still
running that attempt, like the runner's progress writes.
"""
from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from gmgportal.core.attachments import StoredFile
from gmgportal.core.models import utcnow
from gmgportal.core.uow import after_commit, reading
from gmgportal.extensions import db
from gmgportal.jobs.models import LOST_MESSAGE, Job, JobState, heard_of_since
from gmgportal.jobs.progress import update_running
from gmgportal.jobs.runner import temp_root

log = logging.getLogger(__name__)


def stale_seconds() -> float:
    return float(current_app.config.get("JOBS_STALE_SECONDS", 30))


def mark_lost(job_id: int, attempt: int) -> bool:
    """The job's worker is gone: fail this attempt (if still running) with the message that says so."""
    marked = update_running(job_id, attempt, {"state": JobState.FAILED, "error": LOST_MESSAGE,
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
    with reading():
        running = db.session.execute(
            sa.select(Job.id, Job.attempt, Job.worker_id, Job.heartbeat_at, Job.started_at)
            .where(Job.state == JobState.RUNNING)).all()
        db.session.rollback()  # end the read: each job is marked on its own short transaction
    cutoff = now - timedelta(seconds=stale_seconds())
    reaped = 0
    for job_id, attempt, worker, heartbeat, started in running:
        if worker_gone(worker) or not heard_of_since(heartbeat, started, cutoff):
            reaped += mark_lost(job_id, attempt)
    if reaped:
        log.warning("Marked %d job(s) failed: their worker stopped.", reaped)
    return reaped


def remove_expired_results(now: datetime | None = None) -> int:
    """Drop result files of jobs finished more than JOBS_RESULT_DAYS ago; returns how many jobs.

    Flushes; the files leave the disk once the unit of work commits.
    """
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
    db.session.flush()
    if paths:
        after_commit(lambda: [path.unlink(missing_ok=True) for path in paths])
    _remove_old_temp_dirs()
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


def _remove_old_temp_dirs() -> None:
    """Temporary folders of runs that ended without cleaning up (a killed worker), a day old by the file system."""
    root = temp_root()
    if not root.is_dir():
        return
    limit = time.time() - 24 * 3600  # compared with file modification times, not a portal date
    for child in root.iterdir():
        if child.is_dir() and child.stat().st_mtime < limit:
            shutil.rmtree(child, ignore_errors=True)
