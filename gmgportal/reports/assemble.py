"""Assembling a group's progress report for a period, everything as of the period's end date.

The sections follow the group's first report (see the seed in shared/seed): a header, then
1 Objectives, 2 Work Programme Highlights, 3 Key Findings and Lessons Learned, 4 Outcomes,
5 Synergies, 6 Building Partnerships, 7 Next Steps. Each section carries its data and its
body as Markdown; a chair's edit replaces the body, and the body's digest tells when the
data under an edit has changed since.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from gmgportal.auth.models import Agency, AgencyKind
from gmgportal.core.formatting import format_date
from gmgportal.programme import queries
from gmgportal.programme.models import Finding, FindingKind, Status, WorkingGroup
from gmgportal.programme.queries import Period
from gmgportal.reports.linked import linked_figures

REPORT_TITLE = "Progress Report"
NOTED_KINDS = (FindingKind.KEY_FINDING, FindingKind.LESSON_LEARNED, FindingKind.RISK, FindingKind.DEPENDENCY)
SECTION_TITLES = {
    "objectives": "Objectives",
    "highlights": "Work Programme Highlights",
    "findings": "Key Findings and Lessons Learned",
    "outcomes": "Outcomes",
    "synergies": "Synergies Across Thematic Working Groups and Cross-Cutting Themes",
    "partnerships": "Building Partnerships and Expanding the Thematic Working Groups and Cross-Cutting Themes",
    "next_steps": "Next Steps",
}
SECTION_KEYS = tuple(SECTION_TITLES)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def month_year(day: dt.date) -> str:
    """"August 2014", as the reports date their next steps."""
    return f"{day:%B %Y}"


def sentence(text: str) -> str:
    """One line of text ending in a full stop."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.strip().splitlines())


@dataclass(frozen=True)
class ActivityLine:
    ref: str
    number: int
    title: str
    status: Status
    percent_complete: int
    narratives: tuple[str, ...]
    linked: tuple[str, ...] = ()  # figures of the handbook or call that belongs to the activity, as of the date


@dataclass(frozen=True)
class OutputLine:
    code: str
    title: str
    activities: tuple[ActivityLine, ...]


@dataclass(frozen=True)
class FindingLine:
    kind: FindingKind
    text: str
    noted_on: dt.date
    activity_ref: str | None


@dataclass(frozen=True)
class MilestoneLine:
    title: str
    due_date: dt.date
    activity_ref: str
    overdue: bool

    @property
    def dated(self) -> str:
        """"Draft handbook, August 2014"."""
        return f"{self.title}, {month_year(self.due_date)}" + (" (overdue)" if self.overdue else "")


@dataclass(frozen=True)
class ThemeLine:
    name: str
    description: str
    activity_refs: tuple[str, ...]
    findings: tuple[str, ...]


MILESTONE_STATES = (("completed", "Done"), ("not_started", "Upcoming"), ("overdue", "Overdue"))


@dataclass(frozen=True)
class Figures:
    """The numbers the report's chart draws, as of its date: activities per status, milestones per state."""

    as_of: dt.date
    activities: tuple[tuple[str, str, int], ...]  # (status value, label, count), in the statuses' order
    milestones: tuple[tuple[str, str, int], ...]  # (state, label, count): done, upcoming, overdue

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "activities": [list(r) for r in self.activities],
                "milestones": [list(r) for r in self.milestones]}

    @classmethod
    def from_dict(cls, data: dict) -> "Figures":
        return cls(dt.date.fromisoformat(data["as_of"]), tuple(tuple(r) for r in data["activities"]),
                   tuple(tuple(r) for r in data["milestones"]))

    @property
    def empty(self) -> bool:
        return not any(n for *_, n in self.activities + self.milestones)


@dataclass(frozen=True)
class Section:
    key: str
    number: int
    title: str
    body: str

    @property
    def digest(self) -> str:
        return digest(self.body)

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}"


@dataclass(frozen=True)
class ReportDraft:
    group_name: str
    group_slug: str
    period: Period
    chair: str
    co_chair: str
    objectives: tuple[str, ...]
    outputs: tuple[OutputLine, ...]
    findings: tuple[FindingLine, ...]
    overdue: tuple[MilestoneLine, ...]
    silent_agencies: tuple[str, ...]
    outcomes: tuple[str, ...]
    synergies: tuple[ThemeLine, ...]
    members: tuple[str, ...]
    collaborators: tuple[str, ...]
    others: tuple[str, ...]
    next_steps: tuple[MilestoneLine, ...]
    figures: Figures
    sections: tuple[Section, ...] = field(default=())

    @property
    def date(self) -> dt.date:
        return self.period.end

    @property
    def title(self) -> str:
        return REPORT_TITLE

    @property
    def header(self) -> str:
        return header_markdown(self.group_name, self.date, self.chair, self.co_chair)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def header_markdown(group_name: str, date: dt.date, chair: str, co_chair: str) -> str:
    lines = [f"**{group_name}**", f"**{REPORT_TITLE}**", format_date(date)]
    header = "  \n".join(lines)
    people = [f"{label}: {who}" for label, who in (("Chair", chair), ("Co-Chair", co_chair)) if who]
    return header + ("\n\n" + "  \n".join(people) if people else "")


