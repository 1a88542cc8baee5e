"""Reads for the handbook's pages: the board, a chapter, per-agency engagement, "what needs you".

Each read takes a fixed number of queries, however many versions and comments there are.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, load_only, selectinload

from gmgportal.auth.models import Agency
from gmgportal.core import clock
from gmgportal.extensions import db
from gmgportal.handbook.models import (OWED, Chapter, ChapterComment, ChapterImage, ChapterStatus, ChapterTransition,
                                       ChapterVersion, Edition, EditionChapter, Handbook, paragraph_hash,
                                       split_paragraphs)
from gmgportal.handbook.services import chapter_agency_ids_for, locate_paragraph

IMAGE_REF = re.compile(r"!\[([^\]]*)\]\(/handbook/images/(\d+)\)")


def get_handbook() -> Optional[Handbook]:
    """The deployment's handbook (the group writes one)."""
    return db.session.scalar(sa.select(Handbook).order_by(Handbook.id).limit(1))


def list_chapters(handbook: Handbook) -> list[Chapter]:
    return list(db.session.scalars(
        sa.select(Chapter).where(Chapter.handbook_id == handbook.id).order_by(Chapter.number)
        .options(joinedload(Chapter.lead_agency), selectinload(Chapter.contributing_agencies))))


def get_chapter(chapter_id: int) -> Optional[Chapter]:
    return db.session.scalar(
        sa.select(Chapter).where(Chapter.id == chapter_id)
        .options(joinedload(Chapter.handbook), joinedload(Chapter.lead_agency),
                 selectinload(Chapter.contributing_agencies)))


@dataclass
class BoardSummary:
    total: int
    by_status: dict[ChapterStatus, int]
    overdue: int
    words: int
    target_words: int

    @property
    def submitted_or_accepted(self) -> int:
        return sum(n for s, n in self.by_status.items() if s in (ChapterStatus.SUBMITTED, ChapterStatus.IN_REVIEW,
                                                                 ChapterStatus.ACCEPTED))


def board_summary(chapters: list[Chapter], on: dt.date) -> BoardSummary:
    by_status = {s: 0 for s in ChapterStatus}
    for c in chapters:
        by_status[c.status] += 1
    return BoardSummary(len(chapters), by_status, sum(c.is_overdue(on) for c in chapters),
                        sum(c.current_words for c in chapters), sum(c.target_words for c in chapters))


def open_comment_counts(chapter_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(ChapterComment.chapter_id, sa.func.count())
        .where(ChapterComment.chapter_id.in_(chapter_ids), ChapterComment.parent_id.is_(None),
               ChapterComment.resolved_at.is_(None))
        .group_by(ChapterComment.chapter_id))
    return dict(rows.all())


@dataclass
class AgencyContribution:
    agency: Agency
    chapters_led: int = 0
    chapters_joined: int = 0
    versions: int = 0
    words_added: int = 0
    comments: int = 0
    last_version: Optional[dt.datetime] = None
    last_comment: Optional[dt.datetime] = None

    @property
    def last_contribution(self) -> Optional[dt.datetime]:
        dates = [d for d in (self.last_version, self.last_comment) if d is not None]
        return max(dates) if dates else None


