"""The portal's one clock: `now()` in UTC and `today()` in the group's time zone.

Nothing else in the package asks the system for the time. Tests freeze the
clock with `freeze(...)` (the `frozen_clock` fixture); in development the
clock can be set to a date (`CLOCK_DATE`), so the demo shows the programme as
the chairs saw it on that day. Production refuses `CLOCK_DATE` (config.py).
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIME_ZONE = "Europe/Zurich"

_frozen: Optional[dt.datetime] = None


def _system_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _config(name: str, default=None):
    return current_app.config.get(name, default) if has_app_context() else default


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def group_zone() -> ZoneInfo:
    """The group's time zone (config GROUP_TIME_ZONE): what "today" and dates on pages mean."""
    return zone(_config("GROUP_TIME_ZONE", DEFAULT_TIME_ZONE) or DEFAULT_TIME_ZONE)


def now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    real = _system_now()
    set_date = _config("CLOCK_DATE")
    if set_date:
        # Keep the time of day running, on the chosen date in the group's zone.
        local = real.astimezone(group_zone())
        return local.replace(year=set_date.year, month=set_date.month, day=set_date.day).astimezone(dt.timezone.utc)
    return real


def today() -> dt.date:
    """Today's date in the group's time zone."""
    return now().astimezone(group_zone()).date()


def start_of_day(day: dt.date) -> dt.datetime:
    """The first instant of `day` in the group's time zone, as aware UTC."""
    return dt.datetime.combine(day, dt.time(), group_zone()).astimezone(dt.timezone.utc)


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after `day` (exclusive bound), as aware UTC."""
    return start_of_day(day + dt.timedelta(days=1))


def is_set() -> bool:
    """True when the clock shows a set date (development demo) rather than the real one."""
    return _frozen is None and bool(_config("CLOCK_DATE"))


def freeze(at: dt.datetime | dt.date | str) -> None:
    """Stop the clock at `at` (a date means noon in the group's zone). For tests and `--on DATE`."""
    global _frozen
    _frozen = as_utc_instant(at)


def unfreeze() -> None:
    global _frozen
    _frozen = None


@contextmanager
def frozen_at(at: dt.datetime | dt.date | str) -> Iterator[None]:
    global _frozen
    previous = _frozen
    freeze(at)
    try:
        yield
    finally:
        _frozen = previous


def advance(**delta: float) -> dt.datetime:
    """Move a frozen clock on by a timedelta's keyword arguments; returns the new time."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    _frozen = _frozen + dt.timedelta(**delta)
    return _frozen


def as_utc_instant(at: dt.datetime | dt.date | str) -> dt.datetime:
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at) if "T" in at or " " in at else dt.date.fromisoformat(at)
    if isinstance(at, dt.datetime):
        return (at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
    return dt.datetime.combine(at, dt.time(12), group_zone()).astimezone(dt.timezone.utc)
