"""Pages of the work programme: overview, activity, progress, timeline, themes, engagement, chairs' forms."""
from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from gmgportal.core.pagecache import cacheable
from gmgportal.core.attachments import (
    DOCUMENT_KINDS,
    allowed_kinds_hint,
    send_attachment,
)
from gmgportal.core.errors import Refused, abort_with, get_child_or_404
from gmgportal.core.filters import page_number, parse_filters
from gmgportal.core.forms import ConfirmForm, save_with_uploads, select_choices, show_refusal
from gmgportal.core.markdown import render_markdown
from gmgportal.core.permissions import authorize
from gmgportal.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, to_csv, to_xlsx
from gmgportal.core.tables import Sort
from gmgportal.extensions import login_manager
from gmgportal.core import clock
from gmgportal.programme import exports, operations, queries
from gmgportal.programme.forms import (
    MARKDOWN_HINT,
    ActivityForm,
    FindingForm,
    MilestoneForm,
    OutputForm,
    ProgressForm,
    parse_links,
)
from gmgportal.programme.models import (
    Activity,
    Finding,
    FindingKind,
    Milestone,
    Output,
    ProgressUpdate,
    Status,
    can_manage_programme,
    can_read_programme,
)
from gmgportal.programme.timeline import PHONE, build_timeline

bp = Blueprint("programme", __name__, url_prefix="/programme")