def agency_contributions(handbook: Handbook, chapters: list[Chapter]) -> list[AgencyContribution]:
    """Per agency with a part in the handbook: chapters, versions, words added, comments, and when last."""
    rows: dict[int, AgencyContribution] = {}

    def row(agency: Agency) -> AgencyContribution:
        return rows.setdefault(agency.id, AgencyContribution(agency))

    for c in chapters:
        row(c.lead_agency).chapters_led += 1
        for a in c.contributing_agencies:
            row(a).chapters_joined += 1
    chapter_ids = sa.select(Chapter.id).where(Chapter.handbook_id == handbook.id)
    versions = db.session.execute(
        sa.select(ChapterVersion.agency_id, sa.func.count(), sa.func.sum(ChapterVersion.words_added),
                  sa.func.max(ChapterVersion.created_at))
        .where(ChapterVersion.chapter_id.in_(chapter_ids)).group_by(ChapterVersion.agency_id)).all()
    comments = db.session.execute(
        sa.select(ChapterComment.agency_id, sa.func.count(), sa.func.max(ChapterComment.created_at))
        .where(ChapterComment.chapter_id.in_(chapter_ids)).group_by(ChapterComment.agency_id)).all()
    missing = {r[0] for r in [*versions, *comments]} - set(rows)
    if missing:
        for agency in db.session.scalars(sa.select(Agency).where(Agency.id.in_(missing))):
            row(agency)
    for agency_id, count, words, last in versions:
        r = rows[agency_id]
        r.versions, r.words_added, r.last_version = count, int(words or 0), _aware(last)
    for agency_id, count, last in comments:
        r = rows[agency_id]
        r.comments, r.last_comment = count, _aware(last)
    return sorted(rows.values(), key=lambda r: r.agency.code)


