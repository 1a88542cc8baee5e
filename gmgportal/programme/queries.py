"""Reading the work programme. Whatever depends on the date takes it (`as_of`, a period):
pages pass today, progress reports their end date, and both get the same answers.

A date's rules: an update counts from its as-of date on; a milestone is done from
its done date on, and overdue once its due date has passed while it is not done.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from gmgportal.auth.models import Agency, AgencyKind
from gmgportal.core.filters import OptionalId, QueryFilters
from gmgportal.core.sql import first_per
from gmgportal.extensions import db
from gmgportal.programme.models import (
    Activity, Finding, Milestone, Objective, Output, ProgressAttachment, ProgressUpdate, Status, Theme,
    WorkingGroup, activity_partner, activity_theme,
)

PER_PAGE = 50
UPDATES_PER_PAGE = 20
SILENT_AFTER_DAYS = 60
DUE_SOON_DAYS = 14
HOME_LIMIT = 10


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: dt.date
    end: dt.date

    @classmethod
    def days_before(cls, end: dt.date, days: int) -> "Period":
        return cls(end - dt.timedelta(days=days - 1), end)


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


def list_objectives(group: WorkingGroup) -> list[Objective]:
    return list(db.session.scalars(
        sa.select(Objective).where(Objective.group_id == group.id).order_by(Objective.position)))


def list_themes() -> list[Theme]:
    return list(db.session.scalars(sa.select(Theme).order_by(Theme.position, Theme.name)))


def get_theme(slug: str) -> Optional[Theme]:
    return db.session.scalar(sa.select(Theme).where(Theme.slug == slug))


def list_agencies() -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).order_by(Agency.code)))


class ActivityFilters(QueryFilters):
    """The overview's and the timeline's filters (`?output=3&agency=2&status=at_risk&theme=1&page=2`)."""

    output_id: OptionalId = Field(None, alias="output")
    agency_id: OptionalId = Field(None, alias="agency")
    status: Optional[Status] = None
    theme_id: OptionalId = Field(None, alias="theme")


def involving_agency(agency_id: int):
    """SQL condition: the activity is led or joined by the agency."""
    partner = sa.select(activity_partner.c.activity_id).where(activity_partner.c.agency_id == agency_id)
    return sa.or_(Activity.lead_agency_id == agency_id, Activity.id.in_(partner))


def activity_query(group: WorkingGroup, filters: ActivityFilters = ActivityFilters()) -> sa.Select:
    """Activities of `group` matching `filters`, in programme order, with what the tables show."""
    query = (
        sa.select(Activity).join(Activity.output).where(Output.group_id == group.id)
        .options(contains_eager(Activity.output), joinedload(Activity.lead_agency),
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


def latest_updates(activity_ids: Iterable[int], as_of: dt.date) -> dict[int, ProgressUpdate]:
    """The latest update as of `as_of` (by as-of date, then entry) of each activity, in one query."""
    ids = list(activity_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        first_per(ProgressUpdate, ProgressUpdate.activity_id, (ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc()),
                  ProgressUpdate.activity_id.in_(ids), ProgressUpdate.as_of <= as_of)
        .options(joinedload(ProgressUpdate.agency)))
    return {u.activity_id: u for u in rows}


def milestone_open(as_of: dt.date):
    """SQL condition: the milestone is not done as of `as_of`."""
    return sa.or_(Milestone.done_date.is_(None), Milestone.done_date > as_of)


def next_milestones(activity_ids: Iterable[int], as_of: dt.date) -> dict[int, Milestone]:
    """The earliest milestone of each activity not done as of `as_of`, in one query."""
    ids = list(activity_ids)
    if not ids:
        return {}
    rows = db.session.scalars(first_per(Milestone, Milestone.activity_id, (Milestone.due_date, Milestone.id),
                                        Milestone.activity_id.in_(ids), milestone_open(as_of)))
    return {m.activity_id: m for m in rows}


@dataclass(frozen=True)
class ActivityState:
    """An activity's status and percent as of a date: its latest update's, or (none yet) not started."""

    status: Status
    percent_complete: int
    latest: Optional[ProgressUpdate]


def activity_states(activities: Iterable[Activity], as_of: dt.date) -> dict[int, ActivityState]:
    """Status as of `as_of` of each activity. Without an update by then: the status a chair set
    when the activity has no update at all, else not started."""
    activities = list(activities)
    latest = latest_updates([a.id for a in activities], as_of)
    ever_updated = set(db.session.scalars(sa.select(ProgressUpdate.activity_id).distinct().where(
        ProgressUpdate.activity_id.in_([a.id for a in activities])))) if len(latest) < len(activities) else set()
    states = {}
    for activity in activities:
        update = latest.get(activity.id)
        if update is not None:
            states[activity.id] = ActivityState(update.status, update.percent_complete, update)
        elif activity.id in ever_updated:
            states[activity.id] = ActivityState(Status.NOT_STARTED, 0, None)
        else:
            states[activity.id] = ActivityState(activity.status, activity.percent_complete, None)
    return states


def in_group(group: WorkingGroup | None) -> sa.Select:
    """Ids of the group's activities (every group's when None)."""
    query = sa.select(Activity.id).join(Activity.output)
    return query.where(Output.group_id == group.id) if group is not None else query


def overdue_milestones(group: WorkingGroup | None, as_of: dt.date, agency_id: int | None = None,
                       limit: int | None = None) -> list[Milestone]:
    """Milestones due before `as_of` and not done by then, earliest first."""
    return milestones_due(group, as_of, before=as_of, agency_id=agency_id, limit=limit)


def milestones_due(group: WorkingGroup | None, as_of: dt.date, *, before: dt.date, agency_id: int | None = None,
                   limit: int | None = None) -> list[Milestone]:
    """Milestones open as of `as_of` and due before `before` (exclusive), with activity and output."""
    query = (sa.select(Milestone).join(Milestone.activity).join(Activity.output)
             .options(contains_eager(Milestone.activity).contains_eager(Activity.output),
                      contains_eager(Milestone.activity).joinedload(Activity.lead_agency))
             .where(milestone_open(as_of), Milestone.due_date < before, Activity.id.in_(in_group(group)))
             .order_by(Milestone.due_date, Milestone.id).limit(limit))
    if agency_id is not None:
        query = query.where(involving_agency(agency_id))
    return list(db.session.scalars(query))


def open_milestones(group: WorkingGroup, as_of: dt.date) -> list[Milestone]:
    """Every milestone of the group not done as of `as_of`, by due date: the next steps."""
    return milestones_due(group, as_of, before=dt.date.max)


def quiet_activities(agency_id: int, as_of: dt.date, limit: int = HOME_LIMIT) -> list[Activity]:
    """Open activities led or joined by the agency with no update dated in the SILENT_AFTER_DAYS up to `as_of`."""
    recent = Period.days_before(as_of, SILENT_AFTER_DAYS)
    updated = sa.select(ProgressUpdate.activity_id).where(ProgressUpdate.as_of.between(recent.start, recent.end))
    return list(db.session.scalars(
        sa.select(Activity).join(Activity.output).options(contains_eager(Activity.output))
        .where(involving_agency(agency_id), Activity.status != Status.COMPLETED, Activity.id.not_in(updated))
        .order_by(Output.position, Output.code, Activity.number).limit(limit)))


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


def list_findings(group: WorkingGroup, theme: Theme | None = None, period: Period | None = None) -> list[Finding]:
    """The group's findings (those noted in `period`, when given), by kind and newest first."""
    query = (sa.select(Finding).where(Finding.group_id == group.id)
             .options(joinedload(Finding.activity).joinedload(Activity.output), joinedload(Finding.theme))
             .order_by(Finding.kind, Finding.noted_on.desc(), Finding.id))
    if period is not None:
        query = query.where(Finding.noted_on.between(period.start, period.end))
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
    last_update: Optional[dt.date] = None
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