@bp.before_request
def require_login():
    """Nothing of the programme is public, nor shown to outside submitters."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    authorize(can_read_programme(current_user))
    return None


@bp.app_context_processor
def programme_helpers():
    return {"can_manage_programme": can_manage_programme}


@bp.errorhandler(413)
def upload_too_large(error):
    limit = current_app.config["MAX_UPLOAD_MB"]
    back = request.url if request.endpoint in ("programme.new_update", "programme.edit_update") else None
    return render_template("programme/upload_too_large.html", limit=limit, back=back,
                           kinds=allowed_kinds_hint(DOCUMENT_KINDS, limit * 1024 * 1024)), 413


def _group_or_404(slug: str):
    group = queries.get_group(slug)
    if group is None:
        abort_with(404, "There is no working group at this address. Start again from the work programme.")
    return group


# --- reading pages -------------------------------------------------------------

@bp.get("/")
@cacheable
def index():
    groups = queries.list_groups()
    if len(groups) == 1:
        return redirect(url_for("programme.overview", slug=groups[0].slug))
    return render_template("programme/index.html", groups=groups)


def _filter_choices() -> dict:
    return {"agencies": queries.list_agencies(), "themes": queries.list_themes(), "statuses": list(Status)}


@bp.get("/<slug>/")
@cacheable
def overview(slug: str):
    group = _group_or_404(slug)
    filters = parse_filters(queries.ActivityFilters, request.args)
    page = queries.paginate_activities(group, filters, filters.page)
    ids, today = [a.id for a in page.items], clock.today()
    return render_template(
        "programme/overview.html", group=group, filters=filters, page=page,
        objectives=queries.list_objectives(group), outputs=queries.list_outputs(group),
        latest=queries.latest_updates(ids, today), next_milestones=queries.next_milestones(ids, today),
        today=today, **_filter_choices())


@bp.get("/<slug>/activities.<any(csv, xlsx):fmt>")
def export_activities(slug: str, fmt: str):
    group = _group_or_404(slug)
    filters = parse_filters(queries.ActivityFilters, request.args)
    today = clock.today()
    table = exports.activity_table(group, filters, today)
    name = f"{group.slug}-activities-{today.isoformat()}.{fmt}"
    body, mimetype = (to_csv(table), CSV_MIMETYPE) if fmt == "csv" else (to_xlsx(table), XLSX_MIMETYPE)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<slug>/timeline")
@cacheable
def timeline(slug: str):
    group = _group_or_404(slug)
    filters = parse_filters(queries.ActivityFilters, request.args)
    page = queries.timeline_activities(group, filters, filters.page)
    today = clock.today()
    span, link = queries.group_milestones_span(group), lambda a: url_for("programme.activity", activity_id=a.id)
    chart = build_timeline(page.items, span, today, link)
    phone_chart = build_timeline(page.items, span, today, link, layout=PHONE)
    return render_template("programme/timeline.html", group=group, filters=filters, page=page, chart=chart,
                           phone_chart=phone_chart,
                           today=today, outputs=queries.list_outputs(group), **_filter_choices())


@bp.get("/<slug>/engagement")
@cacheable
def engagement(slug: str):
    group = _group_or_404(slug)
    today = clock.today()
    sort = Sort.parse(request.args, queries.ENGAGEMENT_SORTS, default="agency")
    rows = sort.apply(queries.agency_engagement(group, today), queries.ENGAGEMENT_SORTS)
    return render_template("programme/engagement.html", group=group, today=today, rows=rows, sort=sort,
                           args=request.args.to_dict(), silent_days=queries.SILENT_AFTER_DAYS)


@bp.get("/<slug>/themes/<theme_slug>")
@cacheable
def theme(slug: str, theme_slug: str):
    group = _group_or_404(slug)
    theme = queries.get_theme(theme_slug)
    if theme is None:
        abort_with(404, "There is no cross-cutting theme at this address.")
    filters = queries.ActivityFilters(theme_id=theme.id)
    page = queries.paginate_activities(group, filters, page_number(request.args))
    ids, today = [a.id for a in page.items], clock.today()
    return render_template("programme/theme.html", group=group, theme=theme, page=page, filters=filters,
                           latest=queries.latest_updates(ids, today), next_milestones=queries.next_milestones(ids, today),
                           findings=queries.list_findings(group, theme), themes=queries.list_themes(),
                           today=today)


@bp.get("/activities/<int:activity_id>")
@cacheable
def activity(activity_id: int):
    activity = queries.get_activity(activity_id) or abort_with(404, "There is no such activity.")
    updates = queries.paginate_updates(activity, page_number(request.args))
    return render_template("programme/activity.html", activity=activity, group=activity.output.group,
                           updates=updates, today=clock.today())


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    return send_attachment(queries.get_attachment(attachment_id), current_user)


# --- progress updates ----------------------------------------------------------

def _progress_data(form: ProgressForm) -> operations.ProgressData:
    return operations.ProgressData(form.as_of.data, Status(form.status.data), form.percent_complete.data,
                                 form.narrative.data, parse_links(form.evidence_links.data))


def _save_progress(form: ProgressForm, save) -> tuple[object | None, int]:
    """Validate and save; returns (saved update or None, HTTP status for re-showing the form)."""
    if form.preview.data or not form.validate_on_submit():
        return None, 200
    return save_with_uploads(form, lambda uploads: save(_progress_data(form), uploads))


def _progress_form_page(form: ProgressForm, activity: Activity, update: ProgressUpdate | None, status: int):
    preview = render_markdown(form.narrative.data) if form.preview.data else None
    limit = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    return render_template("programme/progress_form.html", form=form, activity=activity, update=update,
                           preview=preview, markdown_hint=MARKDOWN_HINT,
                           file_hint=allowed_kinds_hint(DOCUMENT_KINDS, limit) + " each; you can choose several."
                           ), status


@bp.route("/activities/<int:activity_id>/updates/new", methods=["GET", "POST"])
def new_update(activity_id: int):
    activity = queries.get_activity(activity_id) or abort_with(404, "There is no such activity.")
    authorize(activity.can_log_progress(current_user))
    form = ProgressForm()
    if not form.is_submitted():
        form.as_of.data, form.status.data = clock.today(), activity.status.value
        form.percent_complete.data = activity.percent_complete
    update, status = _save_progress(form, lambda data, files: operations.log_progress(activity, current_user, data, files))
    if update is not None:
        flash(f"Progress on {activity.ref} saved.", "success")
        return redirect(url_for("programme.activity", activity_id=activity.id))
    return _progress_form_page(form, activity, None, status)


@bp.route("/updates/<int:update_id>/edit", methods=["GET", "POST"])
def edit_update(update_id: int):
    update = queries.get_update(update_id) or abort_with(404, "There is no such progress update.")
    authorize(update.can_edit(current_user))
    form = ProgressForm(obj=update)
    if not form.is_submitted():
        form.status.data = update.status.value
        form.evidence_links.data = "\n".join(update.evidence_links or [])
    saved, status = _save_progress(form, lambda data, files: operations.correct_progress(update, data, files))
    if saved is not None:
        flash(f"Your update on {update.activity.ref} is corrected; the earlier text is kept in the audit log.",
              "success")
        return redirect(url_for("programme.activity", activity_id=update.activity_id))
    return _progress_form_page(form, update.activity, update, status)


# --- chairs: outputs, activities, milestones, findings ------------------------

def _require_chair() -> None:
    authorize(can_manage_programme(current_user))


def _chair_group(slug: str):
    """The group of a chairs' page: 403 for others, 404 for an unknown group."""
    _require_chair()
    return _group_or_404(slug)


