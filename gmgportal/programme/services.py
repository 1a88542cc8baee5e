"""Operations on the work programme. No request objects here."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from gmgportal.auth.models import Agency, AgencyKind, User
from gmgportal.core.attachments import DOCUMENT_KINDS, UploadRefused, human_size, store_file
from gmgportal.core.audit import record_event
from gmgportal.core.clock import today  # noqa: F401  (re-exported for views)
from gmgportal.extensions import db
from gmgportal.programme.models import (
    Activity, Finding, FindingKind, Milestone, Output, ProgressAttachment, ProgressUpdate, Status, Theme,
    WorkingGroup, activity_partner, activity_theme,
)

PER_PAGE = 50
UPDATES_PER_PAGE = 20
SILENT_AFTER_DAYS = 60
DUE_SOON_DAYS = 14


class AttachmentTooLarge(UploadRefused):
    """An attachment over MAX_UPLOAD_MB: answered with 413."""


# --- reading -----------------------------------------------------------------

def list_groups() -> list[WorkingGroup]:
    return list(db.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.short_name)))


def get_group(slug: str) -> Optional[WorkingGroup]:
    return db.session.scalar(
        sa.select(WorkingGroup).where(WorkingGroup.slug == slug)
        .options(joinedload(WorkingGroup.chair_agency), joinedload(WorkingGroup.co_chair_agency))
    )


def list_outputs(group: WorkingGroup) -> list[Output]:
    return list(db.session.scalars(
        sa.select(Output).where(Output.group_id == group.id).order_by(Output.position, Output.code)))


def list_objectives(group: WorkingGroup):
    from gmgportal.programme.models import Objective

    return list(db.session.scalars(
        sa.select(Objective).where(Objective.group_id == group.id).order_by(Objective.position)))


def list_themes() -> list[Theme]:
    return list(db.session.scalars(sa.select(Theme).order_by(Theme.position, Theme.name)))


def get_theme(slug: str) -> Optional[Theme]:
    return db.session.scalar(sa.select(Theme).where(Theme.slug == slug))


def list_agencies() -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).order_by(Agency.code)))


@dataclass(frozen=True)
class ActivityFilters:
    output_id: Optional[int] = None
    agency_id: Optional[int] = None
    status: Optional[Status] = None
    theme_id: Optional[int] = None

    @classmethod
    def parse(cls, args) -> "ActivityFilters":
        """Filters from query-string values; anything malformed is ignored, never a 500."""
        def as_int(name: str) -> Optional[int]:
            value = (args.get(name) or "").strip()
            return int(value) if value.isdigit() and len(value) < 10 else None

        status_value = args.get("status") or ""
        status = Status(status_value) if status_value in {s.value for s in Status} else None
        return cls(as_int("output"), as_int("agency"), status, as_int("theme"))

    def as_args(self) -> dict[str, str]:
        values = {"output": self.output_id, "agency": self.agency_id,
                  "status": self.status.value if self.status else None, "theme": self.theme_id}
        return {k: str(v) for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def involving_agency(agency_id: int):
    """SQL condition: the activity is led or joined by the agency."""
    partner = sa.select(activity_partner.c.activity_id).where(activity_partner.c.agency_id == agency_id)
    return sa.or_(Activity.lead_agency_id == agency_id, Activity.id.in_(partner))


def activity_query(group: WorkingGroup, filters: ActivityFilters = ActivityFilters()) -> sa.Select:
    """Activities of `group` matching `filters`, in programme order, with what the tables show."""
    query = (
        sa.select(Activity).join(Activity.output).where(Output.group_id == group.id)
        .options(sa.orm.contains_eager(Activity.output), selectinload(Activity.lead_agency),
                 selectinload(Activity.partners), selectinload(Activity.themes))
        .order_by(Output.position, Output.code, Activity.number)
    )
    if filters.output_id:
        query = query.where(Activity.output_id == filters.output_id)
    if filters.status:
        query = query.where(Activity.status == filters.status)
    if filters.agency_id:
        query = query.where(involving_agency(filters.agency_id))
    if filters.theme_id:
        tagged = sa.select(activity_theme.c.activity_id).where(activity_theme.c.theme_id == filters.theme_id)
        query = query.where(Activity.id.in_(tagged))
    return query


def paginate_activities(group: WorkingGroup, filters: ActivityFilters, page: int, per_page: int = PER_PAGE):
    return db.paginate(activity_query(group, filters), page=page, per_page=per_page, error_out=False,
                       max_per_page=200)


def latest_updates(activity_ids: Iterable[int]) -> dict[int, ProgressUpdate]:
    """The latest update (by as-of date, then entry) of each activity, in one query."""
    ids = list(activity_ids)
    if not ids:
        return {}
    ranked = (
        sa.select(ProgressUpdate.id, sa.func.row_number().over(
            partition_by=ProgressUpdate.activity_id,
            order_by=(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())).label("rank"))
        .where(ProgressUpdate.activity_id.in_(ids)).subquery()
    )
    rows = db.session.scalars(
        sa.select(ProgressUpdate).join(ranked, ranked.c.id == ProgressUpdate.id).where(ranked.c.rank == 1)
        .options(joinedload(ProgressUpdate.agency))
    )
    return {u.activity_id: u for u in rows}


def next_milestones(activity_ids: Iterable[int]) -> dict[int, Milestone]:
    """The earliest milestone not yet done of each activity, in one query."""
    ids = list(activity_ids)
    if not ids:
        return {}
    ranked = (
        sa.select(Milestone.id, sa.func.row_number().over(
            partition_by=Milestone.activity_id, order_by=(Milestone.due_date, Milestone.id)).label("rank"))
        .where(Milestone.activity_id.in_(ids), Milestone.done_date.is_(None)).subquery()
    )
    rows = db.session.scalars(
        sa.select(Milestone).join(ranked, ranked.c.id == Milestone.id).where(ranked.c.rank == 1))
    return {m.activity_id: m for m in rows}


def get_activity(activity_id: int) -> Optional[Activity]:
    return db.session.scalar(
        sa.select(Activity).where(Activity.id == activity_id)
        .options(joinedload(Activity.output).joinedload(Output.group), joinedload(Activity.lead_agency),
                 selectinload(Activity.partners), selectinload(Activity.themes), selectinload(Activity.milestones))
    )


def paginate_updates(activity: Activity, page: int, per_page: int = UPDATES_PER_PAGE):
    query = (
        sa.select(ProgressUpdate).where(ProgressUpdate.activity_id == activity.id)
        .options(joinedload(ProgressUpdate.author), joinedload(ProgressUpdate.agency),
                 selectinload(ProgressUpdate.attachments))
        .order_by(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_update(update_id: int) -> Optional[ProgressUpdate]:
    return db.session.scalar(
        sa.select(ProgressUpdate).where(ProgressUpdate.id == update_id)
        .options(joinedload(ProgressUpdate.activity).joinedload(Activity.output).joinedload(Output.group),
                 joinedload(ProgressUpdate.activity).selectinload(Activity.partners),
                 selectinload(ProgressUpdate.attachments))
    )


def get_attachment(attachment_id: int) -> Optional[ProgressAttachment]:
    return db.session.scalar(
        sa.select(ProgressAttachment).where(ProgressAttachment.id == attachment_id)
        .options(joinedload(ProgressAttachment.stored_file)))


def list_findings(group: WorkingGroup, theme: Theme | None = None) -> list[Finding]:
    query = (sa.select(Finding).where(Finding.group_id == group.id)
             .options(joinedload(Finding.activity).joinedload(Activity.output), joinedload(Finding.theme))
             .order_by(Finding.kind, Finding.noted_on.desc(), Finding.id))
    if theme is not None:
        tagged = sa.select(activity_theme.c.activity_id).where(activity_theme.c.theme_id == theme.id)
        query = query.where(sa.or_(Finding.theme_id == theme.id, Finding.activity_id.in_(tagged)))
    return list(db.session.scalars(query))


def timeline_activities(group: WorkingGroup, filters: ActivityFilters, page: int, per_page: int = PER_PAGE):
    query = activity_query(group, filters).options(selectinload(Activity.milestones))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def group_milestones_span(group: WorkingGroup) -> tuple[Optional[dt.date], Optional[dt.date]]:
    """The first and last date of the whole programme, so every page of the timeline shares one scale."""
    in_group = sa.select(Activity.id).join(Activity.output).where(Output.group_id == group.id)
    row = db.session.execute(sa.select(
        sa.select(sa.func.min(sa.func.coalesce(Activity.start_date, Activity.due_date)))
        .join(Activity.output).where(Output.group_id == group.id).scalar_subquery(),
        sa.select(sa.func.max(Activity.due_date)).join(Activity.output)
        .where(Output.group_id == group.id).scalar_subquery(),
        sa.select(sa.func.min(Milestone.due_date)).where(Milestone.activity_id.in_(in_group)).scalar_subquery(),
        sa.select(sa.func.max(sa.func.coalesce(Milestone.done_date, Milestone.due_date)))
        .where(Milestone.activity_id.in_(in_group)).scalar_subquery(),
    )).one()
    dates = [d for d in row if d is not None]
    return (min(dates), max(dates)) if dates else (None, None)


# --- engagement --------------------------------------------------------------

@dataclass
class AgencyEngagement:
    agency: Agency
    led: int = 0
    joined: int = 0
    updates_30: int = 0
    updates_90: int = 0
    last_update: Optional[dt.datetime] = None
    silent: bool = False


ENGAGEMENT_SORTS = {
    "agency": lambda e: e.agency.code.lower(),
    "led": lambda e: e.led,
    "joined": lambda e: e.joined,
    "updates_30": lambda e: e.updates_30,
    "updates_90": lambda e: e.updates_90,
    "last_update": lambda e: e.last_update,
    "silent": lambda e: (not e.silent, e.agency.code.lower()),
}


def agency_engagement(group: WorkingGroup | None, on: dt.date) -> list[AgencyEngagement]:
    """Per agency: activities led and joined, updates logged lately, and whether it has gone silent.

    For one group, or (group None) across every group of the deployment, in the same few queries.
    """
    in_group = sa.select(Activity.id).join(Activity.output)
    if group is not None:
        in_group = in_group.where(Output.group_id == group.id)
    led = dict(db.session.execute(
        sa.select(Activity.lead_agency_id, sa.func.count()).where(Activity.id.in_(in_group))
        .group_by(Activity.lead_agency_id)).all())
    joined = dict(db.session.execute(
        sa.select(activity_partner.c.agency_id, sa.func.count())
        .where(activity_partner.c.activity_id.in_(in_group)).group_by(activity_partner.c.agency_id)).all())
    start_of = lambda days: dt.datetime.combine(on - dt.timedelta(days=days), dt.time(), dt.timezone.utc)  # noqa: E731
    updates = {row.agency_id: row for row in db.session.execute(
        sa.select(ProgressUpdate.agency_id,
                  sa.func.count().filter(ProgressUpdate.created_at >= start_of(30)).label("n30"),
                  sa.func.count().filter(ProgressUpdate.created_at >= start_of(90)).label("n90"),
                  sa.func.max(ProgressUpdate.created_at).label("last"))
        .where(ProgressUpdate.activity_id.in_(in_group)).group_by(ProgressUpdate.agency_id))}
    agencies = db.session.scalars(sa.select(Agency).where(sa.or_(
        Agency.kind == AgencyKind.MEMBER, Agency.id.in_(list(led) + list(joined) + list(updates))))
        .order_by(Agency.code))
    silent_before = start_of(SILENT_AFTER_DAYS)
    result = []
    for agency in agencies:
        row = updates.get(agency.id)
        last = _aware(row.last) if row else None
        item = AgencyEngagement(agency, led.get(agency.id, 0), joined.get(agency.id, 0),
                                row.n30 if row else 0, row.n90 if row else 0, last)
        item.silent = bool(item.led or item.joined) and (last is None or last < silent_before)
        result.append(item)
    return result


def _aware(value) -> Optional[dt.datetime]:
    """Aggregates bypass the column type on SQLite: give back an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


