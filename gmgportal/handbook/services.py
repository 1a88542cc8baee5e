"""Operations on the handbook: versions, the workflow, comments. No request objects here.

Services flush and never commit. A refusal is `Refused` (409: the workflow or
the data does not allow it) or `NotAllowed` (403: this person may not).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Optional

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from gmgportal.auth.models import User, UserRole
from gmgportal.core import clock
from gmgportal.core.audit import record_event
from gmgportal.core.errors import Refused
from gmgportal.core.mail import send_mail
from gmgportal.core.permissions import Role
from gmgportal.core.uow import conflict_as
from gmgportal.extensions import db
from gmgportal.handbook.models import (EDITABLE, TRANSITIONS, Chapter, ChapterComment, ChapterStatus,
                                       ChapterTransition, ChapterVersion, chapter_agency, count_words,
                                       paragraph_hash, split_paragraphs)

MAX_TEXT_CHARS = 1_000_000
S = ChapterStatus


class NotAllowed(Refused):
    """This person may not do this (answered with 403)."""

    status = 403


class StaleVersion(Refused):
    """A save based on an older version than the latest: the other person's change is shown."""

    def __init__(self, chapter: Chapter, based_on: int) -> None:
        latest = chapter.latest_version_number
        super().__init__(f"Version {latest} of this chapter was saved while you were editing version {based_on}. "
                         f"Your text is kept below: merge the other changes into it and save again.")
        self.based_on, self.latest = based_on, latest


def _actor(user: Any) -> tuple[Optional[int], str]:
    return (user.id, user.email) if user is not None else (None, "system")


# --- versions -----------------------------------------------------------------

def save_chapter_version(chapter: Chapter, user: User, text: str, note: str = "", based_on: Optional[int] = None,
                         source: str = "editor") -> ChapterVersion:
    """A new numbered version of `chapter` (nothing is overwritten).

    `based_on` is the version the writer started from (None or 0: none yet); a
    save based on an older one than the latest is refused with StaleVersion.
    """
    if not chapter.is_writer(user):
        raise NotAllowed("Only focal points of the chapter's lead and contributing agencies save versions.")
    if chapter.status not in EDITABLE:
        raise Refused(f"The chapter is {chapter.status.label.lower()}: it cannot be changed now. "
                      + ("Withdraw the submission to edit it again." if chapter.status is S.SUBMITTED else
                         "An editor or a chair can reopen it."))
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise Refused("The chapter text is empty. Write the chapter, or paste it, before saving.", field="text")
    if len(text) > MAX_TEXT_CHARS:
        raise Refused(f"The text is too long to save ({len(text):,} characters; at most {MAX_TEXT_CHARS:,}).",
                      field="text")
    based_on = based_on or 0
    if based_on != chapter.latest_version_number:
        raise StaleVersion(chapter, based_on)
    return record_version(chapter, user, text, note, based_on, source)


def record_version(chapter: Chapter, user: User, text: str, note: str, based_on: int, source: str) -> ChapterVersion:
    words = count_words(text)
    version = ChapterVersion(chapter_id=chapter.id, number=chapter.latest_version_number + 1, text=text,
                             author_id=user.id, agency_id=user.agency_id, note=note.strip()[:500], word_count=words,
                             words_added=max(0, words - chapter.current_words), based_on=based_on or None,
                             source=source, created_at=clock.now())
    # Two saves of the same version number at once: the second is the stale one.
    with conflict_as(lambda: StaleVersion(chapter, based_on)):
        db.session.add(version)
    chapter.latest_version_number, chapter.current_words = version.number, words
    chapter.last_activity_at = version.created_at
    if chapter.status in (S.NOT_STARTED, S.CHANGES_REQUESTED):
        _record_transition(chapter, user, S.DRAFTING, f"Version {version.number} saved.")
    db.session.flush()
    record_event("handbook_version_saved", chapter, {"version": version.number, "words": words, "source": source},
                 actor=_actor(user))
    return version


def get_version(chapter: Chapter, number: int) -> Optional[ChapterVersion]:
    return db.session.scalar(sa.select(ChapterVersion).where(
        ChapterVersion.chapter_id == chapter.id, ChapterVersion.number == number))


def latest_version(chapter: Chapter) -> Optional[ChapterVersion]:
    if not chapter.latest_version_number:
        return None
    return get_version(chapter, chapter.latest_version_number)


# --- workflow -------------------------------------------------------------------

