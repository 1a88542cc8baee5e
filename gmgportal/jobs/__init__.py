"""Background jobs: the task queue, job records, progress. Knows no feature: features register tasks.

    from gmgportal.jobs import register_task, start_job, Progress
"""
from __future__ import annotations

from flask import Flask

from gmgportal.jobs.progress import JobCancelled, JobFailed, Progress
from gmgportal.jobs.registry import register_task

__all__ = ["JobCancelled", "JobFailed", "Progress", "register_task", "register_jobs", "start_job", "run_job_inline"]


def start_job(*args, **kwargs):
    from gmgportal.jobs.services import start_job as _start_job

    return _start_job(*args, **kwargs)


def run_job_inline(*args, **kwargs):
    from gmgportal.jobs.runner import run_job_inline as _run_job_inline

    return _run_job_inline(*args, **kwargs)


def register_jobs(app: Flask) -> None:
    """The "Your jobs" link and the portal's own tasks."""
    from gmgportal.core.navigation import add_nav_link
    from gmgportal.jobs import audit_export  # noqa: F401  (registers its task)

    add_nav_link(app, "Your jobs", "jobs.index", menu="user", order=50)
