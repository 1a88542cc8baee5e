"""Word in: an uploaded DOCX becomes a new chapter version in Markdown.

The file is refused whole, with a message for the author, when it is not a
DOCX, is over the size limit, is a damaged package or unpacks to far more than
it weighs (a zip bomb), even where a lenient reader could read part of it.
Pandoc (pypandoc-binary) converts it with `--sandbox`, so nothing outside the
file is read and an image linked to an outside address is never fetched;
such references are dropped from the text with a note. Embedded PNG and JPEG
images are stored like attachments (by content hash) and referred to as
`/handbook/images/<id>`.

Two paths, one result. The upload is checked in the request (size, type,
package, zip bomb: all cheap). A file whose document part is small converts in
well under a second and is imported in the request; a larger one (over
`HANDBOOK_DOCX_JOB_BYTES` of document XML, measured in bench/handbook_docx.py)
is staged on the upload storage and converted by a job (`import_docx_job`)
whose `apply()` stores the images and saves the version in the job's one final
transaction. Either way the conversion (`prepare_docx`) writes nothing, and the
writes (`save_prepared`) are all or nothing.

A version saved by someone else after the author opened the upload page does
not make the import fail (the converted text would be lost): the Word file's
version is saved after it, both are kept, and the note of the new version (and
the message to the author) says so, with the versions to compare.
"""
from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Optional

import sqlalchemy as sa
from flask import current_app
from pydantic import BaseModel, Field, ValidationError

from gmgportal.core.attachments import (UploadRefused, check_office_package, detect_kind, human_size, refusal_reason,
                                         store_bytes)
from gmgportal.core.errors import Refused
from gmgportal.core.permissions import Role, has_role
from gmgportal.core.uow import after_commit
from gmgportal.extensions import db
from gmgportal.handbook.models import EDITABLE, Chapter, ChapterImage, ChapterVersion
from gmgportal.handbook.services import MAX_TEXT_CHARS, NotAllowed, record_version
from gmgportal.jobs import JobFailed, Progress, register_task, start_job

KIND = "handbook_docx_import"
# Uncompressed size of word/document.xml above which the conversion goes to a job. Conversion time
# follows it (images cost almost nothing); measured in bench/handbook_docx.py on a 2-CPU machine, 1 s
# is crossed at 510-970 KB when quiet and at about 230 KB when loaded (docs/performance.md): 200 KB
# keeps an ordinary chapter (5,000-10,000 words, 50-140 KB) in the request and anything slower out.
DEFAULT_JOB_BYTES = 200 * 1024
STAGING_FOLDER = ".handbook-imports"
STAGED_DAYS = 7
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


def job_threshold() -> int:
    return int(current_app.config.get("HANDBOOK_DOCX_JOB_BYTES", DEFAULT_JOB_BYTES))


def check_package(path: Path, filename: str) -> int:
    """Refuse a damaged package or a zip bomb (core's check of office packages), or one without a document.

    Returns the size of the document part once unpacked (what the conversion time follows)."""
    try:
        with path.open("rb") as stream, check_office_package(stream, "docx") as package:
            if "word/document.xml" not in set(package.namelist()):
                raise DocxRefused(f"“{filename}” is not a complete Word document (it has no word/document.xml). "
                                  "Open it in Word, save it as a .docx file and upload it again.")
            return package.getinfo("word/document.xml").file_size
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


@dataclass
class PendingImage:
    marker: str  # stands in the Markdown for the image's address until it is stored
    data: bytes
    filename: str


