"""Files stored by content hash, with size and type limits, and who may download them.

The type is decided from the content, never from the name or the browser's
claim; the file lands on disk under its SHA-256, so the same file uploaded
twice is stored once, and no user-chosen name ever reaches the file system.

A feature attaches a stored file to its own object through a link model
(a row with `stored_file` and `filename`, such as the programme's
ProgressAttachment) and registers, for that model, who may see the object
the attachment belongs to (`register_attachment_rule`). Downloads go through
`send_attachment`, which serves the file only to them: anyone else gets the
same 404 as for an attachment that does not exist.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable

import filetype
import sqlalchemy as sa
from flask import current_app, send_file
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.utils import secure_filename

from gmgportal.core.models import UTCDateTime, utcnow
from gmgportal.extensions import db


@dataclass(frozen=True)
class FileKind:
    name: str
    mime_type: str
    extensions: tuple[str, ...]


FILE_KINDS = {
    "pdf": FileKind("PDF", "application/pdf", (".pdf",)),
    "docx": FileKind("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": FileKind("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "csv": FileKind("CSV", "text/csv", (".csv",)),
    "png": FileKind("PNG", "image/png", (".png",)),
    "jpeg": FileKind("JPEG", "image/jpeg", (".jpg", ".jpeg")),
    "zip": FileKind("ZIP", "application/zip", (".zip",)),
    "md": FileKind("Markdown", "text/markdown", (".md",)),
    "html": FileKind("HTML", "text/html", (".html",)),
}
DOCUMENT_KINDS = ("pdf", "docx", "xlsx", "csv", "png", "jpeg")
CHUNK = 1024 * 1024

# DOCX and XLSX files are zip packages. What one may hold, judged from its
# directory without inflating anything: real documents stay far below these.
OFFICE_KINDS = ("docx", "xlsx")
OFFICE_MAX_ENTRIES = 2000
OFFICE_MAX_UNCOMPRESSED = 200 * 1024 * 1024
OFFICE_MAX_RATIO = 100          # uncompressed / compressed, for entries above the size below
OFFICE_RATIO_FROM_SIZE = 1024 * 1024
OFFICE_MAX_CONTENT_TYPES = 1024 * 1024


class UploadRefused(ValueError):
    """The upload was refused; the message says why, in words for the user."""


class StoredFile(db.Model):
    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    kind: Mapped[str] = mapped_column(sa.String(20))
    mime_type: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def path(self) -> Path:
        return storage_path(self.sha256)


def storage_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def storage_path(sha256: str) -> Path:
    return storage_root() / sha256[:2] / sha256[2:4] / sha256


def allowed_kinds_hint(kinds: Iterable[str], max_bytes: int) -> str:
    names = [FILE_KINDS[k].name for k in kinds]
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return f"{listed}, up to {human_size(max_bytes)}"


def human_size(size: int) -> str:
    """Sizes round up, so a file just over a limit never reads as equal to it."""
    if size > 1024 ** 3:
        return f"{math.ceil(size / 1024 ** 3 * 10) / 10:.1f} GB"
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        if value.is_integer():
            return f"{value:.0f} MB"
        return f"{math.ceil(value):.0f} MB" if value >= 10 else f"{math.ceil(value * 10) / 10:.1f} MB"
    if size >= 1024:
        return f"{math.ceil(size / 1024)} KB"
    return f"{size} bytes"


def _looks_like_csv(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # A cut in the middle of a multi-byte character at the end of the sample.
        try:
            text = head[:-3].decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
    lines = [line for line in text.splitlines() if line.strip()][:20]
    if not lines:
        return False
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    return all(len(row) >= 1 for row in rows)


def detect_kind(head: bytes) -> str | None:
    """The file kind from its first bytes, or None when it is none we accept."""
    guess = filetype.guess(head)
    if guess is not None:
        by_mime = {k.mime_type: key for key, k in FILE_KINDS.items()}
        return by_mime.get(guess.mime, "zip" if guess.extension == "zip" else None)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if _looks_like_csv(head):
        return "csv"
    return None


def _damaged(kind: str) -> UploadRefused:
    return UploadRefused(f"The {FILE_KINDS[kind].name} file is damaged: it could not be read as a package. "
                         f"Open it in Word or Excel, save it again and upload the new copy.")


def check_office_package(stream: BinaryIO, kind: str) -> zipfile.ZipFile:
    """Refuse a DOCX or XLSX package that is damaged or would inflate unreasonably (a zip bomb).

    Judged from the zip's central directory, without inflating anything:
    entry count, declared total size, each large entry's compression ratio and
    the presence of `[Content_Types].xml` (read with `read_package_entry`, which
    also counts what actually comes out). Returns the open package for further
    reading; raises UploadRefused with a message for the user.
    """
    name = FILE_KINDS[kind].name
    try:
        package = zipfile.ZipFile(stream)
        entries = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise _damaged(kind) from error
    if len(entries) > OFFICE_MAX_ENTRIES:
        raise UploadRefused(f"The {name} file holds {len(entries):,} parts; at most {OFFICE_MAX_ENTRIES:,} are accepted.")
    total = sum(entry.file_size for entry in entries)
    if total > OFFICE_MAX_UNCOMPRESSED:
        raise UploadRefused(f"The {name} file would unpack to {human_size(total)}; at most "
                            f"{human_size(OFFICE_MAX_UNCOMPRESSED)} is accepted (a possible zip bomb).")
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > OFFICE_RATIO_FROM_SIZE and ratio > OFFICE_MAX_RATIO:
            raise UploadRefused(f"The {name} file is refused as a possible zip bomb: one of its parts is compressed "
                                f"{ratio:,.0f} to 1, which no real document is (at most {OFFICE_MAX_RATIO} to 1).")
    try:
        types = package.getinfo("[Content_Types].xml")
    except KeyError as error:
        raise _damaged(kind) from error
    if b"<Types" not in read_package_entry(package, types, OFFICE_MAX_CONTENT_TYPES, kind):
        raise _damaged(kind)
    return package


def read_package_entry(package: zipfile.ZipFile, entry: zipfile.ZipInfo | str, max_bytes: int,
                       kind: str = "zip") -> bytes:
    """An entry's content, inflated in chunks and refused as soon as it grows past `max_bytes`
    or past the size its directory declares (a package that lies about its sizes)."""
    info = package.getinfo(entry) if isinstance(entry, str) else entry
    limit = min(max_bytes, info.file_size)
    if info.file_size > max_bytes:
        raise UploadRefused(f"The part {info.filename} of the {FILE_KINDS[kind].name} file is larger than "
                            f"{human_size(max_bytes)}.")
    out = io.BytesIO()
    try:
        with package.open(info) as source:
            while chunk := source.read(min(CHUNK, limit + 1 - out.tell())):
                out.write(chunk)
                if out.tell() > limit:
                    raise UploadRefused(f"The {FILE_KINDS[kind].name} file is damaged: its part {info.filename} "
                                        f"is larger than its package says.")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
        raise _damaged(kind) from error
    return out.getvalue()


def _copy_to_temp(stream: BinaryIO, max_bytes: int, directory: Path) -> tuple[str, str, int, bytes]:
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRefused(f"The file is larger than {human_size(max_bytes)}.")
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(temp_path)
        raise
    return temp_path, digest.hexdigest(), size, head


def store_file(stream: BinaryIO, filename: str, kinds: Iterable[str] = DOCUMENT_KINDS,
               max_bytes: int | None = None) -> StoredFile:
    """Store `stream` by its hash after checking size and type; add the row to the session.

    Raises UploadRefused with a message for the user. On refusal nothing is
    left on disk or in the session.
    """
    kinds = tuple(kinds)
    max_bytes = max_bytes or current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    root = storage_root()
    root.mkdir(parents=True, exist_ok=True)
    temp_path, sha256, size, head = _copy_to_temp(stream, max_bytes, root)
    try:
        if size == 0:
            raise UploadRefused("The file is empty.")
        kind = detect_kind(head)
        problem = refusal_reason(kind, filename, kinds)
        if problem:
            raise UploadRefused(problem)
        if kind in OFFICE_KINDS:
            with open(temp_path, "rb") as package_file:
                check_office_package(package_file, kind).close()
        stored = db.session.scalar(sa.select(StoredFile).where(StoredFile.sha256 == sha256))
        target = storage_path(sha256)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_path, target)
        if stored is None:
            stored = StoredFile(sha256=sha256, size=size, kind=kind, mime_type=FILE_KINDS[kind].mime_type)
            db.session.add(stored)
        return stored
    finally:
        if os.path.exists(temp_path):
            os.unlink(temp_path)


def store_bytes(data: bytes, filename: str, kinds: Iterable[str], max_bytes: int | None = None) -> StoredFile:
    return store_file(io.BytesIO(data), filename, kinds, max_bytes)


def _kind_for_name(filename: str) -> str | None:
    suffix = Path(filename).suffix.lower()
    return next((key for key, kind in FILE_KINDS.items() if suffix in kind.extensions), None)


def refusal_reason(kind: str | None, filename: str, kinds: tuple[str, ...]) -> str | None:
    """Why a file of detected `kind` named `filename` is refused, or None."""
    accepted = ", ".join(FILE_KINDS[k].name for k in kinds)
    claimed = _kind_for_name(filename)
    if kind not in kinds:
        if claimed in kinds:
            found = f"a {FILE_KINDS[kind].name} file" if kind else "not a file type we know"
            return (f"“{filename}” is named like a {FILE_KINDS[claimed].name} file but its content is not one "
                    f"(it is {found}). Accepted: {accepted}.")
        return f"“{filename}” is not a file type we accept. Accepted: {accepted}."
    if claimed != kind:
        return (f"“{filename}” is named like a {FILE_KINDS[claimed].name if claimed else 'different'} file "
                f"but its content is not one (it is a {FILE_KINDS[kind].name} file). "
                f"Rename it to end in {FILE_KINDS[kind].extensions[0]}.")
    return None


def safe_download_name(name: str, fallback: str = "download") -> str:
    return secure_filename(name) or fallback


def send_stored_file(stored: StoredFile, download_name: str):
    """Send a stored file as a download, never rendered inline by the browser."""
    return send_file(
        stored.path,
        mimetype=stored.mime_type,
        as_attachment=True,
        download_name=download_name,
        max_age=0,
    )


# --- who may download an attachment ----------------------------------------------
ATTACHMENT_RULES = "gmg_attachment_rules"
NO_SUCH_ATTACHMENT = "There is no such attachment."


def register_attachment_rule(app, link_model: type, may_see: Callable[[Any, Any], bool]) -> None:
    """Attachments linked by `link_model` are downloaded only by users for whom
    `may_see(link, user)` is true: those who may see the object the attachment belongs to.
    Every feature with attachments registers its rule; attachments of a model without one
    are served to nobody."""
    app.extensions.setdefault(ATTACHMENT_RULES, {})[link_model] = may_see


def may_download(link: Any, user: Any) -> bool:
    """Whether `user` (logged in) may download the attachment `link`, by its feature's rule."""
    if not getattr(user, "is_authenticated", False):
        return False
    rules = current_app.extensions.get(ATTACHMENT_RULES, {})
    rule = next((rules[cls] for cls in type(link).__mro__ if cls in rules), None)
    return bool(rule is not None and rule(link, user))


