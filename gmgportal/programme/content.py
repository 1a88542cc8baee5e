"""Loading working groups' programmes from `content/programme/*.yaml` (+ Markdown files).

Records are matched by their natural keys (group slug, theme slug, output code,
activity number, milestone title, finding key), so re-loading updates them in
place. Any error names file and line and, through `load_content`, rolls back
everything.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import sqlalchemy as sa
from pydantic import BeforeValidator, Field

from gmgportal.auth.content import agencies_by_code, unknown_agency
from gmgportal.auth.models import Agency
from gmgportal.core.content import (ContentError, content_digest, content_unchanged, get_or_add, read_yaml,
                                    register_content_loader, remember_content)
from gmgportal.core.schemas import ContentRecord, validate_content
from gmgportal.extensions import db
from gmgportal.programme.models import (Activity, Finding, FindingKind, Milestone, Objective, Output, Status, Theme,
                                        WorkingGroup)


# --- the file's schema ------------------------------------------------------------

Code = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, (int, float)) else v)]


class PersonRecord(ContentRecord):
    agency: str
    person: str = ""


class GroupRecord(ContentRecord):
    slug: str = Field(min_length=1, max_length=40)
    short_name: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    chair: Optional[PersonRecord] = None
    co_chair: Optional[PersonRecord] = None


class ThemeRecord(ContentRecord):
    slug: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    description_file: Optional[str] = None


class MilestoneRecord(ContentRecord):
    title: str = Field(min_length=1, max_length=300)
    due: dt.date
    done: Optional[dt.date] = None


class ActivityRecord(ContentRecord):
    number: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=500)
    description: str = ""
    description_file: Optional[str] = None
    lead: Code
    partners: list[Code] = []
    themes: list[str] = []
    start: Optional[dt.date] = None
    due: Optional[dt.date] = None
    status: Status = Status.NOT_STARTED
    milestones: list[MilestoneRecord] = []


class OutputRecord(ContentRecord):
    code: Code = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1, max_length=500)
    description: str = ""
    description_file: Optional[str] = None
    activities: list[ActivityRecord] = []


class FindingRecord(ContentRecord):
    key: str = Field(min_length=1, max_length=80)
    kind: FindingKind
    activity: Optional[str] = None
    theme: Optional[str] = None
    date: dt.date
    text: str = ""
    text_file: Optional[str] = None


class ProgrammeFile(ContentRecord):
    group: GroupRecord
    themes: list[ThemeRecord] = []
    objectives: list[Annotated[str, Field(min_length=1)]] = []
    outputs: list[OutputRecord] = Field(min_length=1)
    findings: list[FindingRecord] = []


# --- applying it ---------------------------------------------------------------------

class _File:
    """One programme file being applied: its path, and lookups that raise ContentError with a line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent
        self.agencies = agencies_by_code()
        self.counts = {"outputs": 0, "activities": 0, "milestones": 0, "findings": 0}

    def error(self, record: ContentRecord, message: str) -> ContentError:
        return ContentError(self.path, record.line, message)

    def agency(self, record: ContentRecord, code: str) -> Agency:
        agency = self.agencies.get(code)
        if agency is None:
            raise self.error(record, unknown_agency(code, self.agencies))
        return agency

    def text(self, record: ContentRecord, key: str, required: bool = False) -> str:
        """`key` inline, or `key_file` naming a Markdown file next to the YAML file."""
        file_name = getattr(record, f"{key}_file")
        if file_name:
            target = (self.base / file_name).resolve()
            if self.base.resolve() not in target.parents or not target.is_file():
                raise self.error(record, f"'{key}_file': no file {file_name!r} in {self.base.name}/")
            return target.read_text(encoding="utf-8").strip()
        value = getattr(record, key)
        if required and not value:
            raise self.error(record, f"missing '{key}' or '{key}_file'")
        return value


def _load_group(f: _File, record: GroupRecord) -> WorkingGroup:
    group, _ = get_or_add(WorkingGroup, slug=record.slug)
    group.short_name, group.name = record.short_name, record.name
    for role in ("chair", "co_chair"):
        person = getattr(record, role)
        setattr(group, f"{role}_agency", f.agency(person, person.agency) if person else None)
        setattr(group, f"{role}_person", person.person if person else "")
    return group


def _load_themes(f: _File, records: list[ThemeRecord]) -> dict[str, Theme]:
    themes = {t.slug: t for t in db.session.scalars(sa.select(Theme))}
    for position, record in enumerate(records, start=1):
        theme = themes.get(record.slug) or Theme(slug=record.slug)
        db.session.add(theme)
        theme.name, theme.description, theme.position = record.name, f.text(record, "description"), position
        themes[record.slug] = theme
    return themes


def _load_objectives(group: WorkingGroup, texts: list[str]) -> None:
    existing = {o.position: o for o in group.objectives}
    for position, text in enumerate(texts, start=1):
        objective = existing.pop(position, None) or Objective(position=position)
        if objective not in group.objectives:
            group.objectives.append(objective)
        objective.text = text
    for stale in existing.values():
        group.objectives.remove(stale)


