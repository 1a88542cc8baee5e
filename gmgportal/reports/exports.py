"""DOCX and PDF of a report, as background jobs (a report's export never changes the report).

Both are made by `core.documents` from one Markdown text: the header, a `#` heading per section
(Word's Heading 1), the sections' Markdown with raw HTML removed (as the portal's sanitiser removes
it), and after the highlights the chart as a PNG with its description as alt text and its numbers
as two tables. Lists keep Word's list styles (List Bullet, List Bullet 2, List Continue 2, List
Number), as the seed looks; the PDF has "Page N of M" and the section as running head.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ValidationError

from gmgportal.core.documents import DocumentFailed, escape_markdown, markdown_to_docx, markdown_to_pdf, strip_html
from gmgportal.extensions import db
from gmgportal.jobs import JobFailed, Progress, register_task
from gmgportal.reports.render import FIGURES_SECTION, ReportDocument

EXPORT_TASK = "report_export"
FORMATS = ("docx", "pdf")
CHART = "chart.png"


class ExportParams(BaseModel):
    report_id: int
    format: Literal["docx", "pdf"]


def _figures(figures) -> str:
    """The chart as a PNG with alt text, then its numbers as two tables."""
    from gmgportal.reports.charts import chart_description, chart_title

    parts = [f"**{escape_markdown(chart_title(figures))}**",
             f"![{escape_markdown(chart_description(figures))}]({CHART})"]
    for heading, rows in (("Activity status", figures.activities), ("Milestones", figures.milestones)):
        parts.append(f"| {heading} | Number |\n|---|--:|\n"
                     + "\n".join(f"| {escape_markdown(label)} | {count} |" for _, label, count in rows))
    return "\n\n".join(parts)


def report_source(document: ReportDocument) -> tuple[str, dict[str, bytes]]:
    """The report as one Markdown text for pandoc, and the chart file it names."""
    from gmgportal.reports.charts import chart

    parts = [strip_html(document.header).strip()]
    images = {}
    for section in document.sections:
        parts.append(f"# {section.number}. {escape_markdown(section.title)} {{#section-{section.key}}}")
        parts.append(strip_html(section.body).strip())
        if section.key == FIGURES_SECTION and document.figures is not None:
            parts.append(_figures(document.figures))
            images[CHART] = chart(document.figures, "png")
    return "\n\n".join(p for p in parts if p) + "\n", images


def report_docx(document: ReportDocument, progress: Progress | None = None) -> bytes:
    """The report as a Word document: the header, then each section under a Heading 1."""
    markdown, images = report_source(document)
    if progress is not None:
        progress.update(30, "Writing the Word file")
    return markdown_to_docx(markdown, title=None, images=images)


def report_pdf(document: ReportDocument) -> bytes:
    """The report as an A4 PDF: every section, the chart, page numbers."""
    markdown, images = report_source(document)
    return markdown_to_pdf(markdown, title=document.title, images=images)


# --- the job ----------------------------------------------------------------------------

def file_stem(report) -> str:
    stem = f"{report.group.slug}-progress-report-{report.period_end.isoformat()}"
    return stem + (f"-{report.number}" if report.is_frozen else "-draft")


@register_task(EXPORT_TASK, title="Export a progress report", may_start=lambda user: bool(
    getattr(user, "is_authenticated", False)), listed=False)
def export_report(progress: Progress, params: dict) -> None:
    """Reads the report (a draft as of now, a frozen one from its snapshot) and hands over the file."""
    from gmgportal.auth.models import User
    from gmgportal.reports import services

    try:
        checked = ExportParams.model_validate(params)
    except ValidationError as error:
        raise JobFailed(f"The export's parameters are not valid: {error.errors()[0]['msg']}") from None
    report = services.get_report(checked.report_id)
    user = db.session.get(User, progress.user_id) if progress.user_id else None
    if report is None or user is None or not report.can_read(user):
        raise JobFailed("The report no longer exists, or you may no longer read it.")
    progress.update(5, "Assembling the report")
    document = services.report_content(report).document
    try:
        if checked.format == "docx":
            data = report_docx(document, progress)
        else:
            progress.update(30, "Laying out the pages")
            data = report_pdf(document)
    except DocumentFailed as error:
        raise JobFailed(str(error)) from None
    progress.update(95, "Saving the file")
    progress.finish_with_file(data, f"{file_stem(report)}.{checked.format}", checked.format)
