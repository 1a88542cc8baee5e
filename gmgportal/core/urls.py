"""Small helpers about URLs shared by the views, and bounds on the numbers URLs carry."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter as WerkzeugIntegerConverter
from werkzeug.routing import Map


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no `//host` or `\\host` tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in ("\\", "\r", "\n", "\t")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


# --- numbers in URLs and query strings ------------------------------------------
# SQLite raises OverflowError for integers past 64 bits, and no id of ours
# passes 2**31 - 1 (PostgreSQL `integer` columns): a larger number in a URL is
# a 404, and in a query argument it counts as not given.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class IntegerConverter(WerkzeugIntegerConverter):
    """`<int:...>` in every route: a non-negative integer no larger than MAX_ID, else 404.

    Keeps Werkzeug's class name, so code that asks a rule for its converter's kind still reads "IntegerConverter".
    """

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_int(value: str) -> int:
    """`int(value)`, refusing (ValueError) numbers outside ±MAX_ID."""
    number = int(value)
    if abs(number) > MAX_ID:
        raise ValueError(f"{value[:20]}… is out of range")
    return number


class BoundedArgs(ImmutableMultiDict):
    """Query and form values whose `.get(name, type=int)` ignores out-of-range numbers (gives the default)."""

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        return super().get(key, default, bounded_int if type is int else type)


def register_url_rules(app: Flask) -> None:
    """Before any blueprint: bounded `<int:>` converters (query arguments: core.forms.PortalRequest)."""
    app.url_map.converters["int"] = IntegerConverter
