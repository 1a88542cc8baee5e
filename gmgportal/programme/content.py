"""Loading working groups' programmes from `content/programme/*.yaml` (+ Markdown files).

Records are matched by their natural keys (group slug, theme slug, output code,
activity number, milestone title, finding key), so re-loading updates them in
place. Any error names file and line and, through `load_content`, rolls back
everything.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gmgportal.auth.models import Agency
from gmgportal.core.content import (ContentError, content_digest, content_unchanged, read_yaml,
                                    register_content_loader, remember_content, require)
from gmgportal.extensions import db
from gmgportal.programme.models import (Activity, Finding, FindingKind, Milestone, Objective, Output, Status, Theme,
                                        WorkingGroup)


class _File:
    """One programme file being loaded: its path, and lookups that raise ContentError."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent
        self.agencies = {a.code: a for a in db.session.scalars(sa.select(Agency))}
        self.counts = {"outputs": 0, "activities": 0, "milestones": 0, "findings": 0}

    def error(self, record: Any, message: str) -> ContentError:
        return ContentError(self.path, getattr(record, "line", None), message)

    def mapping(self, record: Any, key: str) -> dict:
        return require(record, key, self.path, dict)

    def records(self, data: Any, key: str, required: bool = False) -> list[dict]:
        """The list under `key`, every item a mapping."""
        value = require(data, key, self.path, list) if required else (data.get(key) or [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(data, f"'{key}' must be a list of mappings (items starting with '- key: value')")
        return value

    def agency(self, record: Any, code: Any) -> Agency:
        agency = self.agencies.get(str(code).strip())
        if agency is None:
            known = ", ".join(sorted(self.agencies)) or "none (agencies.yaml loads first)"
            raise self.error(record, f"unknown agency {code!r}; known agencies: {known}")
        return agency

    def date(self, record: Any, key: str, required: bool = True) -> dt.date | None:
        value = record.get(key)
        if value in (None, ""):
            if required:
                raise self.error(record, f"missing '{key}' (a date such as 2014-05-13)")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.error(record, f"'{key}' must be a date such as 2014-05-13, not {value!r}") from None

    def text(self, record: Any, key: str, required: bool = False) -> str:
        """`key` inline, or `key_file` naming a Markdown file next to the YAML file."""
        file_key = f"{key}_file"
        if record.get(file_key):
            target = (self.base / str(record[file_key])).resolve()
            if self.base.resolve() not in target.parents or not target.is_file():
                raise self.error(record, f"'{file_key}': no file {record[file_key]!r} in {self.base.name}/")
            return target.read_text(encoding="utf-8").strip()
        value = record.get(key)
        if value in (None, ""):
            if required:
                raise self.error(record, f"missing '{key}' or '{file_key}'")
            return ""
        if not isinstance(value, str):
            raise self.error(record, f"'{key}' must be text")
        return value.strip()

    def choice(self, record: Any, key: str, enum_class, default=None):
        value = record.get(key, default)
        try:
            return enum_class(value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum_class)
            raise self.error(record, f"'{key}' must be one of {allowed}, not {value!r}") from None


def _load_group(f: _File, data: Any) -> WorkingGroup:
    if not isinstance(data, dict):
        raise ContentError(f.path, None, "the file must be a mapping with 'group', 'outputs', ...")
    record = f.mapping(data, "group")
    slug = require(record, "slug", f.path).strip()
    group = db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == slug)) or WorkingGroup(slug=slug)
    db.session.add(group)
    group.short_name = require(record, "short_name", f.path).strip()
    group.name = require(record, "name", f.path).strip()
    for role in ("chair", "co_chair"):
        person = record.get(role)
        if person is not None and not isinstance(person, dict):
            raise f.error(record, f"'{role}' must be a mapping with 'agency' and 'person'")
        agency = f.agency(person, require(person, "agency", f.path)) if person else None
        setattr(group, f"{role}_agency", agency)
        setattr(group, f"{role}_person", (person or {}).get("person", "") or "")
    return group


def _load_themes(f: _File, data: dict) -> dict[str, Theme]:
    themes = {t.slug: t for t in db.session.scalars(sa.select(Theme))}
    for position, record in enumerate(f.records(data, "themes"), start=1):
        slug = require(record, "slug", f.path).strip()
        theme = themes.get(slug) or Theme(slug=slug)
        db.session.add(theme)
        theme.name, theme.description, theme.position = (
            require(record, "name", f.path).strip(), f.text(record, "description"), position)
        themes[slug] = theme
    return themes


def _load_objectives(f: _File, group: WorkingGroup, data: dict) -> None:
    texts = data.get("objectives") or []
    if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
        raise ContentError(f.path, getattr(data, "line", None), "'objectives' must be a list of texts")
    existing = {o.position: o for o in group.objectives}
    for position, text in enumerate(texts, start=1):
        objective = existing.pop(position, None) or Objective(position=position)
        if objective not in group.objectives:
            group.objectives.append(objective)
        objective.text = text.strip()
    for stale in existing.values():
        group.objectives.remove(stale)


