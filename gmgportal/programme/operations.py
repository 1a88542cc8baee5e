"""Changing the work programme: progress updates and the chairs' edits. Services flush, never commit
(the request or command around them is the unit of work); refusals raise `Refused`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Optional

import sqlalchemy as sa

from gmgportal.auth.models import Agency, User
from gmgportal.core.attachments import Upload, store_uploads
from gmgportal.core.audit import record_event
from gmgportal.core.errors import Refused
from gmgportal.core.uow import conflict_as
from gmgportal.extensions import db
from gmgportal.programme.models import (
    Activity, Finding, FindingKind, Milestone, Output, ProgressAttachment, ProgressUpdate, Status, Theme,
    WorkingGroup,
)
from gmgportal.programme.queries import activity_number_taken, latest_updates, output_code_taken


# --- progress ------------------------------------------------------------------

@dataclass
class ProgressData:
    as_of: dt.date
    status: Status
    percent_complete: int
    narrative: str
    evidence_links: list[str] = field(default_factory=list)


def log_progress(activity: Activity, author: User, data: ProgressData, uploads: Iterable[Upload] = ()) -> ProgressUpdate:
    """Record a progress update with its attachments; all or nothing."""
    update = ProgressUpdate(activity=activity, author=author, agency_id=author.agency_id)
    _apply_progress(update, data)
    db.session.add(update)
    _attach(update, uploads)
    return update


def correct_progress(update: ProgressUpdate, data: ProgressData, uploads: Iterable[Upload] = ()) -> ProgressUpdate:
    """Change an update; the earlier values stay in the audit log."""
    _apply_progress(update, data)
    _attach(update, uploads)
    return update


def _apply_progress(update: ProgressUpdate, data: ProgressData) -> None:
    update.as_of, update.status, update.percent_complete = data.as_of, data.status, data.percent_complete
    update.narrative, update.evidence_links = data.narrative.strip(), list(data.evidence_links)


def _attach(update: ProgressUpdate, uploads: Iterable[Upload]) -> None:
    update.attachments.extend(store_uploads(
        uploads, lambda stored, name: ProgressAttachment(stored_file=stored, filename=name)))
    _refresh_activity_status(update.activity)


def _refresh_activity_status(activity: Activity) -> None:
    """The activity shows the status and percent of its latest update."""
    latest = latest_updates([activity.id], dt.date.max).get(activity.id)
    if latest is not None:
        activity.status, activity.percent_complete = latest.status, latest.percent_complete


# --- managing the programme (chairs) -------------------------------------------

def _output_taken(code: str) -> Refused:
    return Refused(f"Output {code} already exists.", field="code")


def save_output(group: WorkingGroup, output: Output | None, *, code: str, title: str, description: str,
                position: int) -> Output:
    """Create (output None) or change an output; refuses a code another output of the group has."""
    code = code.strip()
    if output_code_taken(group, code, output):
        raise _output_taken(code)
    with conflict_as(lambda: _output_taken(code)):
        if output is None:
            output = Output(group=group)
            db.session.add(output)
        output.code, output.title, output.description, output.position = (
            code, title.strip(), description.strip(), position)
    return output


@dataclass
class ActivityData:
    output_id: int
    number: int
    title: str
    description: str
    lead_agency_id: int
    partner_ids: list[int]
    theme_ids: list[int]
    start_date: Optional[dt.date]
    due_date: Optional[dt.date]
    status: Status


def _number_taken(number: int) -> Refused:
    return Refused(f"This output already has an activity number {number}.", field="number")


def save_activity(activity: Activity | None, data: ActivityData) -> Activity:
    """Create or change an activity; partner and theme changes are logged too.
    Refuses a number another activity of the output has."""
    if activity_number_taken(data.output_id, data.number, activity):
        raise _number_taken(data.number)
    output = db.session.get(Output, data.output_id)
    partners = list(db.session.scalars(
        sa.select(Agency).where(Agency.id.in_(data.partner_ids), Agency.id != data.lead_agency_id)))
    themes = list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(data.theme_ids))))
    before = _links(activity) if activity is not None else None
    with conflict_as(lambda: _number_taken(data.number)):
        if activity is None:
            activity = Activity()
            db.session.add(activity)
        activity.output = output
        activity.number, activity.title = data.number, data.title.strip()
        activity.description, activity.lead_agency_id = data.description.strip(), data.lead_agency_id
        activity.start_date, activity.due_date, activity.status = data.start_date, data.due_date, data.status
        activity.partners, activity.themes = partners, themes
    after = _links(activity)
    if before is not None and before != after:
        record_event("update", activity, {k: {"before": before[k], "after": after[k]}
                                          for k in after if before[k] != after[k]})
    db.session.flush()
    return activity


def _links(activity: Activity) -> dict[str, list[str]]:
    return {"partners": sorted(a.code for a in activity.partners),
            "themes": sorted(t.slug for t in activity.themes)}


def save_milestone(activity: Activity, milestone: Milestone | None, *, title: str, due_date: dt.date,
                   done_date: Optional[dt.date]) -> Milestone:
    if milestone is None:
        milestone = Milestone(activity=activity)
        db.session.add(milestone)
    milestone.title, milestone.due_date, milestone.done_date = title.strip(), due_date, done_date
    db.session.flush()
    return milestone


def delete_milestone(milestone: Milestone) -> None:
    """Remove a milestone (and the record of reminders sent about it); the audit log keeps it."""
    db.session.delete(milestone)
    db.session.flush()


def delete_finding(finding: Finding) -> None:
    db.session.delete(finding)
    db.session.flush()


def save_finding(group: WorkingGroup, finding: Finding | None, *, kind: FindingKind, text: str,
                 activity_id: Optional[int], theme_id: Optional[int], noted_on: dt.date) -> Finding:
    if finding is None:
        finding = Finding(group=group)
        db.session.add(finding)
    finding.kind, finding.text, finding.noted_on = kind, text.strip(), noted_on
    finding.activity_id, finding.theme_id = activity_id or None, theme_id or None
    db.session.flush()
    return finding
