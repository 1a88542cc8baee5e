"""Compiling the handbook: a background job that writes one edition as HTML, DOCX and PDF.

The task reads the chapters (accepted ones only, or every chapter's latest
version with the unaccepted ones marked as drafts), reports "Chapter 7 of 20",
and returns the writes (the edition, its chapters' web pages and its three
files), which the job runner applies in its one final transaction.

- HTML: the portal's Markdown (cmark-gfm) with footnotes, sanitised by nh3 like every page of the
  portal (plus footnote anchors and our own images), one self-contained file.
- DOCX and PDF: `core.documents` from the chapters' Markdown (raw HTML removed):
  Word heading styles, a table-of-contents field, Word footnotes and tables,
  images embedded; the PDF through Typst with a title page, contents, "Page N
  of M", the chapter as running head and a DRAFT mark on a draft's pages.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from typing import Callable, Optional

import nh3
import sqlalchemy as sa
from markupsafe import escape
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import joinedload

from gmgportal.core import clock
from gmgportal.core.attachments import FILE_KINDS, StoredFile, storage_path
from gmgportal.core.audit import record_event
from gmgportal.core.documents import DocumentFailed, escape_markdown, markdown_to_docx, markdown_to_pdf, strip_html
from gmgportal.core.formatting import format_date
from gmgportal.core.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES, markdown_html, render_markdown
from gmgportal.extensions import db
from gmgportal.handbook.models import (Chapter, ChapterImage, ChapterStatus, ChapterVersion, Edition, EditionChapter,
                                       EditionMode, Handbook, can_compile)
from gmgportal.jobs import JobFailed, Progress, register_task

KIND = "handbook_compile"
COMPILE_TAGS = ALLOWED_TAGS | {"div", "img", "sup", "hr", "ol", "li", "section"}
COMPILE_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "a": {"href", "title", "class", "id", "aria-label"}, "sup": {"id", "class"},
                      "li": {"id"}, "section": {"class"},
                      "div": {"class"}, "img": {"src", "alt"}}
_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")
_IMAGE_SRC = re.compile(r'src="/handbook/images/(\d+)"')
_IMAGE_MD = re.compile(r"\]\(/handbook/images/(\d+)\)")


class CompileParams(BaseModel):
    handbook_id: int
    mode: EditionMode


@dataclass
class CompiledChapter:
    chapter: Chapter
    version: ChapterVersion
    is_draft: bool
    html: str = ""


# --- picking what goes in ---------------------------------------------------------

def pick_versions(handbook: Handbook, mode: EditionMode) -> list[CompiledChapter]:
    """The chapters in order with the version each contributes."""
    chapters = list(db.session.scalars(
        sa.select(Chapter).where(Chapter.handbook_id == handbook.id, Chapter.latest_version_number > 0)
        .options(joinedload(Chapter.lead_agency)).order_by(Chapter.number)))
    if mode is EditionMode.ACCEPTED:
        chapters = [c for c in chapters if c.status is ChapterStatus.ACCEPTED]
    versions = {v.chapter_id: v for v in db.session.scalars(
        sa.select(ChapterVersion).join(Chapter, Chapter.id == ChapterVersion.chapter_id)
        .where(ChapterVersion.chapter_id.in_([c.id for c in chapters]),
               ChapterVersion.number == Chapter.latest_version_number))}
    return [CompiledChapter(c, versions[c.id], c.status is not ChapterStatus.ACCEPTED) for c in chapters]


def _images(picked: list[CompiledChapter]) -> dict[int, tuple[str, bytes]]:
    """Image id -> (MIME type, bytes) for the images the picked versions refer to, of their own chapters."""
    wanted = {int(i) for p in picked for i in _IMAGE_MD.findall(p.version.text)}
    if not wanted:
        return {}
    chapter_ids = {p.chapter.id for p in picked}
    found = {}
    for image in db.session.scalars(sa.select(ChapterImage).where(ChapterImage.id.in_(wanted))
                                    .options(joinedload(ChapterImage.stored_file))):
        if image.chapter_id in chapter_ids and image.stored_file.path.exists():
            found[image.id] = (image.stored_file.mime_type, image.stored_file.path.read_bytes())
    return found


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


# --- HTML -------------------------------------------------------------------------------

def _own_footnotes(text: str, number: int) -> str:
    """Footnote labels made unique across chapters ([^1] of chapter 3 becomes [^c3-1])."""
    return _FOOTNOTE.sub(lambda m: f"[^c{number}-{m.group(1)}]", text)


def chapter_html(text: str, number: int, images: dict[int, tuple[str, bytes]]) -> str:
    """A chapter's Markdown as sanitised HTML (scripts, raw HTML removed); only our own images kept."""
    html = markdown_html(_own_footnotes(text, number), footnotes=True)
    clean = nh3.clean(html, tags=COMPILE_TAGS, attributes=COMPILE_ATTRIBUTES, url_schemes=ALLOWED_URL_SCHEMES,
                      link_rel=None, strip_comments=True)
    return re.sub(r"<img\b[^>]*>", lambda m: m.group(0) if _our_image(m.group(0), images) else "", clean)


