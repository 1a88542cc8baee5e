"""A worker killed in the middle of a job: the job ends failed with a clear message, nothing is
half-written, the export's input is untouched, and a retry succeeds."""
from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from gmgportal.core.attachments import StoredFile
from gmgportal.core.audit import AuditEvent
from gmgportal.jobs import services
from gmgportal.jobs.models import LOST_MESSAGE, JobState
from gmgportal.jobs.queue import queue_file
from gmgportal.jobs.runner import temp_root
from tests.jobs.helpers import read_job, wait_for_job, writing

SCRIPT = Path(__file__).with_name("slow_worker.py")


def audit_fingerprint(db) -> str:
    db.session.rollback()
    rows = db.session.execute(sa.select(AuditEvent.id, AuditEvent.action, AuditEvent.object_label)
                              .order_by(AuditEvent.id)).all()
    db.session.rollback()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def start_worker_process(app) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, str(SCRIPT), app.config["SQLALCHEMY_DATABASE_URI"],
                                app.config["UPLOAD_FOLDER"], str(queue_file(app))],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout.readline().strip() == "worker ready"
    return process


def files_stored(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile))


def test_killing_the_worker_mid_export_fails_the_job_cleanly_and_retry_succeeds(app, db, chair, audit_rows,
                                                                                 request):
    audit_rows(3000)
    process = start_worker_process(app)
    try:
        with writing():
            job = services.start_job("audit_export", chair)
        before = audit_fingerprint(db)
        running = wait_for_job(job.id, until=lambda j: j.state is JobState.RUNNING and j.percent >= 20)
        assert running.worker_id.endswith(f":{process.pid}")
        assert any(temp_root().iterdir())  # the half-written CSV, in the run's own folder
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()

    request.getfixturevalue("queue_worker")  # a new worker starts: it finds the job of the dead one
    job = wait_for_job(job.id)
    assert job.state is JobState.FAILED
    assert job.error == LOST_MESSAGE and "Traceback" not in job.error
    assert job.result_file_id is None and files_stored(db) == 0
    assert not any(temp_root().iterdir())  # the half-written file is gone
    assert audit_fingerprint(db) == before  # the export's input is as it was

    with writing():
        services.retry_job(read_job(job.id), chair)
    job = wait_for_job(job.id)
    assert (job.state, job.attempt, job.error) == (JobState.DONE, 2, "")
    assert files_stored(db) == 1


def test_stopping_the_worker_with_sigterm_marks_its_job_failed_at_once(app, db, chair, audit_rows):
    audit_rows(3000)
    process = start_worker_process(app)
    try:
        with writing():
            job = services.start_job("audit_export", chair)
        wait_for_job(job.id, until=lambda j: j.percent >= 20)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    job = read_job(job.id)  # no reaper needed: the worker said so on its way out
    assert (job.state, job.error) == (JobState.FAILED, LOST_MESSAGE)
    assert job.result_file_id is None and files_stored(db) == 0
