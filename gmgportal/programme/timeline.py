"""The milestone timeline: the geometry of a Gantt-style SVG drawn by a template.

Activities are rows with a bar from start to due date; milestones are markers
whose shape says their state (diamond: upcoming, circle: done, triangle:
overdue); a vertical line marks today when it falls on the chart.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from gmgportal.core.formatting import format_date
from gmgportal.programme.models import Activity

WIDTH = 1000
LABEL_WIDTH = 330
RIGHT_PAD = 24
TOP = 56
ROW_HEIGHT = 52
LABEL_GAP = 120  # px between milestone markers before a label would overlap
TITLE_CHARS = 33


@dataclass
class MarkerBox:
    x: float
    title: str
    label: str
    state: str  # completed | overdue | not_started
    description: str


@dataclass
class Row:
    y: float
    ref: str
    title: str
    full_title: str
    status: str
    status_label: str
    url: str
    bar_x: float | None = None
    bar_width: float = 0
    markers: list[MarkerBox] = field(default_factory=list)


@dataclass
class Tick:
    x: float
    label: str
    major: bool


@dataclass
class Timeline:
    rows: list[Row]
    ticks: list[Tick]
    height: int
    start: dt.date
    end: dt.date
    today: dt.date
    today_x: float | None
    today_note: str = ""
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    chart_right: int = WIDTH - RIGHT_PAD


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def chart_range(first: dt.date | None, last: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """Whole months around the programme; today is included when it is near enough to keep the scale."""
    if first is None or last is None:
        first = last = today
    span = max((last - first).days, 60)
    if first - dt.timedelta(days=span // 3) <= today < first:
        first = today
    if last < today <= last + dt.timedelta(days=span // 3):
        last = today
    return _month_start(first), _next_month(last)


def _ticks(start: dt.date, end: dt.date, x_of) -> list[Tick]:
    months = (end.year - start.year) * 12 + end.month - start.month
    step = 1 if months <= 15 else 3 if months <= 48 else 12
    ticks, day = [], start
    while day <= end:
        index = (day.year - start.year) * 12 + day.month - start.month
        if index % step == 0:
            major = day.month == 1 or day == start
            label = f"{day:%b}" if step < 12 else f"{day:%Y}"
            if step < 12 and major:
                label = f"{day:%b %Y}"
            ticks.append(Tick(x_of(day), label, major))
        day = _next_month(day)
    return ticks


def _shorten(text: str, limit: int = TITLE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_timeline(activities: Iterable[Activity], span: tuple[dt.date | None, dt.date | None], today: dt.date,
                   url_for_activity) -> Timeline:
    start, end = chart_range(span[0], span[1], today)
    chart_left, chart_right = LABEL_WIDTH, WIDTH - RIGHT_PAD
    days = max((end - start).days, 1)

    def x_of(day: dt.date) -> float:
        day = min(max(day, start), end)
        return round(chart_left + (day - start).days / days * (chart_right - chart_left), 1)

    rows = []
    for index, activity in enumerate(activities):
        row = Row(y=TOP + index * ROW_HEIGHT, ref=activity.ref, title=_shorten(activity.title),
                  full_title=activity.title, status=activity.status.value, status_label=activity.status.label,
                  url=url_for_activity(activity))
        bar_from = activity.start_date or activity.due_date
        if bar_from and activity.due_date:
            row.bar_x = x_of(bar_from)
            row.bar_width = max(x_of(activity.due_date) - row.bar_x, 4)
        last_label_x = -LABEL_GAP
        for m in activity.milestones:
            state = m.state(today)
            when = (f"done {format_date(m.done_date)}, due {format_date(m.due_date)}" if m.done_date
                    else f"overdue since {format_date(m.due_date)}" if state == "overdue"
                    else f"due {format_date(m.due_date)}")
            x = x_of(m.done_date or m.due_date)
            label = _shorten(m.title, 18) if x - last_label_x >= LABEL_GAP and x < chart_right - 40 else ""
            if label:
                last_label_x = x
            row.markers.append(MarkerBox(x, m.title, label, state, f"{activity.ref} {m.title}: {when}"))
        rows.append(row)
    today_x = x_of(today) if start <= today <= end else None
    note = ""
    if today_x is None:
        side = "after" if today > end else "before"
        note = f"Today ({format_date(today)}) is {side} the period shown."
    height = TOP + max(len(rows), 1) * ROW_HEIGHT + 16
    return Timeline(rows, _ticks(start, end, x_of), height, start, end, today, today_x, note)