def _person(name: str, agency: Agency | None) -> str:
    return ", ".join(part for part in (name.strip(), agency.code if agency else "") if part)


# --- reading the data -------------------------------------------------------------

def assemble_report(group: WorkingGroup, period: Period) -> ReportDraft:
    """The group's report for `period`, from the data as of `period.end` (nothing dated later).

    Activities, updates and milestones are read as columns, one query per kind, whatever the size of
    the programme (a thousand activities, tens of thousands of updates)."""
    as_of = period.end
    activities = queries.activity_rows(group)
    states = queries.statuses_as_of(group, activities, as_of)
    narratives = queries.narratives_in_period(group, period)
    found = [f for f in queries.list_findings(group) if f.noted_on <= as_of]
    in_period = sorted((f for f in found if f.noted_on >= period.start), key=lambda f: (f.noted_on, f.id))
    agencies = queries.group_agencies(group)
    milestones = [MilestoneLine(m.title, m.due_date, queries.activity_ref(m.output_code, m.number), m.due_date < as_of)
                  for m in queries.open_milestone_rows(group, as_of)]
    draft = ReportDraft(
        group_name=group.name, group_slug=group.slug, period=period,
        chair=_person(group.chair_person, group.chair_agency),
        co_chair=_person(group.co_chair_person, group.co_chair_agency),
        objectives=tuple(o.text for o in queries.list_objectives(group)),
        outputs=_outputs(group, activities, states, narratives, linked_figures(activities, as_of)),
        findings=tuple(_finding(f) for f in in_period if f.kind in NOTED_KINDS),
        overdue=tuple(m for m in milestones if m.overdue),
        silent_agencies=tuple(a.code for a in queries.silent_agencies(group, period)),
        outcomes=tuple(f.text for f in sorted(found, key=lambda f: (f.noted_on, f.id))
                       if f.kind == FindingKind.OUTCOME),
        synergies=_synergies(group, activities, in_period),
        members=tuple(a.code for a in agencies if a.kind == AgencyKind.MEMBER),
        collaborators=tuple(a.code for a in agencies if a.kind == AgencyKind.COLLABORATOR),
        others=tuple(a.code for a in agencies if a.kind == AgencyKind.OTHER),
        next_steps=tuple(milestones),
        figures=_figures(group, states, as_of),
    )
    return _with_sections(draft)


def _outputs(group, activities, states, narratives, linked) -> tuple[OutputLine, ...]:
    by_output: dict[int, list] = {}
    for activity in activities:
        by_output.setdefault(activity.output_id, []).append(activity)
    lines = []
    for output in queries.list_outputs(group):
        items = []
        for a in by_output.get(output.id, []):
            ref = queries.activity_ref(a.output_code, a.number)
            status, percent = states[a.id]
            items.append(ActivityLine(ref, a.number, a.title, status, percent, tuple(narratives.get(a.id, ())),
                                      linked.get(ref, ())))
        lines.append(OutputLine(output.code, output.title, tuple(items)))
    return tuple(lines)


def _figures(group: WorkingGroup, states, as_of: dt.date) -> Figures:
    counts = {status: 0 for status in Status}
    for status, _ in states.values():
        counts[status] += 1
    milestones = queries.milestone_counts(group, as_of)
    return Figures(as_of, tuple((s.value, s.label, n) for s, n in counts.items()),
                   tuple((key, label, milestones[key]) for key, label in MILESTONE_STATES))


def _finding(finding: Finding) -> FindingLine:
    ref = finding.activity.ref if finding.activity is not None else None
    return FindingLine(finding.kind, finding.text, finding.noted_on, ref)


def _synergies(group: WorkingGroup, activities, findings: list[Finding]) -> tuple[ThemeLine, ...]:
    """Per cross-cutting theme (in the themes' order): the activities and the period's findings tagged with it."""
    themes = {t.id: t for t in queries.list_themes()}
    ref_of = {a.id: queries.activity_ref(a.output_code, a.number) for a in activities}
    order = {a.id: i for i, a in enumerate(activities)}
    refs: dict[int, list[str]] = {}
    for activity_id, theme_id in sorted(queries.theme_rows(group), key=lambda r: (order[r.activity_id], r.theme_id)):
        refs.setdefault(theme_id, []).append(ref_of[activity_id])
    texts: dict[int, list[str]] = {}
    for finding in findings:
        if finding.theme_id is not None:
            texts.setdefault(finding.theme_id, []).append(finding.text)
    used = sorted((themes[i] for i in set(refs) | set(texts)), key=lambda t: (t.position, t.name))
    return tuple(ThemeLine(t.name, t.description, tuple(refs.get(t.id, [])), tuple(texts.get(t.id, [])))
                 for t in used)


