"""The data version: one number that every write to the database increases.

A single-row table holds it. Every flush that inserts, updates or deletes rows, and every
INSERT/UPDATE/DELETE statement run through the session, increases it in the same
transaction as the change: committed with it, rolled back with it. Every worker process
reads it from the database, so a page cached under an older version (core/pagecache.py)
is never served once a change is committed, whichever worker made it.

Reading it is one small query; GETs never write it.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from gmgportal.extensions import db

ROW_ID = 1
_BUMPING = "gmg_bumping_data_version"


class DataVersion(db.Model):
    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)


_table = DataVersion.__table__
_BUMP = _table.update().where(_table.c.id == ROW_ID).values(version=_table.c.version + 1)


_READ_SQL = f"SELECT version FROM data_version WHERE id = {ROW_ID}"


def version_column() -> sa.ScalarSelect:
    """The version as a column, for a query that runs on every request anyway (the user loader)."""
    return sa.select(_table.c.version).where(_table.c.id == ROW_ID).scalar_subquery().label("data_version")


def read_version() -> Optional[int]:
    """The current data version as this transaction sees it (None before the first write).

    Plain SQL on the session's connection (same transaction): it runs on every cached page.
    """
    return db.session.connection().exec_driver_sql(_READ_SQL).scalar()


def bump_version(connection: sa.Connection) -> None:
    if connection.execute(_BUMP).rowcount:
        return
    dialect = connection.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:  # pragma: no cover - only SQLite and PostgreSQL are supported
        connection.execute(_table.insert().values(id=ROW_ID, version=1))
        return
    connection.execute(insert(_table).values(id=ROW_ID, version=1).on_conflict_do_nothing())


@event.listens_for(Session, "after_flush")
def _bump_after_flush(session: Session, flush_context) -> None:
    # after_flush still sees the flushed objects in new, dirty and deleted.
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        bump_version(session.connection())


@event.listens_for(Session, "do_orm_execute")
def _bump_on_statement(state) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and not state.session.info.get(_BUMPING):
        state.session.info[_BUMPING] = True
        try:
            bump_version(state.session.connection())
        finally:
            state.session.info[_BUMPING] = False
