"""Rendered pages kept per process and HTTP revalidation, keyed by the data version.

A view marked `@cacheable` (GET only) is rendered once per

    (data version, user, address with query string, today, time slot, release)

and served from memory until any of them changes. The data version
(core/dataversion.py) grows with every committed write, in whichever worker, and every
request reads it from the database, so a change is seen on the next request everywhere.
The user is part of the key: a page rendered for one person is never served to another
(roles, agency and time zone are the user's, and changing them is a write). The time slot
(a minute unless the view says less) bounds anything that depends on the time of day.

What a cached page must not reuse is put back on every hit: the CSRF token (stored as a
placeholder, filled with this request's token) and values from `fresh_token()` (new ones). Pages with flashed messages waiting are
neither served from nor stored in the cache.

Logged-in pages also carry an ETag (the key plus the login session and its CSRF secret)
with `Cache-Control: private, no-cache`: the browser revalidates every time, and gets a
304 only while nothing has changed. Reading never writes: the cache lives in memory.
"""
from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Optional, TypeVar

from flask import Flask, Response, current_app, g, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from gmgportal.core import clock
from gmgportal.core.dataversion import read_version

F = TypeVar("F", bound=Callable)
ATTR = "_gmg_cacheable"
EXTENSION_KEY = "gmg_page_cache"
PLACEHOLDER = "\x00gmg-csrf-token\x00"
FRESH = "\x00gmg-fresh-token\x00"
CACHE_CONTROL = "private, no-cache"


def cacheable(view: F | None = None, *, reads_data: bool = True, seconds: int = 60):
    """Mark a GET view whose page depends only on the data, the user, the address and the date.

    `reads_data=False` for a page that shows no data at all (the login form): its key has no
    data version, and serving it from the cache needs no database. `seconds`: how long a page
    may be reused when nothing is written (for pages that show the time passing, e.g. a job
    not heard of lately).
    """
    def mark(view: F) -> F:
        setattr(view, ATTR, ("data" if reads_data else "static", max(1, seconds)))
        return view

    return mark(view) if view is not None else mark


class PageCache:
    """A bounded LRU of rendered pages (entries and bytes), safe for threads."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 1024 * 1024, max_entry_bytes: int = 2 * 1024 * 1024):
        self.max_entries, self.max_bytes, self.max_entry_bytes = max_entries, max_bytes, max_entry_bytes
        self._items: OrderedDict[tuple, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Optional[str]:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: tuple, value: str) -> None:
        size = len(value)
        if size > self.max_entry_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._items[key] = value
            self._bytes += size
            while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def fresh_token() -> str:
    """A value unique to each showing of a page (an idempotency key), even when it comes from the cache."""
    token = uuid.uuid4().hex
    g.setdefault("gmg_fresh_tokens", []).append(token)
    return token


def _refill(cached: str) -> str:
    if PLACEHOLDER in cached:
        cached = cached.replace(PLACEHOLDER, generate_csrf())
    if FRESH in cached:
        parts = cached.split(FRESH)
        cached = parts[0] + "".join(uuid.uuid4().hex + part for part in parts[1:])
    return cached


def page_cache(app: Flask | None = None) -> PageCache:
    return (app or current_app).extensions[EXTENSION_KEY]


def _release(app: Flask) -> str:
    """Changes when the code or templates change, so a browser's copy from an older release is not revalidated."""
    roots = [Path(app.root_path), Path(app.root_path, app.template_folder or "templates")]
    newest = max((p.stat().st_mtime for root in roots if root.exists() for p in root.rglob("*")
                  if p.suffix in (".py", ".html")), default=0.0)
    return hashlib.sha256(f"{newest}".encode()).hexdigest()[:12]


def _etag(key: tuple) -> Optional[str]:
    if key[2] is None:  # anonymous pages carry a per-session CSRF token: never revalidated
        return None
    secret = session.get("csrf_token")
    login = getattr(current_user, "session_token", None)
    if not secret or not login:
        return None
    raw = "|".join(map(str, key)) + f"|{hashlib.sha256(login.encode()).hexdigest()}|{secret}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _headers(response: Response, etag: Optional[str]) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Cookie")
    if etag:
        response.set_etag(etag)
    return response


def register_page_cache(app: Flask) -> None:
    if not app.config.get("PAGE_CACHE", True):
        return
    app.extensions[EXTENSION_KEY] = PageCache(app.config.get("PAGE_CACHE_ENTRIES", 512),
                                              app.config.get("PAGE_CACHE_MB", 64) * 1024 * 1024)
    release = _release(app)

    @app.before_request
    def serve_cached_page():
        marked = getattr(app.view_functions.get(request.endpoint), ATTR, None) if request.method == "GET" else None
        if marked is None or "_flashes" in session:
            return None
        kind, seconds = marked
        user_id = current_user.id if current_user.is_authenticated else None
        if kind == "static":
            version = "static"
        else:  # the user loader read it with the user, in the same statement; else one query
            version = current_user.data_version if user_id is not None else None
            version = version if version is not None else read_version()
        if version is None:
            return None
        now = clock.now()
        key = (release, version, user_id, request.full_path, clock.today().isoformat(), int(now.timestamp()) // seconds)
        g.gmg_page_key = key
        etag = _etag(key)
        if etag and etag in request.if_none_match:
            g.gmg_page_served = True
            return _headers(Response(status=304), etag)
        cached = None if app.config.get("PAGE_CACHE_BYPASS") else page_cache(app).get(key)
        if cached is None:
            return None
        g.gmg_page_served = True
        return _headers(Response(_refill(cached), mimetype="text/html"), _etag(key))

    @app.after_request
    def store_rendered_page(response: Response) -> Response:
        key = g.pop("gmg_page_key", None)
        if key is None or g.pop("gmg_page_served", False):
            return response
        if response.status_code != 200 or response.mimetype != "text/html" or response.direct_passthrough:
            return response
        if request_ctx.flashes or "_flashes" in session:  # a message shown once must not be replayed
            return response
        body = response.get_data(as_text=True)
        token = g.get("csrf_token")
        if token:
            body = body.replace(token, PLACEHOLDER)
        for fresh in g.get("gmg_fresh_tokens", ()):
            body = body.replace(fresh, FRESH)
        page_cache(app).put(key, body)
        return _headers(response, _etag(key))