def move_chapter(chapter: Chapter, user: User, to: ChapterStatus, comment: str = "") -> ChapterTransition:
    """Take one workflow step; refuse what the workflow does not allow (409) or the person may not (403)."""
    if not chapter.is_involved(user):
        raise NotAllowed("Only the chapter's agencies, the handbook editors and the chairs move a chapter.")
    step = TRANSITIONS.get((chapter.status, to))
    if step is None:
        raise Refused(_why_not(chapter.status, to))
    if not chapter.can_move(user, to):
        who = ("focal points of the chapter's lead and contributing agencies" if step[0] == "writer"
               else "handbook editors and chairs")
        raise NotAllowed(f"Only {who} may {step[1].lower()}.")
    if to is S.SUBMITTED and not chapter.latest_version_number:
        raise Refused("There is no draft to submit yet: save a first version of the chapter.")
    transition = _record_transition(chapter, user, to, comment)
    db.session.flush()
    _notify_transition(chapter, user, transition)
    return transition


def _why_not(current: ChapterStatus, to: ChapterStatus) -> str:
    if current is to:
        return f"The chapter is already {current.label.lower()}."
    possible = [TRANSITIONS[(frm, t)][1].lower() for (frm, t) in TRANSITIONS if frm is current]
    options = "; ".join(possible) if possible else "nothing"
    return (f"A chapter that is {current.label.lower()} cannot become {to.label.lower()}. "
            f"From here the workflow allows: {options}.")


def _record_transition(chapter: Chapter, user: Optional[User], to: ChapterStatus, comment: str) -> ChapterTransition:
    transition = ChapterTransition(chapter_id=chapter.id, actor_id=user.id if user else None, at=clock.now(),
                                   from_status=chapter.status, to_status=to, comment=comment.strip())
    db.session.add(transition)
    chapter.status = to
    chapter.last_activity_at = transition.at
    return transition


def writers_of(chapter: Chapter) -> list[User]:
    """Active focal points of the chapter's agencies."""
    return list(db.session.scalars(
        sa.select(User).join(UserRole).where(User.active.is_(True), UserRole.role == Role.FOCAL_POINT,
                                             User.agency_id.in_(chapter.agency_ids)).order_by(User.name)))


def editors() -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(UserRole).where(User.active.is_(True),
                                             UserRole.role.in_([Role.HANDBOOK_EDITOR, Role.CHAIR]))
        .distinct().order_by(User.name)))


def _notify_transition(chapter: Chapter, actor: User, transition: ChapterTransition) -> None:
    """Writers hear of the editors' steps; editors and chairs of submissions; nobody of their own step."""
    to = transition.to_status
    people = writers_of(chapter) if TRANSITIONS[(transition.from_status, to)][0] == "editor" else []
    if to is S.SUBMITTED:
        people += editors()
    addresses = sorted({p.email for p in people if p.id != actor.id})
    if not addresses:
        return
    link = portal_link("handbook.chapter", chapter_id=chapter.id)
    body = (f"{actor.name} ({actor.agency.code}) moved chapter {chapter.number}, “{chapter.title}”, "
            f"from {transition.from_status.label.lower()} to {to.label.lower()}.\n\n"
            + (f"Comment:\n{transition.comment}\n\n" if transition.comment else "")
            + f"See the chapter: {link}\n")
    send_mail(addresses, f"Handbook chapter {chapter.number}: {to.label.lower()}", body)


def portal_link(endpoint: str, **values: Any) -> str:
    """An absolute link for an e-mail, from a request or (CLI, jobs, tests) from PORTAL_URL."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]):
        return url_for(endpoint, _external=True, **values)


# --- comments -------------------------------------------------------------------

def add_comment(chapter: Chapter, user: User, version: ChapterVersion, paragraph_index: int, body: str,
                parent: Optional[ChapterComment] = None) -> ChapterComment:
    if not chapter.can_comment(user):
        raise NotAllowed("Only the chapter's agencies, the handbook editors and the chairs comment on it.")
    body = body.strip()
    if not body:
        raise Refused("Write the comment before sending it.", field="body")
    if parent is not None:
        if parent.chapter_id != chapter.id:
            raise Refused("That comment belongs to another chapter.")
        version, paragraph_index = parent.version, parent.paragraph_index
        parent = parent if parent.parent_id is None else db.session.get(ChapterComment, parent.parent_id)
    paragraphs = split_paragraphs(version.text)
    if not 0 <= paragraph_index < len(paragraphs):
        raise Refused(f"Version {version.number} has no paragraph {paragraph_index + 1}.", field="paragraph")
    paragraph = paragraphs[paragraph_index]
    comment = ChapterComment(chapter_id=chapter.id, version_id=version.id, parent_id=parent.id if parent else None,
                             author_id=user.id, agency_id=user.agency_id, paragraph_index=paragraph_index,
                             paragraph_hash=paragraph_hash(paragraph), paragraph_excerpt=_excerpt(paragraph),
                             body=body, created_at=clock.now())
    db.session.add(comment)
    chapter.last_activity_at = comment.created_at
    db.session.flush()
    _notify_mentions(chapter, user, comment)
    return comment


MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][\w.+-]*[A-Za-z0-9_])")


def mentioned_people(chapter: Chapter, body: str) -> list[User]:
    """People named as @ plus the first part of their e-mail address, among those who see the chapter's comments."""
    names = {m.lower() for m in MENTION.findall(body)}
    if not names:
        return []
    readers = {u.id: u for u in [*writers_of(chapter), *editors()]}
    return sorted((u for u in readers.values() if u.email.split("@")[0].lower() in names), key=lambda u: u.name)