def _our_image(tag: str, images: dict[int, tuple[str, bytes]]) -> bool:
    found = _IMAGE_SRC.search(tag)
    return found is not None and int(found.group(1)) in images


def embedded(html: str, images: dict[int, tuple[str, bytes]]) -> str:
    """For the files (HTML, PDF): images inside, as data: addresses."""
    return _IMAGE_SRC.sub(lambda m: f'src="{_data_uri(*images[int(m.group(1))])}"', html)


def for_the_web(html: str) -> str:
    """For the published pages: images served from the published handbook's own address."""
    return _IMAGE_SRC.sub(lambda m: f'src="/handbook/published/images/{m.group(1)}"', html)


PRINT_CSS = """
@page { size: A4; margin: 2.2cm 2cm 2.4cm; }
body { font-family: "DejaVu Serif", Georgia, serif; font-size: 11pt; line-height: 1.45; color: #1b1b1b;
  max-width: 48rem; margin: 0 auto; padding: 1rem; }
.title-page { page-break-after: always; padding-top: 30%; text-align: center; }
.title-page h1 { font-size: 24pt; }
.chapter, .front { page-break-before: always; }
h1.chapter-title { font-size: 18pt; }
.draft-banner { border: 2px solid #8a1c14; color: #8a1c14; padding: 0.3rem 0.6rem; font-weight: bold; }
table { border-collapse: collapse; margin: 0.75rem 0; } th, td { border: 1px solid #8a949e; padding: 0.2rem 0.5rem; }
img { max-width: 100%; }
.toc ul { list-style: none; padding: 0; } .toc li { margin-bottom: 0.4rem; }
.footnotes { font-size: 9pt; }
"""


def build_html(handbook: Handbook, number: int, mode: EditionMode, picked: list[CompiledChapter],
               images: dict[int, tuple[str, bytes]]) -> str:
    """One self-contained HTML file: title page, concept note, contents, chapters."""
    drafts = any(p.is_draft for p in picked)
    toc = "".join(
        f'<li><a href="#chapter-{p.chapter.number}">Chapter {p.chapter.number}. {escape(p.chapter.title)}'
        f'{" (draft)" if p.is_draft else ""}</a></li>' for p in picked)
    chapters = "".join(
        f'<section class="chapter" id="chapter-{p.chapter.number}" data-draft="{"yes" if p.is_draft else "no"}">'
        f'<h1 class="chapter-title">Chapter {p.chapter.number}. {escape(p.chapter.title)}</h1>'
        + (f'<p class="draft-banner">Draft: version {p.version.number}, not yet accepted by the editors.</p>'
           if p.is_draft else "")
        + f'<p class="chapter-meta">Lead agency: {escape(p.chapter.lead_agency.code)}. Version {p.version.number}.</p>'
        + embedded(p.html, images) + "</section>" for p in picked)
    title = escape(handbook.title)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{PRINT_CSS}</style></head><body>"
            f'<div class="title-page"><h1>{title}</h1><p>Global Migration Group</p>'
            f"<p>Edition {number}, {format_date(clock.today())}. {escape(mode.label)}.</p>"
            + ('<p class="draft-banner">This edition contains drafts that are not yet accepted.</p>' if drafts else "")
            + f'</div><section class="front"><h1>Concept note</h1>{render_markdown(handbook.concept_note)}</section>'
            f'<section class="front toc"><h1>Contents</h1><ul>{toc}</ul></section>{chapters}</body></html>')


