"""Dates and times as users read them: "13 May 2014", times in their own zone."""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Flask
from flask_login import current_user



# The duty stations the group works from come first. Geneva keeps Zurich's rules and
# current tz data files no longer carry a separate Geneva zone.
GROUP_TIME_ZONES = [
    ("UTC", "UTC"),
    ("America/New_York", "New York, Washington (America/New_York)"),
    ("Europe/Zurich", "Geneva (Europe/Zurich)"),
    ("Europe/Paris", "Paris (Europe/Paris)"),
    ("Europe/Rome", "Rome (Europe/Rome)"),
    ("Europe/Vienna", "Vienna (Europe/Vienna)"),
    ("Africa/Nairobi", "Nairobi (Africa/Nairobi)"),
    ("Africa/Addis_Ababa", "Addis Ababa (Africa/Addis_Ababa)"),
    ("Asia/Bangkok", "Bangkok (Asia/Bangkok)"),
    ("Asia/Beirut", "Beirut (Asia/Beirut)"),
    ("America/Santiago", "Santiago (America/Santiago)"),
]


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone the system knows, the group's first (read from disk once per process)."""
    first = {zone for zone, _ in GROUP_TIME_ZONES}
    rest = sorted(z for z in available_timezones() if "/" in z and z not in first)
    return GROUP_TIME_ZONES + [(z, z.replace("_", " ")) for z in rest]


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(zone for zone, _ in time_zone_choices())


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_zone(value)
    return f"{value.day} {value:%B %Y}"


def user_zone() -> ZoneInfo:
    name = getattr(current_user, "time_zone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_user_zone(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(user_zone())


def format_datetime(value: datetime | None) -> str:
    """“13 May 2014, 14:05 CEST” in the user's zone, with the zone named."""
    if value is None:
        return ""
    local = to_user_zone(value)
    return f"{local.day} {local:%B %Y, %H:%M} {local.tzname()}"


def format_percent(value: float | int | None) -> str:
    """Percent written one way everywhere: "40%" (no space, as in English style guides)."""
    if value is None:
        return ""
    return f"{round(value)}%"


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(format_percent, "percent")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
