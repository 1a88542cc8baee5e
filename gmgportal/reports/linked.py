"""What the parts of the portal that belong to a programme activity say about it as of a report's end date:
the handbook (linked to its activity by `Handbook.activity_ref`) and the call for case studies (by
`Call.activity_ref`). The report finds them through that link, for whichever activities have one.

The handbook's figures are read from its history: a chapter's status is the one its last workflow step
by the end of the day gave it, its words those of its last version saved by then; nothing later counts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa

from gmgportal.cases.figures import call_figures, calls_of_activities
from gmgportal.core import clock
from gmgportal.core.formatting import format_date
from gmgportal.extensions import db
from gmgportal.handbook.models import OWED, Chapter, ChapterStatus, ChapterTransition, ChapterVersion, Handbook
from gmgportal.programme import queries


@dataclass(frozen=True)
class HandbookFigures:
    title: str
    as_of: dt.date
    chapters: int
    by_status: tuple[tuple[ChapterStatus, int], ...]  # in the workflow's order, only statuses with chapters
    submitted_or_accepted: int
    overdue: int
    versions: int
    words: int
    target_words: int

    @property
    def sentence(self) -> str:
        """The figures in one line of Markdown, as the report's highlights show them."""
        label = f"*Handbook, as of {format_date(self.as_of)}:*"
        if not self.chapters:
            return f"{label} no chapters yet."
        if len(self.by_status) == 1:
            statuses = f"all {self.by_status[0][0].label.lower()}"
        else:
            statuses = ", ".join(f"{n} {status.label.lower()}" for status, n in self.by_status)
        parts = [f"{self.chapters} chapter{'' if self.chapters == 1 else 's'}, {statuses}",
                 f"{self.submitted_or_accepted} of {self.chapters} submitted or accepted",
                 f"{self.versions:,} version{'' if self.versions == 1 else 's'} saved, "
                 f"{self.words:,} of {self.target_words:,} words written",
                 f"{self.overdue} overdue" if self.overdue else "none overdue"]
        return f"{label} " + "; ".join(parts) + "."


DONE_OR_WITH_EDITORS = (ChapterStatus.SUBMITTED, ChapterStatus.IN_REVIEW, ChapterStatus.ACCEPTED)


def handbook_figures(handbooks: list[Handbook], as_of: dt.date) -> dict[int, HandbookFigures]:
    """Each handbook's chapters by status, versions, words and overdue chapters as of the end of `as_of`,
    in three queries however many there are."""
    if not handbooks:
        return {}
    end = clock.end_of_day(as_of)
    ids = [h.id for h in handbooks]
    chapters = db.session.execute(
        sa.select(Chapter.id, Chapter.handbook_id, Chapter.due_date, Chapter.target_words, Chapter.status)
        .where(Chapter.handbook_id.in_(ids)).order_by(Chapter.number)).all()
    in_handbooks = sa.select(Chapter.id).where(Chapter.handbook_id.in_(ids))
    status = {c.id: c.status for c in chapters}
    steps = db.session.execute(
        sa.select(ChapterTransition.chapter_id, ChapterTransition.at, ChapterTransition.from_status,
                  ChapterTransition.to_status)
        .where(ChapterTransition.chapter_id.in_(in_handbooks))
        .order_by(ChapterTransition.chapter_id, ChapterTransition.at.desc(), ChapterTransition.id.desc())).all()
    decided: set[int] = set()
    for chapter_id, at, from_status, to_status in steps:  # newest first: the first before the end decides
        if chapter_id in decided:
            continue
        if at < end:
            status[chapter_id] = to_status
            decided.add(chapter_id)
        else:  # only later steps so far: the chapter was where the earliest of them started
            status[chapter_id] = from_status
    ranked = (sa.select(ChapterVersion.chapter_id, ChapterVersion.word_count,
                        sa.func.count().over(partition_by=ChapterVersion.chapter_id).label("versions"),
                        sa.func.row_number().over(partition_by=ChapterVersion.chapter_id,
                                                  order_by=ChapterVersion.number.desc()).label("rank"))
              .where(ChapterVersion.chapter_id.in_(in_handbooks), ChapterVersion.created_at < end).subquery())
    versions = {r.chapter_id: (r.versions, r.word_count) for r in db.session.execute(
        sa.select(ranked.c.chapter_id, ranked.c.word_count, ranked.c.versions).where(ranked.c.rank == 1))}
    result = {}
    for handbook in handbooks:
        rows = [c for c in chapters if c.handbook_id == handbook.id]
        counts = {s: 0 for s in ChapterStatus}
        for c in rows:
            counts[status[c.id]] += 1
        result[handbook.id] = HandbookFigures(
            handbook.title, as_of, len(rows), tuple((s, n) for s, n in counts.items() if n),
            sum(counts[s] for s in DONE_OR_WITH_EDITORS),
            sum(1 for c in rows if c.due_date is not None and c.due_date < as_of and status[c.id] in OWED),
            sum(versions.get(c.id, (0, 0))[0] for c in rows), sum(versions.get(c.id, (0, 0))[1] for c in rows),
            sum(c.target_words for c in rows))
    return result


def linked_figures(activities: Iterable, as_of: dt.date) -> dict[str, tuple[str, ...]]:
    """Per activity ref ("1.2 (1)"), the lines of figures of the handbook and the calls linked to it, as of
    `as_of` (`activities`: rows with output_code and number)."""
    refs = {queries.activity_ref(a.output_code, a.number) for a in activities}
    handbooks = [h for h in db.session.scalars(sa.select(Handbook).where(Handbook.activity_ref != "")
                                                .order_by(Handbook.id)) if h.activity_ref in refs]
    figures = handbook_figures(handbooks, as_of)
    lines: dict[str, list[str]] = {}
    for handbook in handbooks:
        lines.setdefault(handbook.activity_ref, []).append(figures[handbook.id].sentence)
    for ref, calls in calls_of_activities(refs).items():
        lines.setdefault(ref, []).extend(call_figures(call, as_of).sentence for call in calls)
    return {ref: tuple(texts) for ref, texts in lines.items()}
