"""Pages of the progress reports: list, generate, draft and frozen report, section edit, freeze,
compare, publish, downloads."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from gmgportal.core import clock
from gmgportal.core.formatting import format_date
from gmgportal.core.errors import Refused, abort_with
from gmgportal.core.forms import ConfirmForm, select_choices, show_refusal
from gmgportal.core.markdown import render_markdown
from gmgportal.core.permissions import authorize, is_member, login_required
from gmgportal.jobs import start_job
from gmgportal.extensions import login_manager
from gmgportal.programme import queries as programme
from gmgportal.programme.queries import Period
from gmgportal.reports import services
from gmgportal.reports.assemble import SECTION_TITLES
from gmgportal.reports.exports import EXPORT_TASK, FORMATS, file_stem
from gmgportal.programme.forms import DATE_HINT, MARKDOWN_HINT
from gmgportal.reports.forms import GenerateForm, PublishForm, SectionForm
from gmgportal.reports.models import Report, can_manage_reports
from gmgportal.reports.charts import chart, chart_description, chart_title
from gmgportal.reports.render import FIGURES_SECTION, report_html, report_markdown

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.app_context_processor
def report_helpers():
    return {"can_manage_reports": can_manage_reports}


def _report_or_404(report_id: int) -> Report:
    report = services.get_report(report_id)
    if report is None:
        abort_with(404, "There is no report at this address. Start again from the list of reports.")
    return report


def _readable(report_id: int) -> Report:
    """The report, if the user may read it: anonymous users are sent to log in unless it is public."""
    report = _report_or_404(report_id)
    if not report.can_read(current_user):
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        authorize(False)
    return report


def _managed(report_id: int) -> Report:
    authorize(can_manage_reports(current_user))
    return _report_or_404(report_id)


@bp.get("/")
@login_required
def index():
    authorize(is_member(current_user))  # public reports are read at their own address
    return render_template("reports/index.html", reports=services.list_reports(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def generate():
    authorize(can_manage_reports(current_user))
    groups = {g.slug: g for g in programme.list_groups()}
    form = GenerateForm()
    form.group.choices = select_choices((slug, g.name) for slug, g in groups.items())
    today = clock.today()
    frozen = services.last_frozen_per_group()
    defaults = {slug: services.next_period(frozen.get(g.id), today) for slug, g in groups.items()}
    if not form.is_submitted():
        form.period_end.data = today
        if request.args.get("group") in groups:
            form.group.data = request.args["group"]
    if form.validate_on_submit():
        group = groups.get(form.group.data)
        start = form.period_start.data or defaults[group.slug].start
        try:
            report = services.generate_report(group, Period(start, form.period_end.data), current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"Draft generated for {report.group.short_name}, as of {format_date(report.period_end)}.", "success")
            return redirect(url_for("reports.show", report_id=report.id))
    return render_template("reports/generate.html", form=form, groups=groups, defaults=defaults,
                           date_hint=DATE_HINT)


@bp.get("/<int:report_id>")
def show(report_id: int):
    report = _readable(report_id)
    content = services.report_content(report)
    previous = services.last_frozen(report.group, report.number) if report.is_frozen else None
    figures = content.document.figures
    return render_template("reports/show.html", report=report, content=content, previous=previous,
                           document=content.document, figures_section=FIGURES_SECTION,
                           chart_title=chart_title(figures) if figures else "",
                           picture=Markup('<img src="{}" alt="{}" class="chart">').format(
                               url_for("reports.chart_svg", report_id=report.id), chart_description(figures))
                           if figures else None,
                           sections=[(s, render_markdown(s.body)) for s in content.sections],
                           header=render_markdown(content.document.header),
                           confirm=ConfirmForm(), publish_form=PublishForm(obj=report))


@bp.route("/<int:report_id>/sections/<key>", methods=["GET", "POST"])
def edit_section(report_id: int, key: str):
    report = _managed(report_id)
    if key not in SECTION_TITLES:
        abort_with(404, "A report has no such section.")
    if report.is_frozen:
        abort_with(409, f"{report.name} is frozen: its sections cannot change.")
    section = next(s for s in services.report_content(report).sections if s.key == key)
    form = SectionForm()
    if not form.is_submitted():
        form.markdown.data = section.body
    if not form.preview.data and form.validate_on_submit():
        services.edit_section(report, key, form.markdown.data, current_user)
        flash(f"Section {section.number}, {section.title}, saved.", "success")
        return redirect(url_for("reports.show", report_id=report.id, _anchor=f"section-{key}"))
    preview = render_markdown(form.markdown.data) if form.preview.data else None
    return render_template("reports/section_form.html", report=report, section=section, form=form,
                           preview=preview, markdown_hint=MARKDOWN_HINT, reset_form=ConfirmForm())


@bp.post("/<int:report_id>/sections/<key>/reset")
def reset_section(report_id: int, key: str):
    report = _managed(report_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort_with(400, "The form's security token was missing or had expired. Reload the page and try again.")
    services.reset_section(report, key)
    flash(f"Section {SECTION_TITLES[key]} reset to the text generated from the data.", "success")
    return redirect(url_for("reports.show", report_id=report.id, _anchor=f"section-{key}"))


@bp.route("/<int:report_id>/freeze", methods=["GET", "POST"])
def freeze(report_id: int):
    report = _managed(report_id)
    if report.is_frozen:
        abort_with(409, f"{report.name} is already frozen.")
    form = ConfirmForm()
    if form.validate_on_submit():
        services.freeze_report(report, current_user)
        flash(f"Frozen as {report.name}. It will not change any more.", "success")
        return redirect(url_for("reports.show", report_id=report.id))
    return render_template("reports/freeze.html", report=report, form=form)


@bp.post("/<int:report_id>/publish")
def publish(report_id: int):
    report = _managed(report_id)
    form = PublishForm()
    if not form.validate_on_submit():
        abort_with(400, "The form's security token was missing or had expired. Reload the page and try again.")
    services.publish_report(report, public=form.public.data)
    flash(f"{report.name} is published{' and public' if report.public else ' to members'}.", "success")
    return redirect(url_for("reports.show", report_id=report.id))


@bp.get("/<int:report_id>/compare")
def compare(report_id: int):
    report = _managed(report_id)
    if not report.is_frozen:
        abort_with(409, "Only a frozen report can be compared with the previous one. Freeze it first.")
    previous = services.last_frozen(report.group, report.number)
    if previous is None:
        abort_with(404, f"{report.name} is the group's first frozen report: there is nothing to compare it with.")
    previous = services.get_report(previous.id)
    return render_template("reports/compare.html", report=report, previous=previous,
                           period_note=services.period_note(report, previous),
                           comparison=services.compare_reports(report, previous))


def _download(report: Report, data: str, extension: str, mimetype: str) -> Response:
    name = file_stem(report)
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{extension}"'})


@bp.get("/<int:report_id>/report.md")
def download_markdown(report_id: int):
    report = _readable(report_id)
    document = services.report_content(report).document
    return _download(report, report_markdown(document), "md", "text/markdown; charset=utf-8")


@bp.get("/<int:report_id>/report.html")
def download_html(report_id: int):
    report = _readable(report_id)
    document = services.report_content(report).document
    return _download(report, report_html(document), "html", "text/html; charset=utf-8")


@bp.post("/<int:report_id>/export/<fmt>")
@login_required
def export(report_id: int, fmt: str):
    """DOCX and PDF are made by a background job; its page shows the progress and the download."""
    report = _readable(report_id)
    if fmt not in FORMATS:
        abort_with(404, "Reports are exported as DOCX or PDF.")
    if not ConfirmForm().validate_on_submit():
        abort_with(400, "The form's security token was missing or had expired. Reload the page and try again.")
    job = start_job(EXPORT_TASK, current_user, {"report_id": report.id, "format": fmt})
    flash(f"The {fmt.upper()} of {report.name} is being made. You can leave this page and come back.", "success")
    return redirect(url_for("jobs.show", job_id=job.id), code=303)


# The chart's own styles are inline in the SVG; it is shown as an image, so nothing in it can run.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@bp.get("/<int:report_id>/chart.svg")
def chart_svg(report_id: int):
    report = _readable(report_id)
    figures = services.report_content(report).document.figures
    if figures is None:
        abort_with(404, "This report has no chart.")
    return Response(chart(figures, "svg"), mimetype="image/svg+xml",
                    headers={"Content-Security-Policy": CHART_POLICY, "Cache-Control": "private, max-age=300"})
