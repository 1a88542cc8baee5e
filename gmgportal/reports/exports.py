"""DOCX and PDF of a report, as background jobs (a report's export never changes the report).

Both start from the same sanitised HTML as the pages (`core.markdown.render_markdown` of each
section's Markdown): the DOCX walks it into Word styles (Heading 1 per section, italics, bulleted
and numbered lists), the PDF is WeasyPrint's print of the standalone HTML.
"""
from __future__ import annotations

import io
from typing import Literal

from lxml import html as lxml_html
from pydantic import BaseModel, ValidationError

from gmgportal.core.markdown import render_markdown
from gmgportal.extensions import db
from gmgportal.jobs import JobFailed, Progress, register_task
from gmgportal.reports.render import FIGURES_SECTION, ReportDocument, report_html

EXPORT_TASK = "report_export"
FORMATS = ("docx", "pdf")
MAX_LIST_LEVEL = 3


class ExportParams(BaseModel):
    report_id: int
    format: Literal["docx", "pdf"]


# --- DOCX -------------------------------------------------------------------------------

def _inline(paragraph, element, bold: bool = False, italic: bool = False, code: bool = False) -> None:
    """Runs of `element`'s text and inline children (block children are left to the caller)."""
    def run(text: str | None, b: bool, i: bool, c: bool) -> None:
        text = (text or "") if c else " ".join((text or "").split("\n"))
        if not paragraph.text:
            text = text.lstrip()
        if text:
            r = paragraph.add_run(text)
            r.bold, r.italic = b or None, i or None
            if c:
                r.font.name = "Courier New"
    run(element.text, bold, italic, code)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in ("ul", "ol", "p", "table", "pre", "blockquote"):
            continue
        if tag == "br":
            paragraph.add_run().add_break()
        else:
            _inline(paragraph, child, bold or tag in ("strong", "b"), italic or tag in ("em", "i"),
                    code or tag == "code")
        run(child.tail, bold, italic, code)


def _list(doc, element, level: int) -> None:
    kind = "List Number" if element.tag == "ol" else "List Bullet"
    style = kind if level == 1 else f"{kind} {min(level, MAX_LIST_LEVEL)}"
    for item in element:
        if item.tag != "li":
            continue
        paragraph = doc.add_paragraph(style=style)
        _inline(paragraph, item)
        first_p = True
        for child in item:
            if child.tag == "p":
                if first_p and not paragraph.text.strip():
                    _inline(paragraph, child)
                else:
                    cont = "List Continue" if level == 1 else f"List Continue {min(level, MAX_LIST_LEVEL)}"
                    _inline(doc.add_paragraph(style=cont), child)
                first_p = False
            elif child.tag in ("ul", "ol"):
                _list(doc, child, level + 1)


def _blocks(doc, fragment_html: str) -> None:
    if not fragment_html.strip():
        return
    for element in lxml_html.fragments_fromstring(fragment_html):
        if isinstance(element, str):
            if element.strip():
                doc.add_paragraph(element.strip())
            continue
        tag = element.tag
        if tag in ("ul", "ol"):
            _list(doc, element, 1)
        elif tag in ("h2", "h3", "h4", "h5", "h6"):
            doc.add_heading(element.text_content().strip(), level=min(int(tag[1]), 4))
        elif tag == "blockquote":
            for child in element:
                _inline(doc.add_paragraph(style="Quote"), child)
        elif tag == "pre":
            _inline(doc.add_paragraph(), element, code=True)
        elif tag == "table":
            rows = element.findall(".//tr")
            cells = [r.findall("./th") + r.findall("./td") for r in rows]
            width = max((len(c) for c in cells), default=0)
            if width:
                table = doc.add_table(rows=len(rows), cols=width, style="Table Grid")
                for i, row in enumerate(cells):
                    for j, cell in enumerate(row):
                        table.cell(i, j).text = cell.text_content().strip()
        elif tag == "hr":
            continue
        else:
            _inline(doc.add_paragraph(), element)


def _figures(doc, figures) -> None:
    """The chart as a PNG with alt text, then its numbers as two tables."""
    from docx.shared import Cm

    from gmgportal.reports.charts import chart, chart_description, chart_title

    caption = doc.add_paragraph()
    caption.add_run(chart_title(figures)).bold = True
    shape = doc.add_picture(io.BytesIO(chart(figures, "png")), width=Cm(16))
    shape._inline.docPr.set("descr", chart_description(figures))
    for heading, rows in (("Activity status", figures.activities), ("Milestones", figures.milestones)):
        table = doc.add_table(rows=len(rows) + 1, cols=2, style="Table Grid")
        table.cell(0, 0).text, table.cell(0, 1).text = heading, "Number"
        for i, (_, label, count) in enumerate(rows, start=1):
            table.cell(i, 0).text, table.cell(i, 1).text = label, str(count)
        doc.add_paragraph()


def report_docx(document: ReportDocument, progress: Progress | None = None) -> bytes:
    """The report as a Word document: the header, then each section under a Heading 1."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = document.title
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    _blocks(doc, render_markdown(document.header))
    total = len(document.sections)
    for done, section in enumerate(document.sections, start=1):
        doc.add_heading(f"{section.number}. {section.title}", level=1)
        _blocks(doc, render_markdown(section.body))
        if section.key == FIGURES_SECTION and document.figures is not None:
            _figures(doc, document.figures)
        if progress is not None:
            progress.update(10 + 80 * done / max(total, 1), f"Section {done} of {total}")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------

def report_pdf(document: ReportDocument) -> bytes:
    """WeasyPrint's print of the standalone HTML (print styles, page numbers)."""
    from weasyprint import HTML  # heavy: imported only when a PDF is made

    return HTML(string=report_html(document, chart="png")).write_pdf()


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
    if checked.format == "docx":
        data = report_docx(document, progress)
    else:
        progress.update(30, "Laying out the pages")
        data = report_pdf(document)
    progress.update(95, "Saving the file")
    progress.finish_with_file(data, f"{file_stem(report)}.{checked.format}", checked.format)
