"""Generating, editing, freezing, comparing and publishing progress reports.

Services flush and never commit; a refusal raises `Refused` (409: the report is frozen).
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any, NamedTuple, Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from gmgportal.core import clock
from gmgportal.core.errors import Refused
from gmgportal.core.sql import first_per
from gmgportal.core.formatting import format_date
from gmgportal.core.uow import conflict_as
from gmgportal.extensions import db
from gmgportal.programme.models import WorkingGroup
from gmgportal.programme.queries import Period
from gmgportal.reports.assemble import (SECTION_KEYS, SECTION_TITLES, Figures, ReportDraft, assemble_report,
                                        digest)
from gmgportal.reports.models import (HEADER_KEY, Report, ReportStatus, SectionEdit, SnapshotSection,
                                      can_manage_reports)
from gmgportal.reports.render import ReportDocument

MAX_PERIOD_DAYS = 3 * 366


# --- reading -------------------------------------------------------------------------

def get_report(report_id: int) -> Optional[Report]:
    return db.session.scalar(
        sa.select(Report).where(Report.id == report_id)
        .options(joinedload(Report.group).joinedload(WorkingGroup.chair_agency),
                 joinedload(Report.group).joinedload(WorkingGroup.co_chair_agency), joinedload(Report.frozen_by),
                 selectinload(Report.edits).joinedload(SectionEdit.edited_by), selectinload(Report.snapshot)))


def list_reports(user: Any) -> list[Report]:
    """Every report for chairs; the published ones for everyone else. Newest period first."""
    query = (sa.select(Report).join(Report.group).options(joinedload(Report.group), joinedload(Report.frozen_by))
             .order_by(WorkingGroup.short_name, Report.period_end.desc(), Report.id.desc()))
    if not can_manage_reports(user):
        query = query.where(Report.published.is_(True))
    return list(db.session.scalars(query))


def list_drafts(limit: int = 10) -> list[Report]:
    return list(db.session.scalars(
        sa.select(Report).where(Report.status == ReportStatus.DRAFT).options(joinedload(Report.group))
        .order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)))


def last_frozen(group: WorkingGroup, before_number: int | None = None) -> Optional[Report]:
    query = sa.select(Report).where(Report.group_id == group.id, Report.status == ReportStatus.FROZEN)
    if before_number is not None:
        query = query.where(Report.number < before_number)
    return db.session.scalar(query.order_by(Report.number.desc()).limit(1))


def next_period(last: Optional[Report], today: dt.date) -> Period:
    """From the day after the last frozen report's end (else the first of January) to today (or that day)."""
    start = last.period_end + dt.timedelta(days=1) if last is not None else dt.date(today.year, 1, 1)
    return Period(start, max(start, today))


def last_frozen_per_group() -> dict[int, Report]:
    """Every group's latest frozen report, in one query."""
    rows = db.session.scalars(first_per(Report, Report.group_id, (Report.number.desc(),),
                                        Report.status == ReportStatus.FROZEN))
    return {r.group_id: r for r in rows}


@dataclass(frozen=True)
class DraftSection:
    """A draft's section as shown: the chair's text when edited, with whether the data under it changed since."""

    key: str
    number: int
    title: str
    body: str
    generated: str
    edit: Optional[SectionEdit]

    @property
    def edited(self) -> bool:
        return self.edit is not None

    @property
    def data_changed(self) -> bool:
        return self.edit is not None and self.edit.data_digest != digest(self.generated)


@dataclass(frozen=True)
class ReportContent:
    document: ReportDocument
    draft: Optional[ReportDraft]  # None for a frozen report (its snapshot is the content)
    sections: tuple  # DraftSection for drafts, SnapshotSection for frozen reports


def report_content(report: Report) -> ReportContent:
    """What a report says: its snapshot when frozen, else assembled now as of its end date with the edits."""
    title = f"{report.group.short_name} Progress Report, {format_date(report.period_end)}"
    if report.is_frozen:
        header = next((s.markdown for s in report.snapshot if s.section_key == HEADER_KEY), "")
        sections = tuple(s for s in report.snapshot if s.section_key != HEADER_KEY)
        figures = Figures.from_dict(report.figures) if report.figures else None
        return ReportContent(ReportDocument(title, header, sections, figures), None, sections)
    draft = assemble_report(report.group, report.period)
    edits = {e.section_key: e for e in report.edits}
    sections = tuple(DraftSection(s.key, s.number, s.title, edits[s.key].markdown if s.key in edits else s.body,
                                  s.body, edits.get(s.key)) for s in draft.sections)
    return ReportContent(ReportDocument(title, draft.header, sections, draft.figures), draft, sections)


# --- changing --------------------------------------------------------------------------

def _refuse_if_frozen(report: Report) -> None:
    if report.is_frozen:
        raise Refused(f"{report.name} is frozen: it cannot change. Generate a new report for a new period.")


def generate_report(group: WorkingGroup, period: Period, user: Any) -> Report:
    if period.start > period.end:
        raise Refused("The end of the period must be on or after its start.", field="period_end")
    if (period.end - period.start).days > MAX_PERIOD_DAYS:
        raise Refused("A report covers at most three years; choose a later start.", field="period_start")
    report = Report(group=group, period_start=period.start, period_end=period.end, status=ReportStatus.DRAFT,
                    created_by_id=user.id)
    db.session.add(report)
    db.session.flush()
    return report


def check_section_key(key: str) -> None:
    if key not in SECTION_KEYS:
        raise Refused(f"A report has no section {key!r}.")


