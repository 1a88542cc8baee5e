"""`flask gmg jobs` (list, run, reap, cleanup) and `flask gmg worker`."""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from gmgportal.core.uow import reading, unit_of_work
from gmgportal.core.users import find_user_by_email, user_cards
from gmgportal.extensions import db
from gmgportal.jobs.models import Job, JobState


@click.group("jobs", invoke_without_command=True)
@click.option("--limit", default=20, show_default=True, help="How many of the newest jobs to list.")
@click.option("--state", type=click.Choice([s.value for s in JobState]), help="Only jobs in this state.")
@click.pass_context
def jobs_group(ctx: click.Context, limit: int, state: str | None) -> None:
    """List recent background jobs (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    query = sa.select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state == JobState(state))
    with reading():
        jobs = list(db.session.scalars(query))
        people = user_cards({job.started_by_id for job in jobs})
    if not jobs:
        click.echo("No jobs yet.")
        return
    click.echo(f"{'ID':>5}  {'STATE':<9} {'%':>4}  {'QUEUED (UTC)':<16}  {'BY':<28} JOB")
    for job in jobs:
        who = people[job.started_by_id].email if job.started_by_id in people else "system"
        note = job.error if job.state is JobState.FAILED else job.message
        click.echo(f"{job.id:>5}  {job.state.value:<9} {job.percent:>3}%  {job.created_at:%Y-%m-%d %H:%M}  "
                   f"{who[:28]:<28} {job.title}" + (f" – {note}" if note else ""))


@jobs_group.command("run")
@click.argument("kind")
@click.option("--as", "email", required=True, help="The user the job runs for (it must be allowed to start it).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A task parameter (repeatable).")
@click.option("--no-queue", is_flag=True, help="Run here and now instead of through the queue and a worker.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Copy the result file here.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="With the queue: follow the job to its end.")
def run_command(kind: str, email: str, params: tuple[str, ...], no_queue: bool, output: Path | None,
                wait: bool) -> None:
    """Start a job of KIND (e.g. audit_export) and show its progress."""
    from gmgportal.jobs.registry import UnknownTask, get_task, task_specs
    from gmgportal.jobs.runner import run_job_inline
    from gmgportal.jobs.services import JobNotAllowed, start_job

    try:
        spec = get_task(kind)
    except UnknownTask:
        raise click.ClickException(f"Unknown job kind {kind!r}. Known: {', '.join(s.kind for s in task_specs())}.")
    parsed = _parse_params(params)
    try:
        with unit_of_work():  # the job is queued once this commits
            user = find_user_by_email(email)
            if user is None:
                raise click.ClickException(f"No user with e-mail {email}.")
            job = start_job(kind, user, parsed, enqueue=not no_queue)
            job_id = job.id
    except JobNotAllowed as error:
        raise click.ClickException(str(error))
    click.echo(f"Job {job_id}: {spec.title}" + (" (running here, without the queue)" if no_queue else " (queued)"))
    if not no_queue and not wait:
        return
    with click.progressbar(length=100, label=spec.title, show_percent=True, show_eta=False,
                           item_show_func=lambda message: message or "") as bar:
        def show(percent: int, message: str) -> None:
            bar.update(percent - bar.pos, message)

        if no_queue:
            job = run_job_inline(job, listener=show)
        else:
            job = _follow(job_id, show)
    _report(job, output)


def _parse_params(pairs: tuple[str, ...]) -> dict:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        params[name.strip()] = value
    return params


def _follow(job_id: int, show) -> Job:
    """Poll the job until it ends, showing its progress (read-only transactions)."""
    while True:
        with reading():
            job = db.session.get(Job, job_id, populate_existing=True)
            assert job is not None
            show(job.percent, job.message)
            if job.state.finished:
                return job
            db.session.rollback()
        time.sleep(0.2)


def _report(job: Job, output: Path | None) -> None:
    if job.state is JobState.DONE:
        if job.result_file is not None and output is not None:
            shutil.copyfile(job.result_file.path, output)
            click.echo(f"Done: {job.result_name} written to {output}.")
        else:
            click.echo(f"Done{': ' + job.result_name if job.result_name else ''}.")
        return
    reason = job.error or job.state.label
    raise click.ClickException(f"Job {job.id} {job.state.value}: {reason}")


@jobs_group.command("reap")
def reap_command() -> None:
    """Mark running jobs whose worker stopped as failed."""
    from gmgportal.jobs.upkeep import reap_lost_jobs

    click.echo(f"{reap_lost_jobs()} job(s) marked failed.")


@jobs_group.command("cleanup")
def cleanup_command() -> None:
    """Remove result files older than JOBS_RESULT_DAYS (the worker also does this every hour)."""
    from gmgportal.jobs.upkeep import remove_expired_results

    with unit_of_work():
        removed = remove_expired_results()
    click.echo(f"Removed the results of {removed} job(s).")


@click.command("worker")
@click.option("--workers", type=int, help="Worker threads (default: JOBS_WORKERS).")
def worker_command(workers: int | None) -> None:
    """Run the background job worker until stopped (Ctrl+C / SIGINT: finish running jobs; SIGTERM: now)."""
    from gmgportal.jobs.queue import queue_file
    from gmgportal.jobs.worker import make_consumer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    where = "Redis" if app.config.get("REDIS_URL") else f"SQLite queue {queue_file(app)}"
    click.echo(f"GMG Portal job worker on {where}.", err=True)
    make_consumer(app, workers).run()