def _aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """Aggregates skip the column type: SQLite hands back naive UTC (or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


# --- a chapter's page -------------------------------------------------------------

@dataclass
class Paragraph:
    index: int
    text: str
    comments: list[ChapterComment] = field(default_factory=list)


@dataclass
class CommentThread:
    comment: ChapterComment
    replies: list[ChapterComment]
    now_at: Optional[int]  # where its paragraph is in the latest version (None: gone)
    changed: bool = False  # found there with its words changed


@dataclass
class ChapterPage:
    latest: Optional[ChapterVersion]
    versions: list[ChapterVersion]
    transitions: list[ChapterTransition]
    paragraphs: list[Paragraph]
    threads_by_paragraph: dict[int, list[CommentThread]]
    moved_threads: list[CommentThread]  # on an older version, paragraph found elsewhere or gone
    images: list[tuple[str, int]] = field(default_factory=list)  # (alt text, image id) in the current text
    image_ids: frozenset[int] = frozenset()  # the chapter's own images: the only ones its pages show


def chapter_image_ids(chapter: Chapter) -> frozenset[int]:
    """Ids of the images stored for this chapter (one query): what its text may show."""
    return frozenset(db.session.scalars(sa.select(ChapterImage.id).where(ChapterImage.chapter_id == chapter.id)))


def versions_of(chapter: Chapter) -> list[ChapterVersion]:
    """Every version, newest first, without the texts."""
    return list(db.session.scalars(
        sa.select(ChapterVersion).where(ChapterVersion.chapter_id == chapter.id)
        .options(load_only(ChapterVersion.id, ChapterVersion.number, ChapterVersion.created_at,
                           ChapterVersion.word_count, ChapterVersion.note, ChapterVersion.based_on,
                           ChapterVersion.source, ChapterVersion.author_id, ChapterVersion.agency_id),
                 joinedload(ChapterVersion.author), joinedload(ChapterVersion.agency))
        .order_by(ChapterVersion.number.desc())))


def chapter_page(chapter: Chapter, show_comments: bool) -> ChapterPage:
    latest = db.session.scalar(
        sa.select(ChapterVersion).where(ChapterVersion.chapter_id == chapter.id,
                                        ChapterVersion.number == chapter.latest_version_number)
        .options(joinedload(ChapterVersion.author), joinedload(ChapterVersion.agency))) \
        if chapter.latest_version_number else None
    transitions = list(db.session.scalars(
        sa.select(ChapterTransition).where(ChapterTransition.chapter_id == chapter.id)
        .options(joinedload(ChapterTransition.actor)).order_by(ChapterTransition.at.desc(), ChapterTransition.id.desc())))
    texts = split_paragraphs(latest.text) if latest else []
    paragraphs = [Paragraph(i, t) for i, t in enumerate(texts)]
    by_paragraph: dict[int, list[CommentThread]] = {}
    moved: list[CommentThread] = []
    if show_comments and latest is not None:
        hashes = [paragraph_hash(t) for t in texts]
        for thread in _threads(chapter):
            on_latest = thread.comment.version_id == latest.id
            if on_latest:
                thread.now_at = thread.comment.paragraph_index
            else:
                thread.now_at, thread.changed = locate_paragraph(thread.comment, hashes, texts)
            if on_latest:
                by_paragraph.setdefault(thread.now_at, []).append(thread)
            else:
                moved.append(thread)
    image_ids = chapter_image_ids(chapter) if latest and IMAGE_REF.search(latest.text) else frozenset()
    images = [(alt, int(i)) for alt, i in IMAGE_REF.findall(latest.text) if int(i) in image_ids] if latest else []
    return ChapterPage(latest, versions_of(chapter), transitions, paragraphs, by_paragraph, moved, images, image_ids)


def _threads(chapter: Chapter) -> list[CommentThread]:
    comments = list(db.session.scalars(
        sa.select(ChapterComment).where(ChapterComment.chapter_id == chapter.id)
        .options(joinedload(ChapterComment.author), joinedload(ChapterComment.agency),
                 joinedload(ChapterComment.resolved_by),
                 joinedload(ChapterComment.version).load_only(ChapterVersion.id, ChapterVersion.number))
        .order_by(ChapterComment.created_at, ChapterComment.id)))
    replies: dict[int, list[ChapterComment]] = {}
    for c in comments:
        if c.parent_id is not None:
            replies.setdefault(c.parent_id, []).append(c)
    return [CommentThread(c, replies.get(c.id, []), None) for c in comments if c.parent_id is None]


# --- what needs you -------------------------------------------------------------

def chapters_owed_by(agency_id: int) -> list[Chapter]:
    """Chapters the agency leads or contributes to that are not yet submitted."""
    return list(db.session.scalars(
        sa.select(Chapter).where(Chapter.id.in_(chapter_agency_ids_for(agency_id)), Chapter.status.in_(OWED))
        .order_by(Chapter.due_date, Chapter.number)))


def _thread_of(comment=ChapterComment):
    return sa.func.coalesce(comment.parent_id, comment.id)


def comments_waiting(agency_id: int, user_id: int) -> list[ChapterComment]:
    """Open comment threads on the agency's chapters that someone else started and whose last word is not
    the agency's: a thread the agency has answered waits for the other side, not for it."""
    chapters = chapter_agency_ids_for(agency_id)
    last = (sa.select(_thread_of().label("thread_id"), sa.func.max(ChapterComment.id).label("last_id"))
            .where(ChapterComment.chapter_id.in_(chapters)).group_by(_thread_of()).subquery())
    last_comment = aliased(ChapterComment)
    return list(db.session.scalars(
        sa.select(ChapterComment)
        .join(last, last.c.thread_id == ChapterComment.id)
        .join(last_comment, last_comment.id == last.c.last_id)
        .where(ChapterComment.chapter_id.in_(chapters), ChapterComment.parent_id.is_(None),
               ChapterComment.resolved_at.is_(None), ChapterComment.author_id != user_id,
               last_comment.agency_id != agency_id)
        .options(joinedload(ChapterComment.author))
        .order_by(ChapterComment.created_at).limit(10)))


def mentions_waiting(user, limit: int = 10) -> list[ChapterComment]:
    """Comments in open threads that @mention `user` (as the e-mail does), on chapters they may still see,
    that they have not answered in that thread since."""
    from gmgportal.handbook.services import MENTION

    handle = user.email.split("@")[0].lower()
    root = aliased(ChapterComment)
    candidates = list(db.session.scalars(
        sa.select(ChapterComment)
        .join(root, root.id == _thread_of())
        .where(root.resolved_at.is_(None), ChapterComment.author_id != user.id,
               sa.func.lower(ChapterComment.body).contains(f"@{handle}", autoescape=True))
        .options(joinedload(ChapterComment.author),
                 joinedload(ChapterComment.chapter).selectinload(Chapter.contributing_agencies))
        .order_by(ChapterComment.created_at.desc()).limit(50)))
    candidates = [c for c in candidates if handle in {m.lower() for m in MENTION.findall(c.body)}
                  and c.chapter.can_comment(user)]
    if not candidates:
        return []
    answered = dict(db.session.execute(
        sa.select(_thread_of().label("thread_id"), sa.func.max(ChapterComment.id))
        .where(ChapterComment.author_id == user.id,
               _thread_of().in_({c.parent_id or c.id for c in candidates}))
        .group_by(_thread_of())).all())
    return [c for c in candidates if answered.get(c.parent_id or c.id, 0) < c.id][:limit]


