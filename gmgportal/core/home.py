"""The "What needs you" home page is made of sections that features register.

A feature registers, on the app, a function that receives the logged-in user
and returns a `HomeSection` (or None when it has nothing for this user). Core
knows no feature; the home page only renders what it is given.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from flask import Flask, current_app

from gmgportal.core.formatting import format_date


@dataclass
class HomeItem:
    text: str
    url: str | None = None
    detail: str = ""
    tag: str | None = None  # a tag key, for the look: a status ("overdue") or what is missing ("silent")
    tag_text: str | None = None  # the tag's words when they are not the status name


@dataclass
class HomeSection:
    title: str
    items: list[HomeItem] = field(default_factory=list)
    empty_text: str = "Nothing needs you here."
    action_text: str | None = None
    action_url: str | None = None
    order: int = 100


def due_phrase(due: dt.date, overdue: bool) -> str:
    """An item's due date in the home page's words: "Due 13 May 2014", or "Was due ..." once overdue."""
    return f"{'Was due' if overdue else 'Due'} {format_date(due)}"


SectionProvider = Callable[[Any], Optional[HomeSection]]
EXTENSION_KEY = "gmg_home_sections"


def register_home_section(app: Flask, provider: SectionProvider) -> SectionProvider:
    providers = app.extensions.setdefault(EXTENSION_KEY, [])
    if provider not in providers:
        providers.append(provider)
    return provider


def home_sections(user: Any) -> list[HomeSection]:
    providers = current_app.extensions.get(EXTENSION_KEY, [])
    sections = [s for s in (provider(user) for provider in providers) if s is not None]
    return sorted(sections, key=lambda s: s.order)