def send_attachment(link: Any | None, user: Any):
    """The download of attachment `link` (a feature's link row, or None when there is none) for `user`.

    404 both for no attachment and for one the user may not see, so that its existence is not told.
    """
    from gmgportal.core.errors import abort_with

    if link is None or not may_download(link, user):
        abort_with(404, NO_SUCH_ATTACHMENT)
    if not link.stored_file.path.exists():
        abort_with(404, "The file of this attachment is missing from storage. Ask an administrator.")
    return send_stored_file(link.stored_file, safe_download_name(link.filename))


# --- uploads from forms ---------------------------------------------------------------

class AttachmentTooLarge(UploadRefused):
    """An attachment over MAX_UPLOAD_MB: answered with 413."""


@dataclass
class Upload:
    filename: str
    stream: BinaryIO
    size: int


def uploads_from(files: Iterable[Any] | None) -> list[Upload]:
    """The files of a multiple file field (Werkzeug FileStorage), with their sizes; empty choices skipped."""
    uploads = []
    for storage in files or []:
        if not storage or not storage.filename:
            continue
        storage.stream.seek(0, os.SEEK_END)
        size = storage.stream.tell()
        storage.stream.seek(0)
        uploads.append(Upload(storage.filename, storage.stream, size))
    return uploads


def store_uploads(uploads: Iterable[Upload], make_link: Callable[[StoredFile, str], Any]) -> list[Any]:
    """Store each upload (size and type checked: DOCUMENT_KINDS up to MAX_UPLOAD_MB) and make its link row
    with `make_link(stored_file, filename)`. All or nothing: a refusal removes the files stored here."""
    written: list[str] = []
    links = []
    try:
        max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
        for upload in uploads:
            if upload.size > max_bytes:
                raise AttachmentTooLarge(
                    f"“{upload.filename}” is {human_size(upload.size)}; attachments can be at most "
                    f"{human_size(max_bytes)}. Nothing was saved.")
            stored = store_file(upload.stream, upload.filename, DOCUMENT_KINDS, max_bytes)
            if sa.inspect(stored).pending:
                written.append(str(stored.path))
            links.append(make_link(stored, upload.filename[:255]))
        db.session.flush()
    except BaseException:
        for path in written:
            if os.path.exists(path):
                os.unlink(path)
        raise
    return links