# --- DOCX and PDF (core.documents: pandoc, and Typst for the PDF) ------------------------

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}


def _image_name(image_id: int, mime: str) -> str:
    return f"image-{image_id}.{_EXTENSIONS.get(mime, 'png')}"


def handbook_markdown(handbook: Handbook, picked: list[CompiledChapter],
                      images: dict[int, tuple[str, bytes]]) -> tuple[str, dict[str, bytes]]:
    """The whole handbook as one Markdown text (concept note, then a `#` heading per chapter with the
    identifier `chapter-N`, raw HTML removed, footnotes made unique) and the image files it names."""
    def own_images(text: str) -> str:
        return _IMAGE_MD.sub(lambda m: f"]({_image_name(int(m.group(1)), images[int(m.group(1))][0])})"
                             if int(m.group(1)) in images else "]()", text)

    parts = ["# Concept note {#concept-note}", strip_html(handbook.concept_note)]
    for p in picked:
        parts.append(f"# Chapter {p.chapter.number}. {escape_markdown(p.chapter.title)}"
                     f"{' (draft)' if p.is_draft else ''} {{#chapter-{p.chapter.number}}}")
        if p.is_draft:
            parts.append(f"**Draft: version {p.version.number}, not yet accepted by the editors.**")
        parts.append(f"*Lead agency: {escape_markdown(p.chapter.lead_agency.code)}. Version {p.version.number}.*")
        parts.append(own_images(_own_footnotes(strip_html(p.version.text), p.chapter.number)))
    files = {_image_name(i, mime): data for i, (mime, data) in images.items()}
    return "\n\n".join(parts), files


def build_docx(handbook: Handbook, picked: list[CompiledChapter], images: dict[int, tuple[str, bytes]]) -> bytes:
    """Word: Heading 1 per chapter, a TOC field, Word footnotes and tables; raw HTML is text, never markup."""
    markdown, files = handbook_markdown(handbook, picked, images)
    return markdown_to_docx(markdown, title=handbook.title, toc=True, toc_depth=2, images=files)


def build_pdf(handbook: Handbook, number: int, mode: EditionMode, picked: list[CompiledChapter],
              images: dict[int, tuple[str, bytes]]) -> bytes:
    """A4 with a title page, contents, "Page N of M", the chapter as running head, drafts marked on every page."""
    markdown, files = handbook_markdown(handbook, picked, images)
    subtitle = ["Global Migration Group", f"Edition {number}, {format_date(clock.today())}. {mode.label}."]
    if any(p.is_draft for p in picked):
        subtitle.append("This edition contains drafts that are not yet accepted.")
    return markdown_to_pdf(markdown, title=handbook.title, subtitle=subtitle, title_page=True, contents=True,
                           chapter_breaks=True, drafts=[f"chapter-{p.chapter.number}" for p in picked if p.is_draft],
                           images=files)


# --- the job -----------------------------------------------------------------------------

