"""SQLite settings that make it a sound embedded database for several processes.

WAL lets readers and a writer work at once; the busy timeout makes a writer
wait for the lock instead of failing. A transaction that will write starts
with BEGIN IMMEDIATE, taking the write lock up front: a deferred transaction
that reads first and writes later can fail at once with "database is locked"
(the busy handler is not used for lock upgrades). Which of the two a
transaction starts with is the unit of work's choice (`core/uow.py`); feature
code never sets it.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

BUSY_TIMEOUT_MS = 30_000
_writes: ContextVar[bool] = ContextVar("gmg_sqlite_writes", default=True)


def make_database_folder(database_uri: str) -> None:
    """A SQLite file's folder is made if missing (a fresh checkout, or GMG_INSTANCE_DIR pointing to a new
    folder), so the first `flask db upgrade` does not fail with "unable to open database file"."""
    url = make_url(database_uri)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


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
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes.get() else "BEGIN")


@contextmanager
def transaction_mode(writes: bool) -> Iterator[None]:
    """Transactions begun inside start as writes (BEGIN IMMEDIATE) or as deferred reads."""
    token = _writes.set(writes)
    try:
        yield
    finally:
        _writes.reset(token)


def set_transaction_mode(writes: bool) -> None:
    """For a whole request: set at its start, reset by the next request's start."""
    _writes.set(writes)