def _load_outputs(f: _File, group: WorkingGroup, records: list[OutputRecord],
                  themes: dict[str, Theme]) -> dict[str, Activity]:
    by_ref: dict[str, Activity] = {}
    outputs = {o.code: o for o in group.outputs}
    seen: set[str] = set()
    for position, record in enumerate(records, start=1):
        if record.code in seen:
            raise f.error(record, f"output {record.code} appears twice")
        seen.add(record.code)
        output = outputs.get(record.code) or Output(code=record.code)
        if output not in group.outputs:
            group.outputs.append(output)
        output.title, output.description, output.position = record.title, f.text(record, "description"), position
        f.counts["outputs"] += 1
        for activity in _load_activities(f, output, record.activities, themes):
            by_ref[activity.ref] = activity
    return by_ref


def _load_activities(f: _File, output: Output, records: list[ActivityRecord],
                     themes: dict[str, Theme]) -> list[Activity]:
    existing = {a.number: a for a in output.activities}
    loaded: list[Activity] = []
    for record in records:
        if any(a.number == record.number for a in loaded):
            raise f.error(record, f"activity {output.code} ({record.number}) appears twice")
        activity = existing.get(record.number)
        if activity is None:  # the file's status is the starting status only
            activity = Activity(number=record.number, status=record.status)
            output.activities.append(activity)
        activity.title, activity.description = record.title, f.text(record, "description")
        activity.lead_agency = lead = f.agency(record, record.lead)
        activity.partners = [f.agency(record, code) for code in record.partners if code != lead.code]
        unknown = [slug for slug in record.themes if slug not in themes]
        if unknown:
            raise f.error(record, f"unknown theme(s) {', '.join(unknown)}; known: {', '.join(themes)}")
        activity.themes = [themes[slug] for slug in record.themes]
        if record.start and record.due and record.due < record.start:
            raise f.error(record, "'due' is before 'start'")
        activity.start_date, activity.due_date = record.start, record.due
        _load_milestones(f, activity, record.milestones)
        f.counts["activities"] += 1
        loaded.append(activity)
    return loaded


def _load_milestones(f: _File, activity: Activity, records: list[MilestoneRecord]) -> None:
    existing = {m.title: m for m in activity.milestones}
    for record in records:
        milestone = existing.get(record.title) or Milestone(title=record.title)
        if milestone not in activity.milestones:
            activity.milestones.append(milestone)
        milestone.due_date = record.due
        if record.done is not None or milestone.id is None:
            milestone.done_date = record.done  # a done date recorded in the portal is not undone by the file
        f.counts["milestones"] += 1


def _load_findings(f: _File, group: WorkingGroup, records: list[FindingRecord], activities: dict[str, Activity],
                   themes: dict[str, Theme]) -> None:
    existing = {x.content_key: x for x in group.findings if x.content_key}
    seen: set[str] = set()
    for record in records:
        if record.key in seen:
            raise f.error(record, f"finding key {record.key!r} appears twice")
        seen.add(record.key)
        if record.activity is not None and record.activity not in activities:
            raise f.error(record, f"unknown activity {record.activity!r}; write it like \"1.2 (1)\"")
        if record.theme is not None and record.theme not in themes:
            raise f.error(record, f"unknown theme {record.theme!r}")
        finding = existing.get(record.key) or Finding(content_key=record.key)
        if finding not in group.findings:
            group.findings.append(finding)
        finding.kind, finding.text, finding.noted_on = record.kind, f.text(record, "text", required=True), record.date
        finding.activity = activities.get(record.activity) if record.activity else None
        finding.theme = themes.get(record.theme) if record.theme else None
        f.counts["findings"] += 1


def programme_files(path: Path) -> list[Path]:
    """The programme file and every text it may refer to (`..._file:` paths below its folder)."""
    texts = [p for p in path.parent.rglob("*") if p.is_file() and p.suffix not in (".yaml", ".yml")]
    return [path, *sorted(texts)]


def load_programme_file(path: Path, options: dict | None = None) -> str:
    f = _File(path)
    data = validate_content(ProgrammeFile, read_yaml(path), path)
    key, digest = f"programme/{path.name}", content_digest(programme_files(path))
    if content_unchanged(key, digest, options or {}):
        return f"programme {path.stem}: unchanged since the last load (edits made in the portal are kept)"
    group = _load_group(f, data.group)
    themes = _load_themes(f, data.themes)
    _load_objectives(group, data.objectives)
    activities = _load_outputs(f, group, data.outputs, themes)
    _load_findings(f, group, data.findings, activities, themes)
    remember_content(key, digest)
    db.session.flush()
    c = f.counts
    return (f"programme {group.short_name}: {c['outputs']} outputs, {c['activities']} activities, "
            f"{c['milestones']} milestones, {c['findings']} findings")


def load_programmes(content_dir: Path, options: dict) -> str:
    folder = content_dir / "programme"
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        return "programme: no files in content/programme/"
    return "; ".join(load_programme_file(path, options) for path in files)


def register_programme_content(app) -> None:
    register_content_loader(app, "programme", 20, load_programmes)