def agency_engagement(group: WorkingGroup | None, as_of: dt.date) -> list[AgencyEngagement]:
    """Per agency: activities led and joined, updates dated in the 30 and 90 days up to `as_of`,
    and whether it has gone silent (nothing in SILENT_AFTER_DAYS).

    For one group, or (group None) across every group of the deployment, in the same few queries.
    """
    activity_ids = in_group(group)
    led = dict(db.session.execute(
        sa.select(Activity.lead_agency_id, sa.func.count()).where(Activity.id.in_(activity_ids))
        .group_by(Activity.lead_agency_id)).all())
    joined = dict(db.session.execute(
        sa.select(activity_partner.c.agency_id, sa.func.count())
        .where(activity_partner.c.activity_id.in_(activity_ids)).group_by(activity_partner.c.agency_id)).all())
    last_30, last_90 = Period.days_before(as_of, 30), Period.days_before(as_of, 90)
    updates = {row.agency_id: row for row in db.session.execute(
        sa.select(ProgressUpdate.agency_id,
                  sa.func.count().filter(ProgressUpdate.as_of >= last_30.start).label("n30"),
                  sa.func.count().filter(ProgressUpdate.as_of >= last_90.start).label("n90"),
                  sa.func.max(ProgressUpdate.as_of).label("last"))
        .where(ProgressUpdate.activity_id.in_(activity_ids), ProgressUpdate.as_of <= as_of)
        .group_by(ProgressUpdate.agency_id))}
    agencies = db.session.scalars(sa.select(Agency).where(sa.or_(
        Agency.kind == AgencyKind.MEMBER, Agency.id.in_(list(led) + list(joined) + list(updates))))
        .order_by(Agency.code))
    silent_since = Period.days_before(as_of, SILENT_AFTER_DAYS).start
    result = []
    for agency in agencies:
        row = updates.get(agency.id)
        last = _as_date(row.last) if row else None
        item = AgencyEngagement(agency, led.get(agency.id, 0), joined.get(agency.id, 0),
                                row.n30 if row else 0, row.n90 if row else 0, last)
        item.silent = bool(item.led or item.joined) and (last is None or last < silent_since)
        result.append(item)
    return result


