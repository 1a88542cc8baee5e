"""A report as one Markdown document and as a standalone HTML page, from the same Markdown
(every body goes through `core.markdown.render_markdown`, the portal's one sanitiser)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from flask import render_template
from markupsafe import Markup

from gmgportal.core.markdown import render_markdown


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


def report_markdown(document: ReportDocument) -> str:
    parts = [document.header.strip()]
    for section in document.sections:
        parts.append(f"## {section.number}. {section.title}\n\n{section.body.strip()}")
    return "\n\n".join(parts) + "\n"


def section_html(sections: Iterable[SectionLike]) -> list[tuple[SectionLike, Markup]]:
    return [(section, render_markdown(section.body)) for section in sections]


def report_html(document: ReportDocument, charts: dict | None = None) -> str:
    """A standalone HTML file (own styles, print styles, nothing loaded from elsewhere)."""
    return render_template("reports/document.html", document=document, header=render_markdown(document.header),
                           sections=section_html(document.sections), charts=charts or {})