@bp.route("/<slug>/outputs/new", methods=["GET", "POST"], defaults={"output_id": None})
@bp.route("/<slug>/outputs/<int:output_id>/edit", methods=["GET", "POST"])
def edit_output(slug: str, output_id: int | None):
    group = _chair_group(slug)
    output = get_child_or_404(Output, output_id, "There is no such output in this working group.", group_id=group.id)
    form = OutputForm(obj=output)
    if form.validate_on_submit():
        try:
            saved = operations.save_output(group, output, code=form.code.data, title=form.title.data,
                                           description=form.description.data or "", position=form.position.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"Output {saved.code} saved.", "success")
            return redirect(url_for("programme.overview", slug=group.slug, output=saved.id))
    return render_template("programme/output_form.html", form=form, group=group, output=output)


def _activity_form(group, activity: Activity | None) -> ActivityForm:
    form = ActivityForm(obj=activity)
    form.output_id.choices = select_choices((o.id, f"{o.code} {o.title[:80]}") for o in queries.list_outputs(group))
    agencies = queries.list_agencies()
    form.lead_agency_id.choices = select_choices((a.id, f"{a.code} – {a.name}") for a in agencies)
    form.partner_ids.choices = select_choices((a.id, a.code) for a in agencies)
    form.theme_ids.choices = select_choices((t.id, t.name) for t in queries.list_themes())
    if not form.is_submitted():
        if activity is not None:
            form.partner_ids.data = [a.id for a in activity.partners]
            form.theme_ids.data = [t.id for t in activity.themes]
            form.status.data = activity.status.value
        elif request.args.get("output", type=int):
            form.output_id.data = request.args.get("output", type=int)
    return form


