"""SQLite settings that make it a sound embedded database for several processes.

WAL lets readers and a writer work at once; the busy timeout makes a writer
wait for the lock instead of failing. A transaction that will write starts
with BEGIN IMMEDIATE, taking the write lock up front: a deferred transaction
that reads first and writes later can fail at once with "database is locked"
(the busy handler is not used for lock upgrades). GET requests never write,
so they start ordinary deferred transactions and never wait.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 30_000
_read_only: ContextVar[bool] = ContextVar("gmg_sqlite_read_only", default=False)


def configure_sqlite_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, connection_record) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection) -> None:
        connection.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")


def register_sqlite_request_mode(app: Flask) -> None:
    @app.before_request
    def mark_read_only_requests() -> None:
        _read_only.set(request.method in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def reset_mode(exc: BaseException | None) -> None:
        _read_only.set(False)


@contextmanager
def sqlite_read_only(read_only: bool = True) -> Iterator[None]:
    """Outside requests (job workers): start transactions as deferred reads or as writes."""
    token = _read_only.set(read_only)
    try:
        yield
    finally:
        _read_only.reset(token)