def unknown_mentions(chapter: Chapter, body: str) -> list[str]:
    """The @names in `body` that are nobody who reads the chapter's comments (no e-mail goes to them)."""
    known = {u.email.split("@")[0].lower() for u in mentioned_people(chapter, body)}
    return sorted({m for m in MENTION.findall(body) if m.lower() not in known}, key=str.lower)


def _notify_mentions(chapter: Chapter, author: User, comment: ChapterComment) -> None:
    people = [p for p in mentioned_people(chapter, comment.body) if p.id != author.id]
    if not people:
        return
    link = portal_link("handbook.chapter", chapter_id=chapter.id, _anchor=f"comment-{comment.id}")
    body = (f"{author.name} ({author.agency.code}) mentioned you in a comment on chapter {chapter.number}, "
            f"“{chapter.title}”, paragraph {comment.paragraph_index + 1}:\n\n{comment.body}\n\nReply: {link}\n")
    send_mail(sorted(p.email for p in people), f"Handbook chapter {chapter.number}: you were mentioned", body)


def _excerpt(paragraph: str, limit: int = 160) -> str:
    plain = " ".join(paragraph.split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


def resolve_comment(comment: ChapterComment, chapter: Chapter, user: User) -> ChapterComment:
    if not chapter.can_comment(user):
        raise NotAllowed("Only the chapter's agencies, the handbook editors and the chairs resolve its comments.")
    if comment.parent_id is not None:
        raise Refused("Resolve the thread from its first comment.")
    if comment.resolved_at is not None:
        raise Refused("This comment was already resolved.")
    comment.resolved_at, comment.resolved_by_id = clock.now(), user.id
    db.session.flush()
    return comment


# --- where a comment's paragraph is now ---------------------------------------------

SIMILAR = 0.5  # share of words in common for "the same paragraph, changed"


def locate_paragraph(comment: ChapterComment, latest_hashes: list[str],
                     latest_texts: Optional[list[str]] = None) -> tuple[Optional[int], bool]:
    """Where the comment's paragraph is in the latest version: (index, changed), or (None, False) when it is gone.

    The same words anywhere: that paragraph, unchanged (the nearest to where it was, if several). Else,
    with `latest_texts`, the paragraph sharing most of its words with the comment's excerpt (at least
    half of them): that paragraph, changed since.
    """
    matches = [i for i, h in enumerate(latest_hashes) if h == comment.paragraph_hash]
    if matches:
        return min(matches, key=lambda i: abs(i - comment.paragraph_index)), False
    excerpt = comment.paragraph_excerpt.rstrip("…")
    wanted = _words(excerpt)
    if not latest_texts or not wanted:
        return None, False
    best, best_score = None, SIMILAR
    for i, text in enumerate(latest_texts):
        start = _words(" ".join(text.split())[: len(excerpt)])
        score = len(wanted & start) / len(wanted | start) if start else 0.0
        if score > best_score or (score == best_score and best is not None
                                  and abs(i - comment.paragraph_index) < abs(best - comment.paragraph_index)):
            best, best_score = i, score
    return best, best is not None


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w+", text)}


def chapter_agency_ids_for(agency_id: int) -> sa.Select:
    """Ids of chapters the agency leads or contributes to."""
    return sa.union(sa.select(Chapter.id).where(Chapter.lead_agency_id == agency_id),
                    sa.select(chapter_agency.c.chapter_id).where(chapter_agency.c.agency_id == agency_id))


def today() -> dt.date:
    return clock.today()


# --- editions ---------------------------------------------------------------------

def publish_edition(edition, user: User):
    """Make `edition` the one the public reads (the one published before is withdrawn)."""
    from gmgportal.handbook.models import Edition, can_publish

    if not can_publish(user):
        raise NotAllowed("Only the chairs publish the handbook.")
    if edition.published_at is not None:
        raise Refused(f"Edition {edition.number} is already the published one.")
    for other in db.session.scalars(sa.select(Edition).where(Edition.handbook_id == edition.handbook_id,
                                                             Edition.published_at.is_not(None))):
        other.published_at, other.published_by_id = None, None
    db.session.flush()
    edition.published_at, edition.published_by_id = clock.now(), user.id
    db.session.flush()
    return edition