def silent_agencies(group: WorkingGroup, period: Period) -> list[Agency]:
    """Agencies leading or joining the group's activities that logged no update dated in `period`."""
    activity_ids = in_group(group)
    involved = sa.union(
        sa.select(Activity.lead_agency_id.label("agency_id")).where(Activity.id.in_(activity_ids)),
        sa.select(activity_partner.c.agency_id).where(activity_partner.c.activity_id.in_(activity_ids)))
    active = sa.select(ProgressUpdate.agency_id).where(
        ProgressUpdate.activity_id.in_(activity_ids), ProgressUpdate.as_of.between(period.start, period.end))
    return list(db.session.scalars(
        sa.select(Agency).where(Agency.id.in_(sa.select(involved.subquery().c.agency_id)), Agency.id.not_in(active))
        .order_by(Agency.code)))


def _as_date(value) -> Optional[dt.date]:
    """Aggregates bypass the column type on SQLite, which hands back text."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def output_code_taken(group: WorkingGroup, code: str, output: Output | None) -> bool:
    existing = db.session.scalar(sa.select(Output).where(Output.group_id == group.id, Output.code == code.strip()))
    return existing is not None and existing is not output


def activity_number_taken(output_id: int, number: int, activity: Activity | None) -> bool:
    existing = db.session.scalar(
        sa.select(Activity).where(Activity.output_id == output_id, Activity.number == number))
    return existing is not None and existing is not activity


def group_activities(group: WorkingGroup) -> list[Activity]:
    """Every activity of the group, for choosing one in a form."""
    return list(db.session.scalars(
        sa.select(Activity).join(Activity.output).where(Output.group_id == group.id)
        .options(contains_eager(Activity.output)).order_by(Output.position, Output.code, Activity.number)))


def updates_in_period(activity_ids: Iterable[int], period: Period) -> dict[int, list[ProgressUpdate]]:
    """Each activity's updates dated in `period`, oldest first, in one query."""
    ids = list(activity_ids)
    result: dict[int, list[ProgressUpdate]] = {}
    if not ids:
        return result
    rows = db.session.scalars(
        sa.select(ProgressUpdate)
        .where(ProgressUpdate.activity_id.in_(ids), ProgressUpdate.as_of.between(period.start, period.end))
        .order_by(ProgressUpdate.as_of, ProgressUpdate.id))
    for update in rows:
        result.setdefault(update.activity_id, []).append(update)
    return result


def group_agencies(group: WorkingGroup) -> list[Agency]:
    """Agencies chairing, leading or joining the group's work: chair, co-chair, then the others by code."""
    activity_ids = in_group(group)
    involved = sa.union(
        sa.select(Activity.lead_agency_id.label("agency_id")).where(Activity.id.in_(activity_ids)),
        sa.select(activity_partner.c.agency_id).where(activity_partner.c.activity_id.in_(activity_ids)))
    chairs = [a for a in (group.chair_agency_id, group.co_chair_agency_id) if a is not None]
    agencies = list(db.session.scalars(sa.select(Agency).where(sa.or_(
        Agency.id.in_(sa.select(involved.subquery().c.agency_id)), Agency.id.in_(chairs))).order_by(Agency.code)))
    rank = {agency_id: i for i, agency_id in enumerate(chairs)}
    return sorted(agencies, key=lambda a: (rank.get(a.id, len(rank)), a.code.lower()))


