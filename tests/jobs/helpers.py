"""Reading jobs from a test while workers write them, and writing as a request would."""
from __future__ import annotations

from contextlib import contextmanager

from tests.waiting import DEFAULT_TIMEOUT, wait_until


def read_job(job_id: int):
    """The job as the database has it now, read without holding a write lock."""
    from gmgportal.core.uow import reading
    from gmgportal.extensions import db
    from gmgportal.jobs.models import Job

    with reading():
        job = db.session.get(Job, job_id, populate_existing=True)
        db.session.rollback()
    return job


def wait_for_job(job_id: int, until=lambda job: job.state.finished, timeout: float = DEFAULT_TIMEOUT):
    """The job once `until(job)` holds (by default: once it has ended)."""
    last = {}

    def reached():
        last["job"] = job = read_job(job_id)
        return job if until(job) else None

    def describe() -> str:
        job = last["job"]
        return f"job {job_id} is {job.state.value} at {job.percent}% ({job.message}) {job.error}"

    return wait_until(reached, timeout, message=describe)


@contextmanager
def writing():
    """Write from the test thread as a POST request would: one unit of work that takes the write lock
    and commits at the end (jobs are queued then)."""
    from gmgportal.core.uow import unit_of_work
    from gmgportal.extensions import db

    db.session.rollback()
    with unit_of_work():
        yield