# --- the sections' Markdown ---------------------------------------------------------

def _with_sections(draft: ReportDraft) -> ReportDraft:
    bodies = {
        "objectives": _objectives_md(draft),
        "highlights": _highlights_md(draft),
        "findings": _findings_md(draft),
        "outcomes": _outcomes_md(draft),
        "synergies": _synergies_md(draft),
        "partnerships": _partnerships_md(draft),
        "next_steps": _next_steps_md(draft),
    }
    sections = tuple(Section(key, number, SECTION_TITLES[key], bodies[key])
                     for number, key in enumerate(SECTION_KEYS, start=1))
    return ReportDraft(**{**draft.__dict__, "sections": sections})


def _objectives_md(draft: ReportDraft) -> str:
    if not draft.objectives:
        return "No objectives have been set for the group."
    return "\n".join(f"- {sentence(text)}" for text in draft.objectives)


def _activity_md(activity: ActivityLine) -> str:
    status = activity.status.label
    if activity.percent_complete and activity.status not in (Status.NOT_STARTED, Status.COMPLETED):
        status += f", {activity.percent_complete} % complete"
    lines = [f"    - ({activity.number}) {sentence(activity.title)} *Status: {status}.*"]
    for figures in activity.linked:
        lines += ["", indent(figures, 8)]
    for narrative in activity.narratives:
        lines += ["", indent(narrative, 8)]
    return "\n".join(lines)


def _highlights_md(draft: ReportDraft) -> str:
    if not draft.outputs:
        return "The group's work programme has no outputs yet."
    blocks = []
    for output in draft.outputs:
        activities = "\n\n".join(_activity_md(a) for a in output.activities)
        blocks.append(f"- **Output {output.code}:** *{sentence(output.title)}*" + (f"\n{activities}" if activities else ""))
    return "\n\n".join(blocks)


def _findings_md(draft: ReportDraft) -> str:
    period = f"between {format_date(draft.period.start)} and {format_date(draft.period.end)}"
    parts = [f.text.strip() for f in draft.findings] or [
        f"No findings, lessons, risks or dependencies were noted {period}."]
    if draft.overdue:
        parts.append(f"Milestones overdue on {format_date(draft.date)}:\n\n"
                     + "\n".join(f"- {m.activity_ref}: {m.title}, due {format_date(m.due_date)}."
                                 for m in draft.overdue))
    else:
        parts.append(f"No milestone was overdue on {format_date(draft.date)}.")
    if draft.silent_agencies:
        parts.append(f"Agencies that logged no progress {period}: {', '.join(draft.silent_agencies)}.")
    else:
        parts.append(f"Every agency taking part logged progress {period}.")
    return "\n\n".join(parts)


def _outcomes_md(draft: ReportDraft) -> str:
    return "\n\n".join(t.strip() for t in draft.outcomes) or "No outcomes have been recorded yet."


def _synergies_md(draft: ReportDraft) -> str:
    if not draft.synergies:
        return "No activity or finding is tagged with a cross-cutting theme."
    lines = []
    for theme in draft.synergies:
        parts = [sentence(theme.description)] if theme.description.strip() else []
        if theme.activity_refs:
            parts.append(f"Activities: {', '.join(theme.activity_refs)}.")
        parts += [sentence(text) for text in theme.findings]
        lines.append(f"- **{theme.name}:** {' '.join(parts)}")
    return "\n".join(lines)


def _partnerships_md(draft: ReportDraft) -> str:
    lines = [f"- {label}: {', '.join(codes)}." for label, codes in (
        ("Working group members", draft.members), ("Collaborators", draft.collaborators),
        ("Other partners", draft.others)) if codes]
    return "\n".join(lines) or "No agency takes part in the group's activities yet."


def _next_steps_md(draft: ReportDraft) -> str:
    if not draft.next_steps:
        return f"No milestone was open on {format_date(draft.date)}."
    by_activity: dict[str, list[MilestoneLine]] = {}
    for milestone in draft.next_steps:
        by_activity.setdefault(milestone.activity_ref, []).append(milestone)
    order = sorted(by_activity, key=lambda ref: min(m.due_date for m in by_activity[ref]))
    return "\n".join(f"- {ref}: {'; '.join(m.dated for m in by_activity[ref])}." for ref in order)