def _load_outputs(f: _File, group: WorkingGroup, data: dict, themes: dict[str, Theme]) -> dict[str, Activity]:
    by_ref: dict[str, Activity] = {}
    outputs = {o.code: o for o in group.outputs}
    seen: set[str] = set()
    for position, record in enumerate(f.records(data, "outputs", required=True), start=1):
        code = str(require(record, "code", f.path, (str, int, float))).strip()
        if code in seen:
            raise f.error(record, f"output {code} appears twice")
        seen.add(code)
        output = outputs.get(code) or Output(code=code)
        if output not in group.outputs:
            group.outputs.append(output)
        output.title, output.description, output.position = (
            require(record, "title", f.path).strip(), f.text(record, "description"), position)
        f.counts["outputs"] += 1
        for activity in _load_activities(f, output, record, themes):
            by_ref[activity.ref] = activity
    return by_ref


def _load_activities(f: _File, output: Output, data: dict, themes: dict[str, Theme]) -> list[Activity]:
    existing = {a.number: a for a in output.activities}
    loaded = []
    for record in f.records(data, "activities"):
        number = require(record, "number", f.path, int)
        if any(a.number == number for a in loaded):
            raise f.error(record, f"activity {output.code} ({number}) appears twice")
        activity = existing.get(number)
        if activity is None:
            activity = Activity(number=number, status=f.choice(record, "status", Status, Status.NOT_STARTED.value))
            output.activities.append(activity)
        else:
            f.choice(record, "status", Status, Status.NOT_STARTED.value)  # still validated
        activity.title = require(record, "title", f.path).strip()
        activity.description = f.text(record, "description")
        lead = f.agency(record, require(record, "lead", f.path))
        activity.lead_agency = lead
        partner_codes = record.get("partners") or []
        if not isinstance(partner_codes, list):
            raise f.error(record, "'partners' must be a list of agency codes")
        activity.partners = [f.agency(record, c) for c in partner_codes if str(c).strip() != lead.code]
        theme_slugs = record.get("themes") or []
        unknown = [s for s in theme_slugs if s not in themes]
        if unknown:
            raise f.error(record, f"unknown theme(s) {', '.join(map(str, unknown))}; known: {', '.join(themes)}")
        activity.themes = [themes[s] for s in theme_slugs]
        activity.start_date, activity.due_date = f.date(record, "start", False), f.date(record, "due", False)
        if activity.start_date and activity.due_date and activity.due_date < activity.start_date:
            raise f.error(record, "'due' is before 'start'")
        _load_milestones(f, activity, record)
        f.counts["activities"] += 1
        loaded.append(activity)
    return loaded


def _load_milestones(f: _File, activity: Activity, data: dict) -> None:
    existing = {m.title: m for m in activity.milestones}
    for record in f.records(data, "milestones"):
        title = require(record, "title", f.path).strip()
        milestone = existing.get(title) or Milestone(title=title)
        if milestone not in activity.milestones:
            activity.milestones.append(milestone)
        milestone.due_date = f.date(record, "due")
        done = f.date(record, "done", False)
        if done is not None or milestone.id is None:
            milestone.done_date = done  # a done date recorded in the portal is not undone by the file
        f.counts["milestones"] += 1


def _load_findings(f: _File, group: WorkingGroup, data: dict, activities: dict[str, Activity],
                   themes: dict[str, Theme]) -> None:
    existing = {x.content_key: x for x in group.findings if x.content_key}
    seen: set[str] = set()
    for record in f.records(data, "findings"):
        key = require(record, "key", f.path).strip()
        if key in seen:
            raise f.error(record, f"finding key {key!r} appears twice")
        seen.add(key)
        finding = existing.get(key) or Finding(content_key=key)
        if finding not in group.findings:
            group.findings.append(finding)
        finding.kind = f.choice(record, "kind", FindingKind)
        finding.text = f.text(record, "text", required=True)
        finding.noted_on = f.date(record, "date")
        ref, theme_slug = record.get("activity"), record.get("theme")
        if ref is not None and str(ref) not in activities:
            raise f.error(record, f"unknown activity {ref!r}; write it like \"1.2 (1)\"")
        if theme_slug is not None and theme_slug not in themes:
            raise f.error(record, f"unknown theme {theme_slug!r}")
        finding.activity = activities.get(str(ref)) if ref is not None else None
        finding.theme = themes.get(theme_slug) if theme_slug is not None else None
        f.counts["findings"] += 1


def programme_files(path: Path) -> list[Path]:
    """The programme file and every text it may refer to (`..._file:` paths below its folder)."""
    texts = [p for p in path.parent.rglob("*") if p.is_file() and p.suffix not in (".yaml", ".yml")]
    return [path, *sorted(texts)]


def load_programme_file(path: Path, options: dict | None = None) -> str:
    f = _File(path)
    data = read_yaml(path)
    key, digest = f"programme/{path.name}", content_digest(programme_files(path))
    if content_unchanged(key, digest, options or {}):
        return f"programme {path.stem}: unchanged since the last load (edits made in the portal are kept)"
    group = _load_group(f, data)
    themes = _load_themes(f, data)
    _load_objectives(f, group, data)
    activities = _load_outputs(f, group, data, themes)
    _load_findings(f, group, data, activities, themes)
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
