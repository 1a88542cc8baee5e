"""The expert group meeting's programme: sessions and the accepted cases placed in them, in order."""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from gmgportal.cases.models import (Call, Decision, Meeting, MeetingSession, Outcome, SessionSlot, Submission,
                                    SubmissionStatus)
from gmgportal.core.documents import escape_markdown, markdown_to_pdf
from gmgportal.core.errors import Refused
from gmgportal.core.formatting import format_date
from gmgportal.extensions import db


def get_meeting(call: Call) -> Optional[Meeting]:
    return db.session.scalar(
        sa.select(Meeting).where(Meeting.call_id == call.id)
        .options(selectinload(Meeting.sessions).selectinload(MeetingSession.slots)
                 .selectinload(SessionSlot.submission).selectinload(Submission.submitter)))


def save_meeting(call: Call, title: str, starts_on: dt.date, ends_on: dt.date, venue: str) -> Meeting:
    if ends_on < starts_on:
        raise Refused("The meeting cannot end before it starts.", field="ends_on")
    meeting = get_meeting(call)
    if meeting is None:
        meeting = Meeting(call_id=call.id, title=title.strip(), starts_on=starts_on, ends_on=ends_on)
        db.session.add(meeting)
    meeting.title, meeting.starts_on, meeting.ends_on, meeting.venue = title.strip(), starts_on, ends_on, venue.strip()
    db.session.flush()
    return meeting


def add_session(meeting: Meeting, title: str, starts_at: dt.datetime, chair_name: str) -> MeetingSession:
    session = MeetingSession(meeting=meeting, title=title.strip(), starts_at=starts_at, chair_name=chair_name.strip())
    db.session.add(session)
    db.session.flush()
    return session


def accepted_unplaced(call: Call) -> list[Submission]:
    placed = sa.select(SessionSlot.submission_id)
    return list(db.session.scalars(
        sa.select(Submission).join(Decision, Decision.submission_id == Submission.id)
        .where(Submission.call_id == call.id, Submission.status == SubmissionStatus.SUBMITTED,
               Decision.outcome == Outcome.ACCEPT, Submission.id.not_in(placed)).order_by(Submission.id)))


def place_case(session: MeetingSession, submission: Submission) -> SessionSlot:
    """Put an accepted case last in the session; refused for cases not accepted or already placed."""
    decision = submission.decision
    if (submission.call_id != session.meeting.call_id or decision is None or decision.outcome != Outcome.ACCEPT
            or submission.status != SubmissionStatus.SUBMITTED):
        raise Refused(f"{submission.ref} is not an accepted case of this call; only accepted cases are presented.")
    if db.session.scalar(sa.select(SessionSlot.id).where(SessionSlot.submission_id == submission.id)):
        raise Refused(f"{submission.ref} is already in the programme.")
    slot = SessionSlot(session=session, submission=submission, position=len(session.slots) + 1)
    db.session.add(slot)
    db.session.flush()
    return slot


def move_slot(slot: SessionSlot, step: int) -> None:
    """Move a case up (-1) or down (+1) within its session."""
    slots = list(slot.session.slots)
    index = slots.index(slot)
    other = index + step
    if not 0 <= other < len(slots):
        raise Refused("The case is already at that end of the session.")
    slots[index], slots[other] = slots[other], slots[index]
    for position, item in enumerate(slots, start=1):
        item.position = position
    db.session.flush()


def agenda_markdown(meeting: Meeting, tz: ZoneInfo) -> str:
    """The printable agenda as Markdown (the same lines as the agenda page), for `core.documents`."""
    venue = f", {escape_markdown(meeting.venue)}" if meeting.venue else ""
    parts = [f"# {escape_markdown(meeting.title)}",
             f"**{format_date(meeting.starts_on)} to {format_date(meeting.ends_on)}{venue}.** Times in {tz.key}."]
    for session in meeting.sessions:
        starts = session.starts_at.astimezone(tz)
        parts.append(f"## {starts.day} {starts:%B %Y, %H:%M} – {escape_markdown(session.title)}")
        if session.chair_name:
            parts.append(f"Chair: {escape_markdown(session.chair_name)}")
        parts.append("\n".join(
            f"{n}. {escape_markdown(slot.submission.title)} – "
            f"{escape_markdown(slot.submission.organisation or slot.submission.submitter.name)}"
            for n, slot in enumerate(session.slots, start=1)) or "No case placed yet.")
    if not meeting.sessions:
        parts.append("No session yet.")
    return "\n\n".join(parts) + "\n"


def agenda_pdf(meeting: Meeting, tz: ZoneInfo) -> bytes:
    """The printable agenda as an A4 PDF (page numbers, the meeting's title as running head)."""
    return markdown_to_pdf(agenda_markdown(meeting, tz), title=meeting.title)
