"""Background jobs: the task queue, job records, progress. Knows no feature: features add their tasks.

    from gmgportal.jobs import Progress, add_tasks, register_task, start_job

    @register_task("handbook_compile", title="Compile the handbook to PDF", may_start=...)
    def compile_handbook(progress: Progress, params: dict): ...

    def register_handbook(app):
        add_tasks(app, compile_handbook)
"""
from __future__ import annotations

from flask import Flask

from gmgportal.jobs.progress import JobCancelled, JobFailed, Progress
from gmgportal.jobs.registry import add_tasks, register_task
from gmgportal.jobs.runner import run_job_inline
from gmgportal.jobs.services import start_job

__all__ = ["JobCancelled", "JobFailed", "Progress", "add_tasks", "register_task", "register_jobs", "start_job",
           "run_job_inline"]


def register_jobs(app: Flask) -> None:
    """The "Your jobs" link and the portal's own task (the audit log export)."""
    from gmgportal.core.navigation import add_nav_link
    from gmgportal.jobs.audit_export import export_audit_log

    add_tasks(app, export_audit_log)
    add_nav_link(app, "Your jobs", "jobs.index", menu="user", order=50)