@bp.route("/<slug>/activities/new", methods=["GET", "POST"], defaults={"activity_id": None})
@bp.route("/<slug>/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def edit_activity(slug: str, activity_id: int | None):
    group = _chair_group(slug)
    activity = queries.get_activity(activity_id) if activity_id else None
    if activity_id and (activity is None or activity.output.group_id != group.id):
        abort_with(404, "There is no such activity in this working group.")
    form = _activity_form(group, activity)
    if form.validate_on_submit():
        data = operations.ActivityData(
            form.output_id.data, form.number.data, form.title.data, form.description.data or "",
            form.lead_agency_id.data, form.partner_ids.data or [], form.theme_ids.data or [],
            form.start_date.data, form.due_date.data, Status(form.status.data))
        try:
            saved = operations.save_activity(activity, data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"Activity {saved.ref} saved.", "success")
            return redirect(url_for("programme.activity", activity_id=saved.id))
    return render_template("programme/activity_form.html", form=form, group=group, activity=activity)


@bp.route("/activities/<int:activity_id>/milestones/new", methods=["GET", "POST"], defaults={"milestone_id": None})
@bp.route("/activities/<int:activity_id>/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
def edit_milestone(activity_id: int, milestone_id: int | None):
    _require_chair()
    activity = queries.get_activity(activity_id) or abort_with(404, "There is no such activity.")
    milestone = get_child_or_404(Milestone, milestone_id, "There is no such milestone on this activity.",
                                 activity_id=activity.id)
    form = MilestoneForm(obj=milestone)
    if not form.is_submitted() and milestone is not None and milestone.done_date is None and request.args.get("done"):
        form.done_date.data = _proposed_date(request.args["done"])  # proposed by another page (the handbook)
    if form.validate_on_submit():
        operations.save_milestone(activity, milestone, title=form.title.data, due_date=form.due_date.data,
                                done_date=form.done_date.data)
        flash(f"Milestone “{form.title.data.strip()}” of {activity.ref} saved.", "success")
        return redirect(url_for("programme.activity", activity_id=activity.id))
    return render_template("programme/milestone_form.html", form=form, activity=activity, milestone=milestone,
                           group=activity.output.group)


def _proposed_date(text: str):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@bp.route("/activities/<int:activity_id>/milestones/<int:milestone_id>/delete", methods=["GET", "POST"])
def delete_milestone(activity_id: int, milestone_id: int):
    _require_chair()
    milestone = get_child_or_404(Milestone, milestone_id, "There is no such milestone on this activity.",
                                 activity_id=activity_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        activity, title = milestone.activity, milestone.title
        operations.delete_milestone(milestone)
        flash(f"Milestone “{title}” of {activity.ref} deleted.", "success")
        return redirect(url_for("programme.activity", activity_id=activity.id))
    return render_template("programme/confirm_delete.html", form=form, thing=f"milestone “{milestone.title}”",
                           consequence="It disappears from the activity, the timeline and the reminders. "
                                       "The audit log keeps a record of it.",
                           back=url_for("programme.activity", activity_id=activity_id),
                           group=milestone.activity.output.group)


@bp.get("/<slug>/findings")
@cacheable
def findings(slug: str):
    group = _group_or_404(slug)
    found = queries.list_findings(group)
    by_kind = {kind: [f for f in found if f.kind == kind] for kind in FindingKind}
    return render_template("programme/findings.html", group=group, by_kind=by_kind)


@bp.route("/<slug>/findings/new", methods=["GET", "POST"], defaults={"finding_id": None})
@bp.route("/<slug>/findings/<int:finding_id>/edit", methods=["GET", "POST"])
def edit_finding(slug: str, finding_id: int | None):
    group = _chair_group(slug)
    finding = get_child_or_404(Finding, finding_id, "There is no such finding in this working group.", group_id=group.id)
    form = FindingForm(obj=finding)
    form.activity_id.choices = select_choices([(0, "None")] + [(a.id, f"{a.ref} {a.title[:70]}")
                                                               for a in queries.group_activities(group)])
    form.theme_id.choices = select_choices([(0, "None")] + [(t.id, t.name) for t in queries.list_themes()])
    if not form.is_submitted():
        form.activity_id.data, form.theme_id.data = (finding.activity_id or 0, finding.theme_id or 0) if finding else (0, 0)
        form.kind.data = finding.kind.value if finding else FindingKind.KEY_FINDING.value
    if not form.preview.data and form.validate_on_submit():
        operations.save_finding(group, finding, kind=FindingKind(form.kind.data), text=form.text.data,
                              activity_id=form.activity_id.data, theme_id=form.theme_id.data,
                              noted_on=form.noted_on.data)
        flash("Finding saved.", "success")
        return redirect(url_for("programme.findings", slug=group.slug))
    preview = render_markdown(form.text.data) if form.preview.data else None
    return render_template("programme/finding_form.html", form=form, group=group, finding=finding, preview=preview,
                           markdown_hint=MARKDOWN_HINT)



@bp.route("/<slug>/findings/<int:finding_id>/delete", methods=["GET", "POST"])
def delete_finding(slug: str, finding_id: int):
    group = _chair_group(slug)
    finding = get_child_or_404(Finding, finding_id, "There is no such finding in this working group.", group_id=group.id)
    form = ConfirmForm()
    if form.validate_on_submit():
        operations.delete_finding(finding)
        flash("Finding deleted.", "success")
        return redirect(url_for("programme.findings", slug=group.slug))
    return render_template("programme/confirm_delete.html", form=form,
                           thing=f"this {finding.kind.label.lower()}", excerpt=finding.text,
                           consequence="It disappears from the findings and from the reports drawn from them. "
                                       "The audit log keeps a record of it.",
                           back=url_for("programme.findings", slug=group.slug), group=group)
