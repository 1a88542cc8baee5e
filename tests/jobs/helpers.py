"""Reading jobs from a test while workers write them."""
from __future__ import annotations

import time
from contextlib import contextmanager


def read_job(job_id: int):
    """The job as the database has it now, read without holding a write lock."""
    from gmgportal.core.sqlite import transaction_mode
    from gmgportal.extensions import db
    from gmgportal.jobs.models import Job

    with transaction_mode(False):
        job = db.session.get(Job, job_id, populate_existing=True)
        db.session.rollback()
    return job


def wait_for_job(job_id: int, until=lambda job: job.state.finished, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while True:
        job = read_job(job_id)
        if until(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.state.value} at {job.percent}% ({job.message})")
        time.sleep(0.02)


@contextmanager
def writing():
    """Write from the test thread as a POST request would: a fresh transaction that takes the write lock."""
    from gmgportal.core.sqlite import transaction_mode
    from gmgportal.extensions import db

    db.session.rollback()
    with transaction_mode(True):
        yield
        db.session.commit()
