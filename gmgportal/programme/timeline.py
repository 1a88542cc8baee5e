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


@dataclass(frozen=True)
class Layout:
    """Where things go. The wide layout puts labels left of the bars; the phone layout
    puts each activity's label on its own line above a bar that spans the whole width."""
    name: str
    width: int
    label_width: int  # where the time scale starts
    right_pad: int
    row_height: int
    label_gap: int  # px between milestone markers before a label would overlap
    title_chars: int  # characters of the label line (beside the bar: the title; above it: ref, title and status)
    min_tick_gap: int  # px between month ticks
    labels_above: bool

    @property
    def chart_right(self) -> int:
        return self.width - self.right_pad


WIDE = Layout("wide", width=1000, label_width=330, right_pad=24, row_height=52, label_gap=120, title_chars=33,
              min_tick_gap=40, labels_above=False)
PHONE = Layout("phone", width=340, label_width=10, right_pad=14, row_height=72, label_gap=110, title_chars=38,
               min_tick_gap=58, labels_above=True)
TOP = 56


@dataclass
class MarkerBox:
    x: float
    title: str
    label: str
    state: str  # completed | overdue | not_started
    description: str
    label_x: float = 0
    label_anchor: str = "start"  # "end" near the right edge, so the label stays on the chart


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
    # Positions of the label, the status, the bar and the markers' centre, by layout.
    text_y: float = 0
    status_x: float = 0
    status_y: float = 0
    bar_y: float = 0
    marker_y: float = 0
    label_y: float = 0


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
    layout: Layout = WIDE

    @property
    def width(self) -> int:
        return self.layout.width

    @property
    def label_width(self) -> int:
        return self.layout.label_width

    @property
    def chart_right(self) -> int:
        return self.layout.chart_right

    @property
    def row_height(self) -> int:
        return self.layout.row_height


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


TICK_STEPS = (1, 2, 3, 6, 12)  # months; each divides a year, so Januaries stay on ticks


def _ticks(start: dt.date, end: dt.date, x_of, min_gap: int, right_edge: int) -> list[Tick]:
    months = max((end.year - start.year) * 12 + end.month - start.month, 1)
    month_px = (x_of(end) - x_of(start)) / months
    step = next((s for s in TICK_STEPS if s * month_px >= min_gap), 12)
    ticks, day = [], start
    while day <= end:
        index = (day.year - start.year) * 12 + day.month - start.month
        if index % step == 0:
            major = day.month == 1 or day == start
            label = f"{day:%b}" if step < 12 else f"{day:%Y}"
            if step < 12 and major:
                label = f"{day:%b %Y}"
            if x_of(day) + 3 + 7 * len(label) > right_edge:
                label = ""  # it would run off the chart
            ticks.append(Tick(x_of(day), label, major))
        day = _next_month(day)
    return ticks


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _place(row: Row, index: int, layout: Layout) -> None:
    row.y = TOP + index * layout.row_height
    if layout.labels_above:  # ref, title and status on one line, the bar under it
        row.text_y, row.status_x, row.status_y = row.y + 18, layout.chart_right, row.y + 18
        row.bar_y, row.marker_y, row.label_y = row.y + 28, row.y + 35, row.y + 61
    else:
        row.text_y, row.status_x, row.status_y = row.y + 21, 8, row.y + 41
        row.bar_y, row.marker_y, row.label_y = row.y + 10, row.y + 17, row.y + 41


def build_timeline(activities: Iterable[Activity], span: tuple[dt.date | None, dt.date | None], today: dt.date,
                   url_for_activity, layout: Layout = WIDE) -> Timeline:
    start, end = chart_range(span[0], span[1], today)
    chart_left, chart_right = layout.label_width, layout.chart_right
    days = max((end - start).days, 1)

    def x_of(day: dt.date) -> float:
        day = min(max(day, start), end)
        return round(chart_left + (day - start).days / days * (chart_right - chart_left), 1)

    rows = []
    for index, activity in enumerate(activities):
        # Above the bar the line holds the ref, the title and the status; beside it, the title alone.
        others = len(activity.ref) + len(activity.status.label) + 2 if layout.labels_above else 0
        row = Row(y=0, ref=activity.ref, title=_shorten(activity.title, layout.title_chars - others),
                  full_title=activity.title, status=activity.status.value, status_label=activity.status.label,
                  url=url_for_activity(activity))
        _place(row, index, layout)
        bar_from = activity.start_date or activity.due_date
        if bar_from and activity.due_date:
            row.bar_x = x_of(bar_from)
            row.bar_width = max(x_of(activity.due_date) - row.bar_x, 4)
        last_label_x = -layout.label_gap
        for m in activity.milestones:
            state = m.state(today)
            when = (f"done {format_date(m.done_date)}, due {format_date(m.due_date)}" if m.done_date
                    else f"overdue since {format_date(m.due_date)}" if state == "overdue"
                    else f"due {format_date(m.due_date)}")
            x = x_of(m.done_date or m.due_date)
            fits = x - last_label_x >= layout.label_gap and x < chart_right - 40
            label = _shorten(m.title, 18 if not layout.labels_above else 15) if fits else ""
            if label:
                last_label_x = x
            near_right = layout.labels_above and x > layout.width - 90
            row.markers.append(MarkerBox(x, m.title, label, state, f"{activity.ref} {m.title}: {when}",
                                         label_x=x + 8 if near_right else x - 8,
                                         label_anchor="end" if near_right else "start"))
        rows.append(row)
    today_x = x_of(today) if start <= today <= end else None
    note = ""
    if today_x is None:
        side = "after" if today > end else "before"
        note = f"Today ({format_date(today)}) is {side} the period shown."
    height = TOP + max(len(rows), 1) * layout.row_height + 16
    ticks = _ticks(start, end, x_of, layout.min_tick_gap, layout.width)
    return Timeline(rows, ticks, height, start, end, today, today_x, note, layout)
