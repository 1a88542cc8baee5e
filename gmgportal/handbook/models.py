"""The handbook: chapters, their immutable versions, the workflow log and comments.

Permissions live here as methods (`chapter.can_edit(user)`, `chapter.can_move(user, to)`),
used by services to refuse and by templates to hide buttons.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from functools import lru_cache
from typing import Any, Collection, Optional

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gmgportal.auth.models import Agency, User
from gmgportal.core.attachments import StoredFile
from gmgportal.core.audit import Auditable
from gmgportal.core.models import LabelledEnum, TimestampMixin, UTCDateTime, enum_type, link_table, utcnow
from gmgportal.core.permissions import Role, has_role
from gmgportal.extensions import db


class ChapterStatus(LabelledEnum):
    NOT_STARTED = "not_started"
    DRAFTING = "drafting"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    ACCEPTED = "accepted"


S = ChapterStatus
WRITER, EDITOR = "writer", "editor"

# The workflow: (from, to) -> who may take the step, and the words on its button.
TRANSITIONS: dict[tuple[ChapterStatus, ChapterStatus], tuple[str, str]] = {
    (S.NOT_STARTED, S.DRAFTING): (WRITER, "Start drafting"),
    (S.DRAFTING, S.SUBMITTED): (WRITER, "Submit for review"),
    (S.CHANGES_REQUESTED, S.DRAFTING): (WRITER, "Start revising"),
    (S.CHANGES_REQUESTED, S.SUBMITTED): (WRITER, "Submit again"),
    (S.SUBMITTED, S.DRAFTING): (WRITER, "Withdraw the submission"),
    (S.SUBMITTED, S.IN_REVIEW): (EDITOR, "Start the review"),
    (S.IN_REVIEW, S.CHANGES_REQUESTED): (EDITOR, "Request changes"),
    (S.IN_REVIEW, S.ACCEPTED): (EDITOR, "Accept the chapter"),
    (S.ACCEPTED, S.DRAFTING): (EDITOR, "Reopen the chapter"),
}
# Statuses in which the chapter's writers save new versions.
EDITABLE = frozenset({S.NOT_STARTED, S.DRAFTING, S.CHANGES_REQUESTED})
# Statuses in which the chapter is still owed by its agencies.
OWED = frozenset({S.NOT_STARTED, S.DRAFTING, S.CHANGES_REQUESTED})


def is_handbook_editor(user: Any) -> bool:
    """Handbook editors and chairs review chapters, request changes and accept them."""
    return has_role(user, Role.HANDBOOK_EDITOR, Role.CHAIR)


def allowed_steps(status: ChapterStatus) -> list[ChapterStatus]:
    return [to for (frm, to) in TRANSITIONS if frm is status]


chapter_agency = link_table("handbook_chapter_agency", ("chapter_id", "handbook_chapter.id"), ("agency_id", "agency.id"))


class Handbook(Auditable, TimestampMixin, db.Model):
    __tablename__ = "handbook"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    concept_note: Mapped[str] = mapped_column(sa.Text, default="")
    chapter_template: Mapped[str] = mapped_column(sa.Text, default="")
    activity_ref: Mapped[str] = mapped_column(sa.String(20), default="")
    draft_title: Mapped[str] = mapped_column(sa.String(300), default="")
    draft_due: Mapped[Optional[dt.date]] = mapped_column(sa.Date)
    final_title: Mapped[str] = mapped_column(sa.String(300), default="")
    final_due: Mapped[Optional[dt.date]] = mapped_column(sa.Date)

    chapters: Mapped[list["Chapter"]] = relationship(
        back_populates="handbook", order_by="Chapter.number", cascade="all, delete-orphan")

    def audit_label(self) -> str:
        return self.title


class Chapter(Auditable, TimestampMixin, db.Model):
    __tablename__ = "handbook_chapter"
    __table_args__ = (sa.UniqueConstraint("handbook_id", "number", name="uq_handbook_chapter_handbook_id_number"),)
    # Bookkeeping that every save moves on: the versions and the transitions are the record.
    __audit_ignore__ = frozenset({"created_at", "updated_at", "latest_version_number", "current_words",
                                  "last_activity_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    handbook_id: Mapped[int] = mapped_column(sa.ForeignKey("handbook.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    lead_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    target_words: Mapped[int] = mapped_column(default=5000)
    due_date: Mapped[Optional[dt.date]] = mapped_column(sa.Date)
    status: Mapped[ChapterStatus] = mapped_column(enum_type(ChapterStatus, length=30), default=S.NOT_STARTED)
    # Kept by the services so that lists need no look at the versions.
    latest_version_number: Mapped[int] = mapped_column(default=0)
    current_words: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())

    handbook: Mapped[Handbook] = relationship(back_populates="chapters")
    lead_agency: Mapped[Agency] = relationship()
    contributing_agencies: Mapped[list[Agency]] = relationship(secondary=chapter_agency, order_by=Agency.code)

    @property
    def agency_ids(self) -> set[int]:
        return {self.lead_agency_id, *(a.id for a in self.contributing_agencies)}

    def is_writer(self, user: Any) -> bool:
        """Focal points (the authors) of the lead and the contributing agencies."""
        return has_role(user, Role.FOCAL_POINT) and user.agency_id in self.agency_ids

    def is_involved(self, user: Any) -> bool:
        return self.is_writer(user) or is_handbook_editor(user)

    def can_edit(self, user: Any) -> bool:
        """Save a new version: a writer, while the chapter is not with the editors."""
        return self.is_writer(user) and self.status in EDITABLE

    def can_move(self, user: Any, to: ChapterStatus) -> bool:
        """Take the workflow step from the current status to `to`."""
        step = TRANSITIONS.get((self.status, to))
        if step is None:
            return False
        return self.is_writer(user) if step[0] == WRITER else is_handbook_editor(user)

    def steps_for(self, user: Any) -> list[tuple[ChapterStatus, str]]:
        """The steps `user` may take now, with their buttons' words."""
        return [(to, TRANSITIONS[(self.status, to)][1]) for to in allowed_steps(self.status) if self.can_move(user, to)]

    def can_comment(self, user: Any) -> bool:
        """Authors, contributing agencies' focal points, editors and chairs see and write comments."""
        return self.is_involved(user)

    def is_overdue(self, on: dt.date) -> bool:
        return self.due_date is not None and self.due_date < on and self.status in OWED

    def days_to_due(self, on: dt.date) -> Optional[int]:
        return (self.due_date - on).days if self.due_date else None

    def audit_label(self) -> str:
        return f"Chapter {self.number}: {self.title}"


