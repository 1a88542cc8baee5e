"""Word in: an uploaded DOCX becomes a new chapter version in Markdown.

The file is refused whole, with a message for the author, when it is not a
DOCX, is over the size limit, is a damaged package or unpacks to far more than
it weighs (a zip bomb), even where a lenient reader could read part of it.
Pandoc (pypandoc-binary) converts it with `--sandbox`, so nothing outside the
file is read and an image linked to an outside address is never fetched;
such references are dropped from the text with a note. Embedded PNG and JPEG
images are stored like attachments (by content hash) and referred to as
`/handbook/images/<id>`.
"""
from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from gmgportal.core.attachments import (UploadRefused, check_office_package, detect_kind, human_size, refusal_reason,
                                         store_bytes)
from gmgportal.core.errors import Refused
from gmgportal.extensions import db
from gmgportal.handbook.models import EDITABLE, Chapter, ChapterImage, ChapterVersion
from gmgportal.handbook.services import MAX_TEXT_CHARS, NotAllowed, record_version

PANDOC_FORMAT = "markdown_strict+pipe_tables+footnotes+fenced_code_blocks-raw_html"
IMAGE_KINDS = ("png", "jpeg")
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)")


class DocxRefused(Refused):
    """The Word file is refused whole (answered on the form, status 400)."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


def max_docx_bytes() -> int:
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


def _read_limited(stream: BinaryIO, limit: int, filename: str) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DocxRefused(f"“{filename}” is larger than {human_size(limit)}. Save it without large images, "
                          f"or split it, and upload it again.")
    if not data:
        raise DocxRefused(f"“{filename}” is empty.")
    return data


def check_package(path: Path, filename: str) -> None:
    """Refuse a damaged package or a zip bomb (core's check of office packages), or one without a document."""
    try:
        with path.open("rb") as stream, check_office_package(stream, "docx") as package:
            if "word/document.xml" not in set(package.namelist()):
                raise DocxRefused(f"“{filename}” is not a complete Word document (it has no word/document.xml). "
                                  "Open it in Word, save it as a .docx file and upload it again.")
    except UploadRefused as refused:
        raise DocxRefused(f"“{filename}” is refused: {refused} Save it again from Word and upload that.") from refused


def convert_docx(path: Path) -> str:
    """The document as Markdown; Word's Heading 1 becomes a section heading (##) of the chapter."""
    import pypandoc

    try:
        return pypandoc.convert_file(str(path), PANDOC_FORMAT, format="docx",
                                     extra_args=["--sandbox", "--wrap=none", "--shift-heading-level-by=1"])
    except (RuntimeError, OSError) as error:
        raise DocxRefused("The Word document could not be converted: it is damaged or uses a feature the "
                          "converter cannot read. Save it again from Word and upload the new file.") from error


def _store_images(markdown: str, path: Path, chapter: Chapter, user) -> tuple[str, list[str]]:
    """Embedded images stored and re-pointed; remote or unsupported ones replaced by a note."""
    notes: list[str] = []
    with zipfile.ZipFile(path) as package:
        names = set(package.namelist())

        def replace(match: re.Match) -> str:
            alt, src = match.group("alt"), match.group("src")
            if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE):
                notes.append(f"an image linked to an outside address ({src[:80]}) was not fetched")
                return f"*[Image not imported: linked to an outside address. {alt}]*"
            part = "word/" + src.lstrip("/")
            if part not in names:
                notes.append(f"the image {src[:80]} was missing from the file")
                return f"*[Image missing from the Word file. {alt}]*"
            data = package.read(part)
            if detect_kind(data[:8192]) not in IMAGE_KINDS:
                notes.append(f"the image {Path(src).name} is not PNG or JPEG")
                return f"*[Image not imported: only PNG and JPEG images are kept. {alt}]*"
            kind = detect_kind(data[:8192])
            name = f"{Path(src).stem}.{'png' if kind == 'png' else 'jpg'}"
            stored = store_bytes(data, name, IMAGE_KINDS)
            image = ChapterImage(chapter_id=chapter.id, stored_file=stored, filename=name, uploaded_by_id=user.id)
            db.session.add(image)
            db.session.flush()
            return f"![{alt}]({image.markdown_url})"

        return _IMAGE.sub(replace, markdown), notes


def import_docx(chapter: Chapter, user, stream: BinaryIO, filename: str, note: str = "") -> tuple[ChapterVersion,
                                                                                                   list[str]]:
    """A new version from a Word file (it follows the latest version). Returns it and notes for the author."""
    if not chapter.is_writer(user):
        raise NotAllowed("Only focal points of the chapter's lead and contributing agencies upload drafts.")
    if chapter.status not in EDITABLE:
        raise Refused(f"The chapter is {chapter.status.label.lower()}: it cannot be changed now.")
    filename = os.path.basename(filename or "") or "the file"
    data = _read_limited(stream, max_docx_bytes(), filename)
    problem = refusal_reason(detect_kind(data[:8192]), filename, ("docx",))
    if problem:
        raise DocxRefused(problem)
    with tempfile.TemporaryDirectory(prefix="gmg-docx-") as folder:
        path = Path(folder) / "upload.docx"
        path.write_bytes(data)
        check_package(path, filename)
        markdown = convert_docx(path)
        try:
            markdown, notes = _store_images(markdown, path, chapter, user)
        except UploadRefused as error:
            raise DocxRefused(f"An image in “{filename}” was refused: {error}") from error
    if not markdown.strip():
        raise DocxRefused(f"“{filename}” has no text to import.")
    if len(markdown) > MAX_TEXT_CHARS:
        raise DocxRefused(f"“{filename}” is too long for one chapter ({len(markdown):,} characters of text).")
    note = note.strip() or f"From the Word file {filename}"
    version = record_version(chapter, user, markdown.strip(), note, chapter.latest_version_number, "docx")
    return version, notes