# --- progress ------------------------------------------------------------------

@dataclass
class ProgressData:
    as_of: dt.date
    status: Status
    percent_complete: int
    narrative: str
    evidence_links: list[str] = field(default_factory=list)


@dataclass
class Upload:
    filename: str
    stream: BinaryIO
    size: int


def log_progress(activity: Activity, author: User, data: ProgressData, uploads: Iterable[Upload] = ()) -> ProgressUpdate:
    """Record a progress update with its attachments; all or nothing."""
    update = ProgressUpdate(activity=activity, author=author, agency_id=author.agency_id)
    _apply_progress(update, data)
    db.session.add(update)
    _attach_and_commit(update, uploads)
    return update


def correct_progress(update: ProgressUpdate, data: ProgressData, uploads: Iterable[Upload] = ()) -> ProgressUpdate:
    """Change an update; the earlier values stay in the audit log."""
    _apply_progress(update, data)
    _attach_and_commit(update, uploads)
    return update


def _apply_progress(update: ProgressUpdate, data: ProgressData) -> None:
    update.as_of, update.status, update.percent_complete = data.as_of, data.status, data.percent_complete
    update.narrative, update.evidence_links = data.narrative.strip(), list(data.evidence_links)


def _attach_and_commit(update: ProgressUpdate, uploads: Iterable[Upload]) -> None:
    written: list[str] = []
    try:
        max_bytes = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
        for upload in uploads:
            if upload.size > max_bytes:
                raise AttachmentTooLarge(
                    f"“{upload.filename}” is {human_size(upload.size)}; attachments can be at most "
                    f"{human_size(max_bytes)}. Nothing was saved.")
            stored = store_file(upload.stream, upload.filename, DOCUMENT_KINDS, max_bytes)
            if sa.inspect(stored).pending:
                written.append(str(stored.path))
            update.attachments.append(ProgressAttachment(stored_file=stored, filename=upload.filename[:255]))
        db.session.flush()
        _refresh_activity_status(update.activity)
    except BaseException:
        for path in written:
            if os.path.exists(path):
                os.unlink(path)
        raise