def milestone_counts(group: WorkingGroup, as_of: dt.date) -> dict[str, int]:
    """How many of the group's milestones are done, overdue and upcoming as of `as_of` (keys as Milestone.state)."""
    done = sa.and_(Milestone.done_date.is_not(None), Milestone.done_date <= as_of)
    row = db.session.execute(
        sa.select(sa.func.count().filter(done).label("completed"),
                  sa.func.count().filter(sa.not_(done), Milestone.due_date < as_of).label("overdue"),
                  sa.func.count().filter(sa.not_(done), Milestone.due_date >= as_of).label("not_started"))
        .where(Milestone.activity_id.in_(in_group(group)))).one()
    return {"completed": row.completed, "overdue": row.overdue, "not_started": row.not_started}


# --- column-only reads, for reading a whole programme at once (progress reports) ---------------

def activity_rows(group: WorkingGroup) -> list[sa.Row]:
    """The group's activities in programme order as rows (id, output_id, output_code, number, title, status,
    percent_complete): no objects, for reading a thousand at once."""
    return list(db.session.execute(
        sa.select(Activity.id, Activity.output_id, Output.code.label("output_code"), Activity.number,
                  Activity.title, Activity.status, Activity.percent_complete)
        .join(Activity.output).where(Output.group_id == group.id)
        .order_by(Output.position, Output.code, Activity.number)))


def activity_ref(output_code: str, number: int) -> str:
    """"1.2 (1)", as `Activity.ref` writes it, from the columns."""
    return f"{output_code} ({number})"


def statuses_as_of(group: WorkingGroup, rows: Iterable, as_of: dt.date) -> dict[int, tuple[Status, int]]:
    """(status, percent complete) as of `as_of` of each of the group's activities (`rows`: id, status,
    percent_complete), by the rule of `activity_states`, in one column-only query: each activity's first
    update in the order "dated by `as_of`, newest" tells both its latest update by then and, when it is
    dated later, that the activity has updates but none yet."""
    by_then = ProgressUpdate.as_of <= as_of
    ranked = (sa.select(ProgressUpdate.activity_id, ProgressUpdate.status, ProgressUpdate.percent_complete,
                        by_then.label("by_then"),
                        sa.func.row_number().over(partition_by=ProgressUpdate.activity_id,
                                                  order_by=(sa.case((by_then, 0), else_=1), ProgressUpdate.as_of.desc(),
                                                            ProgressUpdate.id.desc())).label("rank"))
              .where(ProgressUpdate.activity_id.in_(in_group(group))).subquery())
    first = {r.activity_id: (r.status, r.percent_complete) if r.by_then else (Status.NOT_STARTED, 0)
             for r in db.session.execute(sa.select(ranked.c.activity_id, ranked.c.status, ranked.c.percent_complete,
                                                   ranked.c.by_then).where(ranked.c.rank == 1))}
    return {r.id: first.get(r.id, (r.status, r.percent_complete)) for r in rows}


def narratives_in_period(group: WorkingGroup, period: Period) -> dict[int, list[str]]:
    """Each of the group's activities' non-empty narratives dated in `period`, oldest first, in one query."""
    result: dict[int, list[str]] = {}
    rows = db.session.execute(
        sa.select(ProgressUpdate.activity_id, ProgressUpdate.narrative)
        .where(ProgressUpdate.activity_id.in_(in_group(group)),
               ProgressUpdate.as_of.between(period.start, period.end), ProgressUpdate.narrative != "")
        .order_by(ProgressUpdate.as_of, ProgressUpdate.id))
    for activity_id, narrative in rows:
        if narrative.strip():
            result.setdefault(activity_id, []).append(narrative)
    return result


def open_milestone_rows(group: WorkingGroup, as_of: dt.date) -> list[sa.Row]:
    """The group's milestones not done as of `as_of`, by due date, as rows (title, due_date, output_code,
    number): the overdue ones are those due before `as_of`."""
    return list(db.session.execute(
        sa.select(Milestone.title, Milestone.due_date, Output.code.label("output_code"), Activity.number)
        .join(Milestone.activity).join(Activity.output)
        .where(Output.group_id == group.id, milestone_open(as_of))
        .order_by(Milestone.due_date, Milestone.id)))


def theme_rows(group: WorkingGroup) -> list[sa.Row]:
    """(activity_id, theme_id) of the group's activities' cross-cutting themes."""
    return list(db.session.execute(
        sa.select(activity_theme.c.activity_id, activity_theme.c.theme_id)
        .where(activity_theme.c.activity_id.in_(in_group(group)))))