def _store_generated(data: bytes, kind: str) -> StoredFile:
    """A file the portal made itself (its kind is known), stored by content hash like an upload."""
    sha256 = hashlib.sha256(data).hexdigest()
    stored = db.session.scalar(sa.select(StoredFile).where(StoredFile.sha256 == sha256))
    target = storage_path(sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".edition-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    if stored is None:
        stored = StoredFile(sha256=sha256, size=len(data), kind=kind, mime_type=FILE_KINDS[kind].mime_type)
        db.session.add(stored)
    return stored


@register_task(KIND, title="Compile the handbook", may_start=can_compile, listed=False,
               description="The handbook as web pages, a Word file and a PDF.")
def compile_handbook(progress: Progress, params: dict) -> Callable[[], None]:
    try:
        p = CompileParams.model_validate(params)
    except ValidationError as error:
        raise JobFailed(f"The compile job's parameters are not valid: {error.errors()[0]['msg']}") from None
    handbook = db.session.get(Handbook, p.handbook_id)
    if handbook is None:
        raise JobFailed("The handbook is gone.")
    picked = pick_versions(handbook, p.mode)
    if not picked:
        raise JobFailed("No chapter is accepted yet: compile the latest drafts instead, or accept a chapter first."
                        if p.mode is EditionMode.ACCEPTED else "No chapter has a version yet.")
    images = _images(picked)
    total = len(picked)
    steps = total + 3
    for i, item in enumerate(picked, start=1):
        progress.update(100 * (i - 1) / steps, f"Chapter {i} of {total}: {item.chapter.title}")
        item.html = chapter_html(item.version.text, item.chapter.number, images)
    number = (db.session.scalar(sa.select(sa.func.max(Edition.number)).where(Edition.handbook_id == handbook.id))
              or 0) + 1
    html = build_html(handbook, number, p.mode, picked, images)
    progress.update(100 * total / steps, "Writing the Word file")
    try:
        docx = build_docx(handbook, picked, images)
        progress.update(100 * (total + 1) / steps, "Writing the PDF")
        pdf = build_pdf(handbook, number, p.mode, picked, images)
    except DocumentFailed as error:
        raise JobFailed(str(error)) from None
    progress.update(100 * (total + 2) / steps, "Keeping the edition")
    progress.finish_with_file(pdf, f"handbook-edition-{number}.pdf", "pdf")
    rows = [dict(position=i, chapter_number=x.chapter.number, title=x.chapter.title,
                 lead_agency_code=x.chapter.lead_agency.code, version_number=x.version.number, is_draft=x.is_draft,
                 html=for_the_web(x.html)) for i, x in enumerate(picked, start=1)]
    title, user_id, has_drafts = handbook.title, progress.user_id, any(x.is_draft for x in picked)

    def apply() -> None:
        current = db.session.scalar(sa.select(sa.func.max(Edition.number)).where(Edition.handbook_id == p.handbook_id))
        edition = Edition(handbook_id=p.handbook_id, number=(current or 0) + 1, mode=p.mode, title=title,
                          has_drafts=has_drafts, created_at=clock.now(), created_by_id=user_id,
                          html_file=_store_generated(html.encode(), "html"),
                          docx_file=_store_generated(docx, "docx"), pdf_file=_store_generated(pdf, "pdf"),
                          chapters=[EditionChapter(**row) for row in rows])
        db.session.add(edition)
        db.session.flush()
        record_event("handbook_compiled", edition, {"mode": p.mode.value,
                                                    "versions": {r["chapter_number"]: r["version_number"] for r in rows}})
        progress.final_message = (f"Edition {edition.number} compiled: {len(rows)} chapter"
                                  f"{'s' if len(rows) != 1 else ''}. The PDF is below; the web pages and the Word "
                                  "file are on the handbook's editions page.")

    return apply


def get_edition(handbook: Handbook, number: int) -> Optional[Edition]:
    return db.session.scalar(sa.select(Edition).where(Edition.handbook_id == handbook.id, Edition.number == number))
