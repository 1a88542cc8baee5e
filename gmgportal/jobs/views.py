"""Job pages: your jobs, one job's progress (HTML and JSON), its result, cancel and retry."""
from __future__ import annotations


from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from gmgportal.core.pagecache import cacheable, fresh_token
from gmgportal.core.attachments import safe_download_name, send_stored_file
from gmgportal.core.errors import abort_with
from gmgportal.core.formatting import format_datetime
from gmgportal.core.forms import ConfirmForm
from gmgportal.core.permissions import authorize, is_chair_or_admin, login_required
from gmgportal.core.users import user_card, user_cards
from gmgportal.core.filters import page_number
from gmgportal.extensions import db
from gmgportal.jobs import services
from gmgportal.jobs.forms import StartJobForm
from gmgportal.jobs.models import Job
from gmgportal.jobs.registry import UnknownTask, get_task, startable_tasks

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _load(job_id: int) -> Job:
    job = db.get_or_404(Job, job_id, options=[selectinload(Job.result_file)])
    authorize(job.can_view(current_user))
    return job


@bp.get("/")
@cacheable(seconds=5)  # a job not heard of lately turns "lost" with time alone
@login_required
def index():
    everyone = request.args.get("scope") == "all" and is_chair_or_admin(current_user)
    page = db.paginate(services.list_jobs(current_user, everyone), page=page_number(request.args), per_page=25,
                       error_out=False)
    return render_template("jobs/index.html", page=page, everyone=everyone,
                           statuses={job.id: services.job_status(job) for job in page.items},
                           people=user_cards({job.started_by_id for job in page.items}) if everyone else {},
                           startable=startable_tasks(current_user), new_key=fresh_token,
                           args={"scope": "all"} if everyone else {})


@bp.post("/start/<kind>")
@login_required
def start(kind: str):
    try:
        spec = get_task(kind)
    except UnknownTask:
        abort_with(404, "There is no such kind of job.")
    authorize(spec.may_start(current_user))
    form = StartJobForm()
    if not form.validate_on_submit():
        abort_with(400, _invalid_form_message(form))
    job = services.start_job(kind, current_user, {}, idempotency_key=form.idempotency_key.data)
    flash(f"“{job.title}” has started. You can leave this page and come back: the job goes on.", "success")
    return redirect(url_for("jobs.show", job_id=job.id), code=303)


def _invalid_form_message(form) -> str:
    errors = [error for field_errors in form.errors.values() for error in field_errors]
    return " ".join(errors) or "The form was not valid: reload the page and try again."


def _status_with_times(job) -> dict:
    """The job's status with its start and end as the user reads them (page and JSON alike)."""
    status = services.job_status(job)
    waiting = status["state"] == "queued"
    ended = status["state"] in ("done", "failed", "cancelled")
    status.update(
        started_text=format_datetime(job.started_at) if job.started_at else ("Not started yet" if waiting else "—"),
        finished_text=format_datetime(job.finished_at) if job.finished_at else ("—" if ended else "Not yet"),
    )
    return status


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    job = _load(job_id)
    return render_template("jobs/show.html", job=job, status=_status_with_times(job),
                           starter=user_card(job.started_by_id), can_manage=job.can_manage(current_user),
                           retry_form=ConfirmForm(formdata=None), link=_link(job))


def _link(job: Job) -> tuple[str, str] | None:
    """The page the job's work belongs to, as its task tells it (e.g. the chapter a Word file went into)."""
    try:
        spec = get_task(job.kind)
    except UnknownTask:
        return None
    return spec.link(dict(job.params or {})) if spec.link is not None else None


@bp.get("/<int:job_id>/status")
@login_required
def status(job_id: int):
    status = _status_with_times(_load(job_id))
    response = jsonify(status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/download")
@login_required
def download(job_id: int):
    job = _load(job_id)
    if not job.has_result or job.result_file is None:
        abort_with(404, "This job has no file to download: it is not finished, or its file was removed "
                        "after the time results are kept. Start the job again to get a new file.")
    return send_stored_file(job.result_file, safe_download_name(job.result_name, f"job-{job.id}"))


@bp.route("/<int:job_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(job_id: int):
    job = _load(job_id)
    authorize(job.can_manage(current_user))
    if not services.can_cancel(job):
        flash("This job has already ended; there is nothing to cancel.", "info")
        return redirect(url_for("jobs.show", job_id=job.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        services.cancel_job(job, current_user)
        flash(f"“{job.title}” is cancelled. Nothing it produced was kept.", "success")
        return redirect(url_for("jobs.show", job_id=job.id), code=303)
    return render_template("jobs/cancel.html", job=job, form=form)


@bp.post("/<int:job_id>/retry")
@login_required
def retry(job_id: int):
    job = _load(job_id)
    authorize(job.can_manage(current_user))
    if not ConfirmForm().validate_on_submit():
        abort_with(400, "The form was not valid: reload the job's page and try again.")
    if services.can_retry(job):
        services.retry_job(job, current_user)
        flash(f"“{job.title}” is queued again (attempt {job.attempt}).", "success")
    else:
        flash("Only a job that failed or was cancelled can be retried.", "info")
    return redirect(url_for("jobs.show", job_id=job.id), code=303)