def _refresh_activity_status(activity: Activity) -> None:
    """The activity shows the status and percent of its latest update."""
    latest = latest_updates([activity.id]).get(activity.id)
    if latest is not None:
        activity.status, activity.percent_complete = latest.status, latest.percent_complete


# --- managing the programme (chairs) -------------------------------------------

def save_output(group: WorkingGroup, output: Output | None, *, code: str, title: str, description: str,
                position: int) -> Output:
    if output is None:
        output = Output(group=group)
        db.session.add(output)
    output.code, output.title, output.description, output.position = (
        code.strip(), title.strip(), description.strip(), position)
    db.session.flush()
    return output


def output_code_taken(group: WorkingGroup, code: str, output: Output | None) -> bool:
    existing = db.session.scalar(sa.select(Output).where(Output.group_id == group.id, Output.code == code.strip()))
    return existing is not None and existing is not output


def activity_number_taken(output_id: int, number: int, activity: Activity | None) -> bool:
    existing = db.session.scalar(
        sa.select(Activity).where(Activity.output_id == output_id, Activity.number == number))
    return existing is not None and existing is not activity


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


def save_activity(activity: Activity | None, data: ActivityData) -> Activity:
    """Create or change an activity; partner and theme changes are logged too."""
    output = db.session.get(Output, data.output_id)
    partners = list(db.session.scalars(
        sa.select(Agency).where(Agency.id.in_(data.partner_ids), Agency.id != data.lead_agency_id)))
    themes = list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(data.theme_ids))))
    before = _links(activity) if activity is not None else None
    if activity is None:
        activity = Activity()
        db.session.add(activity)
    activity.output = output
    activity.number, activity.title, activity.description = data.number, data.title.strip(), data.description.strip()
    activity.lead_agency_id, activity.start_date, activity.due_date = data.lead_agency_id, data.start_date, data.due_date
    activity.status = data.status
    activity.partners, activity.themes = partners, themes
    db.session.flush()
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


def group_activities(group: WorkingGroup) -> list[Activity]:
    """Every activity of the group, for choosing one in a form."""
    return list(db.session.scalars(
        sa.select(Activity).join(Activity.output).where(Output.group_id == group.id)
        .options(sa.orm.contains_eager(Activity.output)).order_by(Output.position, Output.code, Activity.number)))