@dataclass
class PreparedImport:
    """A Word file converted, nothing written yet: the Markdown, its images and notes for the author."""

    filename: str
    markdown: str
    images: list[PendingImage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _take_images(markdown: str, path: Path) -> tuple[str, list[PendingImage], list[str]]:
    """Embedded images read (to store later) and marked; remote or unsupported ones replaced by a note."""
    notes: list[str] = []
    images: list[PendingImage] = []
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
            kind = detect_kind(data[:8192])
            if kind not in IMAGE_KINDS:
                notes.append(f"the image {Path(src).name} is not PNG or JPEG")
                return f"*[Image not imported: only PNG and JPEG images are kept. {alt}]*"
            marker = f"gmg-image-{len(images)}-{secrets.token_hex(8)}"
            images.append(PendingImage(marker, data, f"{Path(src).stem}.{'png' if kind == 'png' else 'jpg'}"))
            return f"![{alt}]({marker})"

        return _IMAGE.sub(replace, markdown), images, notes


def prepare_docx(path: Path, filename: str) -> PreparedImport:
    """Check and convert the file; refuse it whole (DocxRefused) for any fault. Writes nothing."""
    check_package(path, filename)
    markdown = convert_docx(path)
    markdown, images, notes = _take_images(markdown, path)
    if not markdown.strip():
        raise DocxRefused(f"“{filename}” has no text to import.")
    if len(markdown) > MAX_TEXT_CHARS:
        raise DocxRefused(f"“{filename}” is too long for one chapter ({len(markdown):,} characters of text).")
    return PreparedImport(filename, markdown.strip(), images, notes)


def check_may_import(chapter: Chapter, user) -> None:
    if user is None or not chapter.is_writer(user):
        raise NotAllowed("Only focal points of the chapter's lead and contributing agencies upload drafts.")
    if chapter.status not in EDITABLE:
        raise Refused(f"The chapter is {chapter.status.label.lower()}: it cannot be changed now.")


def _store_images(prepared: PreparedImport, chapter: Chapter, user, written: list[Path]) -> str:
    """The images stored and the Markdown pointed at them; files new on disk are added to `written`."""
    markdown = prepared.markdown
    for pending in prepared.images:
        try:
            stored = store_bytes(pending.data, pending.filename, IMAGE_KINDS)
        except UploadRefused as error:
            raise DocxRefused(f"An image in “{prepared.filename}” was refused: {error}") from error
        if sa.inspect(stored).pending:
            written.append(stored.path)
        image = ChapterImage(chapter_id=chapter.id, stored_file=stored, filename=pending.filename,
                             uploaded_by_id=user.id)
        db.session.add(image)
        db.session.flush()
        markdown = markdown.replace(f"]({pending.marker})", f"]({image.markdown_url})")
    return markdown


def _meanwhile(chapter: Chapter, based_on: Optional[int]) -> Optional[str]:
    """What to tell when versions were saved after the one the author uploaded against."""
    latest = chapter.latest_version_number
    if based_on is None or based_on >= latest:
        return None
    one = latest == based_on + 1
    saved = f"version {latest}" if one else f"versions {based_on + 1} to {latest}"
    start = f"version {based_on}" if based_on else "an empty chapter"
    return (f"{saved.capitalize()} {'was' if one else 'were'} saved after this upload was started from {start}: "
            f"this version is the Word file's text, {saved} {'is' if one else 'are'} kept; compare them and merge "
            f"what is missing")


def save_prepared(chapter: Chapter, user, prepared: PreparedImport, note: str = "",
                  based_on: Optional[int] = None) -> tuple[ChapterVersion, list[str]]:
    """The writes of an import: images stored, the new version (after the latest). Returns it and the notes."""
    check_may_import(chapter, user)
    meanwhile = _meanwhile(chapter, based_on)
    note = note.strip() or f"From the Word file {prepared.filename}"
    if meanwhile:
        note = f"{note}. {meanwhile}."
    written: list[Path] = []
    try:
        markdown = _store_images(prepared, chapter, user, written)
        version = record_version(chapter, user, markdown, note, based_on if based_on is not None
                                 else chapter.latest_version_number, "docx")
    except BaseException:
        for path in written:  # all or nothing: the rows go with the rollback, the new files here
            path.unlink(missing_ok=True)
        raise
    return version, [meanwhile, *prepared.notes] if meanwhile else list(prepared.notes)


@dataclass
class ReceivedDocx:
    """An upload that passed the request's checks, in a temporary folder until it is imported or staged."""

    path: Path
    filename: str
    document_bytes: int

    @property
    def needs_job(self) -> bool:
        return self.document_bytes > job_threshold()


def receive_docx(chapter: Chapter, user, stream: BinaryIO, filename: str, folder: Path) -> ReceivedDocx:
    """The request's checks (who, status, size, type, package, zip bomb), written to `folder`."""
    check_may_import(chapter, user)
    filename = os.path.basename(filename or "") or "the file"
    data = _read_limited(stream, max_docx_bytes(), filename)
    problem = refusal_reason(detect_kind(data[:8192]), filename, ("docx",))
    if problem:
        raise DocxRefused(problem)
    path = folder / "upload.docx"
    path.write_bytes(data)
    return ReceivedDocx(path, filename, check_package(path, filename))


def import_docx(chapter: Chapter, user, stream: BinaryIO, filename: str, note: str = "",
                based_on: Optional[int] = None) -> tuple[ChapterVersion, list[str]]:
    """A new version from a Word file, here and now (it follows the latest version). Returns it and notes."""
    with tempfile.TemporaryDirectory(prefix="gmg-docx-") as folder:
        received = receive_docx(chapter, user, stream, filename, Path(folder))
        prepared = prepare_docx(received.path, received.filename)
    return save_prepared(chapter, user, prepared, note, based_on)


# --- the job: conversion over a second -------------------------------------------------

class ImportParams(BaseModel):
    chapter_id: int
    token: str = Field(pattern=r"^[0-9a-f]{32}$")  # names the staged file; never a path
    filename: str = Field(max_length=255)
    note: str = Field(default="", max_length=500)
    based_on: Optional[int] = None


def staging_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / STAGING_FOLDER


def staged_path(token: str) -> Path:
    return staging_root() / f"{token}.docx"


def _sweep_staged(now: Optional[float] = None) -> None:
    """Staged files of imports never finished (failed and not retried) go after STAGED_DAYS."""
    cutoff = (now or time.time()) - STAGED_DAYS * 86400
    for old in staging_root().glob("*.docx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def start_import_job(chapter: Chapter, user, received: ReceivedDocx, note: str = "",
                     based_on: Optional[int] = None, idempotency_key: Optional[str] = None):
    """Stage the checked file on the upload storage (workers read it) and start the job (queued on commit)."""
    root = staging_root()
    root.mkdir(parents=True, exist_ok=True)
    _sweep_staged()
    token = secrets.token_hex(16)
    os.replace(received.path, staged_path(token))
    params = ImportParams(chapter_id=chapter.id, token=token, filename=received.filename, note=note.strip(),
                          based_on=based_on)
    return start_job(KIND, user, params.model_dump(), idempotency_key=idempotency_key)


def _shorten(text: str, limit: int = 250) -> str:
    """Job messages are short (a database column of 255); the version's note keeps the whole."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _job_link(params: dict) -> Optional[tuple[str, str]]:
    from flask import url_for

    chapter_id = params.get("chapter_id")
    chapter = db.session.get(Chapter, chapter_id) if isinstance(chapter_id, int) else None
    if chapter is None:
        return None
    return f"Go to chapter {chapter.number}", url_for("handbook.chapter", chapter_id=chapter.id)


@register_task(KIND, title="Import a Word file into a chapter", listed=False,
               may_start=lambda user: has_role(user, Role.FOCAL_POINT), link=_job_link)
def import_docx_job(progress: Progress, params: dict) -> Callable[[], None]:
    """Convert the staged Word file (reads only); `apply` stores its images and saves the version."""
    try:
        p = ImportParams.model_validate(params)
    except ValidationError as error:
        raise JobFailed("The job's parameters are not valid: upload the Word file again.") from error
    from gmgportal.auth.models import User

    chapter, user = db.session.get(Chapter, p.chapter_id), db.session.get(User, progress.user_id or 0)
    path = staged_path(p.token)
    if chapter is None:
        raise JobFailed("The chapter no longer exists.")
    if not path.exists():
        raise JobFailed(f"The uploaded file “{p.filename}” is no longer kept. Upload it again.")
    try:
        check_may_import(chapter, user)
        progress.update(5, "Checking the Word file")
        check_package(path, p.filename)
        progress.update(10, "Converting the Word file")
        prepared = prepare_docx(path, p.filename)
    except Refused as refusal:
        raise JobFailed(refusal.message) from refusal
    count = len(prepared.images)
    progress.update(80, f"Storing {count} image{'' if count == 1 else 's'}" if count else "Saving the version")
    chapter_id, user_id = chapter.id, user.id

    def apply() -> None:
        chapter, user = db.session.get(Chapter, chapter_id), db.session.get(User, user_id)
        try:
            version, notes = save_prepared(chapter, user, prepared, p.note, p.based_on)
        except Refused as refusal:
            raise JobFailed(refusal.message) from refusal
        message = f"Version {version.number} saved ({version.word_count:,} words)."
        progress.final_message = _shorten(message + (" Note: " + "; ".join(notes) + "." if notes else ""))
        after_commit(lambda: path.unlink(missing_ok=True))

    return apply