def edit_section(report: Report, key: str, markdown: str, user: Any) -> SectionEdit:
    """Keep the chair's text for a section, noting the generated text it replaces."""
    _refuse_if_frozen(report)
    check_section_key(key)
    generated = assemble_report(report.group, report.period).section(key).body
    edit = next((e for e in report.edits if e.section_key == key), None)
    with conflict_as(lambda: Refused("Someone else saved this section at the same moment. Try again.")):
        if edit is None:
            edit = SectionEdit(section_key=key)
            report.edits.append(edit)
        edit.markdown, edit.data_digest, edit.edited_by_id = markdown.strip(), digest(generated), user.id
    return edit


def reset_section(report: Report, key: str) -> None:
    """Back to the generated text: the chair's edit of the section is dropped."""
    _refuse_if_frozen(report)
    check_section_key(key)
    for edit in [e for e in report.edits if e.section_key == key]:
        report.edits.remove(edit)
    db.session.flush()


def freeze_report(report: Report, user: Any) -> Report:
    """Number the report and keep every section's Markdown as it reads now; from now on it never changes."""
    _refuse_if_frozen(report)
    content = report_content(report)
    number = (db.session.scalar(sa.select(sa.func.max(Report.number)).where(Report.group_id == report.group_id))
              or 0) + 1
    with conflict_as(lambda: Refused("Another report of the group was frozen at the same moment. Try again.")):
        report.status, report.number = ReportStatus.FROZEN, number
        report.frozen_by_id, report.frozen_at = user.id, clock.now()
        report.figures = content.draft.figures.to_dict()
        rows = [SnapshotSection(position=0, section_key=HEADER_KEY, title="", markdown=content.document.header)]
        rows += [SnapshotSection(position=s.number, section_key=s.key, title=s.title, markdown=s.body.strip())
                 for s in content.sections]
        for row in rows:
            row.report = report
            db.session.add(row)
    return report


def publish_report(report: Report, public: bool) -> Report:
    """Members (and, with the group's consent, the public) may read it from now on."""
    if not report.is_frozen:
        raise Refused("Freeze the report before publishing it: only a frozen report can be published.")
    if not report.published:
        report.published_at = clock.now()
    report.published, report.public = True, public
    db.session.flush()
    return report


# --- comparing -------------------------------------------------------------------------

class DiffLine(NamedTuple):
    """A line as the compare page shows it: its nesting depth in the section's lists, and its words
    without the Markdown marks (a bullet reads "•")."""

    kind: str  # "same" | "added" | "removed" | "skipped" (text: how many unchanged lines are left out)
    text: str
    depth: int = 0


@dataclass(frozen=True)
class SectionComparison:
    key: str
    number: int
    title: str
    changed: bool
    lines: tuple[DiffLine, ...]


CONTEXT_LINES = 2  # unchanged lines shown around each change; longer runs are counted, not shown
MIN_SKIPPED = 3  # fewer unchanged lines than this are shown rather than counted
EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")


def display_line(kind: str, text: str) -> DiffLine:
    if kind == "skipped":
        return DiffLine(kind, text)
    body = text.lstrip(" ")
    depth = min((len(text) - len(body)) // 4, 3)
    if body.startswith(("- ", "* ")):
        body = "• " + body[2:]
    return DiffLine(kind, EMPHASIS.sub(lambda m: m.group(2) or m.group(3), body), depth)


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """What changed from `old` to `new`, line by line, with CONTEXT_LINES of unchanged text around each
    change. Line-level matching only (no character-level search), so a long section compares quickly."""
    before, after = old.splitlines(), new.splitlines()
    lines: list[tuple[str, str]] = []
    opcodes = difflib.SequenceMatcher(None, before, after).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = before[i1:i2]
            head = same[:CONTEXT_LINES] if index > 0 else []
            tail = same[-CONTEXT_LINES:] if index < len(opcodes) - 1 else []
            if len(same) >= len(head) + len(tail) + MIN_SKIPPED:
                skipped = len(same) - len(head) - len(tail)
                lines += [("same", t) for t in head] + [("skipped", str(skipped))] + [("same", t) for t in tail]
            else:
                lines += [("same", t) for t in same]
            continue
        lines += [("removed", t) for t in before[i1:i2]] + [("added", t) for t in after[j1:j2]]
    return lines


def period_note(report: Report, previous: Report) -> str:
    """When the two reports' periods do not follow each other, say how they lie."""
    if previous.period_end >= report.period_start:
        if previous.period_start >= report.period_start and previous.period_end <= report.period_end:
            return f"Report {report.number}'s period includes all of report {previous.number}'s."
        start, end = max(previous.period_start, report.period_start), min(previous.period_end, report.period_end)
        return f"The periods overlap: what happened between {format_date(start)} and {format_date(end)} is in both."
    gap_start = previous.period_end + dt.timedelta(days=1)
    if gap_start < report.period_start:
        gap_end = report.period_start - dt.timedelta(days=1)
        return (f"Neither report covers {format_date(gap_start)} to {format_date(gap_end)}: "
                f"what happened then is in no frozen report.")
    return ""


def compare_reports(report: Report, previous: Report) -> list[SectionComparison]:
    """Section by section, what changed from `previous` to `report` (both frozen), line by line."""
    before = {s.section_key: s.markdown for s in previous.snapshot}
    result = []
    for key in (HEADER_KEY, *SECTION_KEYS):
        section = next((s for s in report.snapshot if s.section_key == key), None)
        new = section.markdown if section is not None else ""
        old = before.get(key, "")
        title = SECTION_TITLES.get(key, "Header")
        lines = tuple(display_line(*line) for line in diff_lines(old, new)) if old != new else ()
        result.append(SectionComparison(key, section.number if section is not None else 0, title, old != new, lines))
    return result
