"""One unit of work per request, job task and CLI command.

Services change objects and flush; they never commit. The unit of work
around them commits once at the end, or rolls everything back:

- a request: GET/HEAD/OPTIONS read (SQLite: a deferred BEGIN) and never
  commit; other methods write (BEGIN IMMEDIATE) and commit after the view
  when the response is not an error (status < 400), else roll back;
- a CLI command or a script: `with unit_of_work(): ...`;
- a job task: the runner (`gmgportal.jobs.runner`) reads while the task
  runs and applies the task's writes in the job's one final transaction.

E-mail sent inside a unit of work (`core.mail.send_mail`) leaves only after
the commit, and never after a rollback.

`attempt()` lets a view try a service call that may refuse after changing
objects: on an error the changes of that call alone are undone (a savepoint).
`conflict_as()` turns a unique-constraint error (a concurrent insert of the
same natural key) into the service's own refusal, undoing only that change.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, has_request_context, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gmgportal.core.sqlite import set_transaction_mode, transaction_mode
from gmgportal.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
E = TypeVar("E", bound=Exception)
AFTER_COMMIT = "gmg_after_commit"
log = logging.getLogger(__name__)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current unit of work has committed; dropped if it rolls back.

    For what must not happen unless the change is saved: e-mail, putting a job in the queue.
    """
    db.session().info.setdefault(AFTER_COMMIT, []).append(callback)


@sa.event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(AFTER_COMMIT, []):
        try:
            callback()
        except Exception:  # the change is saved; a failed side effect is logged, not undone
            log.exception("An after-commit action failed")


@sa.event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)


def roll_back() -> None:
    """Undo the unit of work, and drop what was to happen after its commit
    (a session that never reached the database fires no rollback event)."""
    db.session.rollback()
    db.session().info.pop(AFTER_COMMIT, None)


@contextmanager
def unit_of_work(*, writes: bool = True) -> Iterator[None]:
    """Run the block as one transaction: commit at the end (reads: end it), or roll back whole."""
    with transaction_mode(writes):
        try:
            yield
            if writes:
                db.session.commit()
            else:
                roll_back()
        except BaseException:
            roll_back()
            raise


@contextmanager
def reading() -> Iterator[None]:
    """Transactions begun inside are reads (SQLite: deferred, no write lock)."""
    with transaction_mode(False):
        yield


@contextmanager
def attempt() -> Iterator[None]:
    """Undo only this block's changes when it raises (a savepoint); the request goes on."""
    savepoint = db.session.begin_nested()
    try:
        yield
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    else:
        if savepoint.is_active:
            savepoint.commit()


def write_beside(statement: sa.Executable) -> None:
    """Run one small bookkeeping statement (a session's "last seen") even in a request that reads.

    A GET never writes in its own unit of work: there the statement runs at
    once in a short transaction of its own, on another connection. A request
    that writes anyway takes it into its unit of work (on SQLite a second
    writer would wait for the request's own write lock).
    """
    if has_request_context() and request.method not in SAFE_METHODS:
        db.session.execute(statement)
        return
    with transaction_mode(True), db.engine.begin() as connection:
        connection.execute(statement)


@contextmanager
def conflict_as(make_error: Callable[[], E]) -> Iterator[None]:
    """Make the changes that may clash with a concurrent insert inside this block.

    They reach the database in a savepoint of their own; a unique-constraint error
    there (someone saved the same natural key a moment before) undoes only them and
    becomes `make_error()`, the refusal the service's own check gives, so the request
    can still show the form and commit nothing else. Changes made before the block
    are flushed before it starts (SQLAlchemy flushes when a savepoint begins), so
    make the new object inside the block too, not just add it there.
    """
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as error:
        raise make_error() from error


def register_request_unit_of_work(app: Flask) -> None:
    @app.before_request
    def choose_transaction_mode() -> None:
        set_transaction_mode(request.method not in SAFE_METHODS)

    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        if request.method in SAFE_METHODS or response.status_code >= 400:
            roll_back()
        else:
            db.session.commit()
        return response

    @app.teardown_request
    def roll_back_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            roll_back()
        set_transaction_mode(True)
