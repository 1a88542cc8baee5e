"""A report as one Markdown document and as a standalone HTML page, from the same Markdown
(every body goes through `core.markdown.render_markdown`, the portal's one sanitiser)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from flask import render_template
from markupsafe import Markup

from gmgportal.core.markdown import render_markdown
from gmgportal.reports.assemble import Figures

FIGURES_SECTION = "highlights"  # the chart and its table follow this section's text


class SectionLike(Protocol):
    key: str
    number: int
    title: str
    body: str


@dataclass(frozen=True)
class ReportDocument:
    """What is rendered: a header and numbered sections, each Markdown (a draft with the chair's edits
    applied, or a frozen snapshot)."""

    title: str
    header: str
    sections: tuple[SectionLike, ...]
    figures: Figures | None = None


def report_markdown(document: ReportDocument) -> str:
    from gmgportal.reports.charts import figures_markdown

    parts = [document.header.strip()]
    for section in document.sections:
        parts.append(f"## {section.number}. {section.title}\n\n{section.body.strip()}")
        if section.key == FIGURES_SECTION and document.figures is not None:
            parts.append(figures_markdown(document.figures))
    return "\n\n".join(parts) + "\n"


def section_html(sections: Iterable[SectionLike]) -> list[tuple[SectionLike, Markup]]:
    return [(section, render_markdown(section.body)) for section in sections]


def report_html(document: ReportDocument, chart: str = "svg") -> str:
    """A standalone HTML file (own styles, print styles, nothing loaded from elsewhere); the chart
    inline as SVG, or (`chart="png"`, for the PDF) as a PNG."""
    from gmgportal.reports.charts import chart_description, chart_title, inline_svg, png_data_uri

    picture = None
    if document.figures is not None:
        picture = inline_svg(document.figures) if chart == "svg" else Markup(
            '<img src="{}" alt="{}" width="720">').format(png_data_uri(document.figures),
                                                         chart_description(document.figures))
    return render_template("reports/document.html", document=document, header=render_markdown(document.header),
                           sections=section_html(document.sections), picture=picture,
                           figures_section=FIGURES_SECTION,
                           chart_title=chart_title(document.figures) if document.figures else "")