def chapters_awaiting_review() -> list[Chapter]:
    return list(db.session.scalars(
        sa.select(Chapter).where(Chapter.status.in_([ChapterStatus.SUBMITTED, ChapterStatus.IN_REVIEW]))
        .order_by(Chapter.number)))


def chapter_titles(chapter_ids: set[int]) -> dict[int, Chapter]:
    if not chapter_ids:
        return {}
    return {c.id: c for c in db.session.scalars(sa.select(Chapter).where(Chapter.id.in_(chapter_ids)))}



# --- editions -------------------------------------------------------------------------

def list_editions(handbook: Handbook) -> list[Edition]:
    return list(db.session.scalars(
        sa.select(Edition).where(Edition.handbook_id == handbook.id)
        .options(selectinload(Edition.chapters).load_only(EditionChapter.chapter_number,
                                                          EditionChapter.version_number, EditionChapter.is_draft),
                 joinedload(Edition.created_by))
        .order_by(Edition.number.desc())))


def published_edition(handbook: Handbook) -> Optional[Edition]:
    return db.session.scalar(
        sa.select(Edition).where(Edition.handbook_id == handbook.id, Edition.published_at.is_not(None))
        .options(selectinload(Edition.chapters)))


# --- the programme's activity page ----------------------------------------------------

@dataclass
class MilestoneProposal:
    milestone: object  # programme.models.Milestone
    reached_on: dt.date
    reason: str


@dataclass
class ActivitySummary:
    handbook: Handbook
    summary: BoardSummary
    proposals: list[MilestoneProposal]


def _first_reached(chapter_ids: list[int], statuses: list[ChapterStatus]) -> dict[int, dt.datetime]:
    rows = db.session.execute(
        sa.select(ChapterTransition.chapter_id, sa.func.min(ChapterTransition.at))
        .where(ChapterTransition.chapter_id.in_(chapter_ids), ChapterTransition.to_status.in_(statuses))
        .group_by(ChapterTransition.chapter_id)).all()
    return {chapter_id: _aware(at) for chapter_id, at in rows}


def activity_summary(activity, on: dt.date) -> Optional[ActivitySummary]:
    """For the programme's activity that is the handbook: the board's summary, and the milestones it has reached
    (every chapter submitted: the draft; every chapter accepted: the final), with the date it reached them."""
    handbook = db.session.scalar(sa.select(Handbook).where(Handbook.activity_ref == activity.ref))
    if handbook is None:
        return None
    chapters = list_chapters(handbook)
    ids = [c.id for c in chapters]
    proposals = []
    for title, statuses, words in (
            (handbook.draft_title, [ChapterStatus.SUBMITTED, ChapterStatus.ACCEPTED], "submitted"),
            (handbook.final_title, [ChapterStatus.ACCEPTED], "accepted")):
        milestone = next((m for m in activity.milestones if m.title == title and m.done_date is None), None)
        reached = _first_reached(ids, statuses)
        still_there = all(c.status is ChapterStatus.ACCEPTED for c in chapters) if words == "accepted" else True
        if milestone is not None and ids and set(reached) == set(ids) and still_there:
            day = max(reached.values()).astimezone(clock.group_zone()).date()
            proposals.append(MilestoneProposal(milestone, day, f"every chapter has been {words}"))
    return ActivitySummary(handbook, board_summary(chapters, on), proposals)