class ChapterVersion(db.Model):
    """One saved draft. Never changed after it is written (see the listener below)."""

    __tablename__ = "handbook_chapter_version"
    __table_args__ = (sa.UniqueConstraint("chapter_id", "number", name="uq_handbook_chapter_version_chapter_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("handbook_chapter.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    word_count: Mapped[int] = mapped_column(default=0)
    words_added: Mapped[int] = mapped_column(default=0)
    based_on: Mapped[Optional[int]] = mapped_column()
    source: Mapped[str] = mapped_column(sa.String(20), default="editor")  # editor | docx

    chapter: Mapped[Chapter] = relationship()
    author: Mapped[Optional[User]] = relationship()
    agency: Mapped[Agency] = relationship()

    @property
    def author_name(self) -> str:
        return self.author.name if self.author else "a former user"


@sa.event.listens_for(ChapterVersion, "before_update")
def _versions_are_immutable(mapper, connection, target: ChapterVersion) -> None:
    raise ValueError("A chapter version is never changed: save a new version instead.")


class ChapterTransition(db.Model):
    """One workflow step: who, when, from, to, and why."""

    __tablename__ = "handbook_chapter_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("handbook_chapter.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    from_status: Mapped[ChapterStatus] = mapped_column(enum_type(ChapterStatus, length=30))
    to_status: Mapped[ChapterStatus] = mapped_column(enum_type(ChapterStatus, length=30))
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    actor: Mapped[Optional[User]] = relationship()


class ChapterComment(Auditable, db.Model):
    """A comment on a paragraph of a version; replies point to their parent."""

    __tablename__ = "handbook_chapter_comment"
    __audit_ignore__ = frozenset({"created_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("handbook_chapter.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("handbook_chapter_version.id", ondelete="CASCADE"),
                                            index=True)
    parent_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("handbook_chapter_comment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    paragraph_index: Mapped[int] = mapped_column()
    paragraph_hash: Mapped[str] = mapped_column(sa.String(64))
    paragraph_excerpt: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    chapter: Mapped[Chapter] = relationship()
    version: Mapped[ChapterVersion] = relationship()
    author: Mapped[Optional[User]] = relationship(foreign_keys=[author_id])
    agency: Mapped[Agency] = relationship()
    resolved_by: Mapped[Optional[User]] = relationship(foreign_keys=[resolved_by_id])

    @property
    def author_name(self) -> str:
        return self.author.name if self.author else "a former user"

    def audit_label(self) -> str:
        return f"Comment {self.id} on chapter {self.chapter_id}"


class ChapterImage(db.Model):
    """An image taken from an uploaded Word file, stored by content hash like any attachment."""

    __tablename__ = "handbook_chapter_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("handbook_chapter.id", ondelete="CASCADE"), index=True)
    stored_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    stored_file: Mapped[StoredFile] = relationship()

    @property
    def markdown_url(self) -> str:
        """How chapter texts refer to the image (resolved to the file when compiling)."""
        return f"/handbook/images/{self.id}"


class EditionMode(LabelledEnum):
    ACCEPTED = "accepted"  # accepted chapters only
    LATEST = "latest"  # every chapter's latest version; those not accepted marked as drafts

    @property
    def label(self) -> str:
        return "Accepted chapters only" if self is EditionMode.ACCEPTED else "Latest drafts"


def can_compile(user: Any) -> bool:
    """Handbook editors and chairs compile the handbook."""
    return is_handbook_editor(user)


def can_publish(user: Any) -> bool:
    """Chairs publish a compiled edition."""
    return has_role(user, Role.CHAIR)


class Edition(Auditable, db.Model):
    """A compiled handbook, kept with the version of every chapter it holds."""

    __tablename__ = "handbook_edition"
    __table_args__ = (sa.UniqueConstraint("handbook_id", "number", name="uq_handbook_edition_handbook_id_number"),)
    __audit_ignore__ = frozenset({"created_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    handbook_id: Mapped[int] = mapped_column(sa.ForeignKey("handbook.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    mode: Mapped[EditionMode] = mapped_column(enum_type(EditionMode, length=20))
    title: Mapped[str] = mapped_column(sa.String(300))
    has_drafts: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    html_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"))
    docx_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"))
    pdf_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"))
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    published_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    html_file: Mapped[StoredFile] = relationship(foreign_keys=[html_file_id])
    docx_file: Mapped[StoredFile] = relationship(foreign_keys=[docx_file_id])
    pdf_file: Mapped[StoredFile] = relationship(foreign_keys=[pdf_file_id])
    chapters: Mapped[list["EditionChapter"]] = relationship(
        back_populates="edition", order_by="EditionChapter.position", cascade="all, delete-orphan")

    def audit_label(self) -> str:
        return f"Handbook edition {self.number}"


class EditionChapter(db.Model):
    """One chapter as compiled into an edition: which version, and its web page."""

    __tablename__ = "handbook_edition_chapter"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("handbook_edition.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    chapter_number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(300))
    lead_agency_code: Mapped[str] = mapped_column(sa.String(30))
    version_number: Mapped[int] = mapped_column()
    is_draft: Mapped[bool] = mapped_column(default=False)
    html: Mapped[str] = mapped_column(sa.Text)

    edition: Mapped[Edition] = relationship(back_populates="chapters")


# --- paragraphs: what comments are anchored to --------------------------------

_BLANK_LINES = re.compile(r"\n\s*\n")
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def split_paragraphs(text: str) -> list[str]:
    """The blocks of a Markdown text (separated by blank lines), stripped, none empty."""
    return [block.strip() for block in _BLANK_LINES.split(text.replace("\r\n", "\n")) if block.strip()]


def paragraph_hash(paragraph: str) -> str:
    """The same for the same words, whatever the spacing."""
    return hashlib.sha256(" ".join(paragraph.split()).encode()).hexdigest()


def count_words(text: str) -> int:
    return len(WORD.findall(text))


_FOOTNOTE_REF = re.compile(r"\[\^([\w-]{1,20})\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^\[\^([\w-]{1,20})\]:[ \t]*", re.MULTILINE)
_FOOTNOTE_MARK = re.compile("\ue000([\\w-]{1,20})\ue001")


_OWN_IMAGE = re.compile(r"/handbook/images/(\d+)")


def chapter_markdown(text: str | None, image_ids: Optional[Collection[int]] = None):
    """A chapter's Markdown as the portal shows it: footnote marks as superscript numbers, each note
    marked with its number; then the portal's one renderer and sanitiser (`render_markdown`).

    `image_ids`: the ids of the chapter's own images (`queries.chapter_image_ids`); an image is shown
    only when its address is `/handbook/images/<id>` with one of them. Without them, no image is shown.
    Versions never change, so a paragraph is rendered once per process (for the same images).
    """
    from gmgportal.core.markdown import CACHED_TEXT_CHARS

    if not text:
        return _render_chapter("", None)
    ids = None if image_ids is None else frozenset(int(i) for i in _OWN_IMAGE.findall(text)) & frozenset(image_ids)
    return _render_chapter(text, ids) if len(text) <= CACHED_TEXT_CHARS else _render_chapter.__wrapped__(text, ids)


@lru_cache(maxsize=2048)
def _render_chapter(text: str, image_ids: Optional[frozenset[int]]):
    from gmgportal.core.markdown import render_markdown

    # Footnote marks pass the renderer as private-use placeholders (raw HTML is never markup) and
    # become <sup> after it; a label is word characters only, so it needs no escaping.
    text = _FOOTNOTE_DEF.sub(lambda m: f"\ue000{m.group(1)}\ue001 ", text or "")

    def own_image(src: str) -> bool:
        found = _OWN_IMAGE.fullmatch(src)
        return found is not None and image_ids is not None and int(found.group(1)) in image_ids

    rule = own_image if image_ids is not None else None
    html = render_markdown(_FOOTNOTE_REF.sub(lambda m: f"\ue000{m.group(1)}\ue001", text), images=rule)
    return Markup(_FOOTNOTE_MARK.sub(r"<sup>\1</sup>", str(html)))
