"""The audit log: who changed what, when, with the fields before and after.

Models opt in with `Auditable`. A flush listener writes one `AuditEvent` per
created, updated or deleted object in the same transaction as the change, so
a rolled-back change leaves no audit row and a committed one always has one.
Events that are not model changes (logins) go through `record_event`.
"""
from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any, Callable, Optional

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column

from gmgportal.core.clock import end_of_day, start_of_day
from gmgportal.core.models import UTCDateTime, utcnow
from gmgportal.extensions import db

REDACTED = "[redacted]"

# Returns (user id, label) of whoever is acting now, or (None, "system").
ActorLoader = Callable[[], tuple[Optional[int], str]]
_actor_loader: ActorLoader = lambda: (None, "system")  # noqa: E731


def set_actor_loader(loader: ActorLoader) -> None:
    global _actor_loader
    _actor_loader = loader


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(sa.String(255))
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(60), default="", index=True)
    object_id: Mapped[str] = mapped_column(sa.String(60), default="")
    object_label: Mapped[str] = mapped_column(sa.String(255), default="")
    changes: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    ip_address: Mapped[str] = mapped_column(sa.String(64), default="")


class Auditable:
    """Mixin: changes to this model are written to the audit log."""

    # Columns whose values never appear in the log (only that they changed).
    __audit_redact__: frozenset[str] = frozenset()
    # Columns not worth logging at all (bookkeeping timestamps).
    __audit_ignore__: frozenset[str] = frozenset({"created_at", "updated_at"})

    def audit_label(self) -> str:
        return str(getattr(self, "name", None) or getattr(self, "title", None) or self)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _column_changes(obj: Auditable, action: str) -> dict[str, dict[str, Any]]:
    state = inspect(obj)
    changes: dict[str, dict[str, Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in obj.__audit_ignore__:
            continue
        history = state.attrs[key].history
        if action == "create":
            before, after = None, state.attrs[key].value
            if after is None:
                continue
        elif action == "delete":
            before, after = state.attrs[key].value, None
        else:
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before == after:
                continue
        if key in obj.__audit_redact__:
            before, after = (REDACTED if before is not None else None), (
                REDACTED if after is not None else None
            )
        changes[key] = {"before": _jsonable(before), "after": _jsonable(after)}
    return changes


def _request_ip() -> str:
    if has_request_context():
        return (request.remote_addr or "")[:64]
    return ""


def _event_row(action: str, obj: Any | None, changes: dict | None, **extra: Any) -> dict:
    actor_id, actor_label = _actor_loader()
    row = {
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_label": actor_label[:255],
        "action": action,
        "object_type": type(obj).__name__ if obj is not None else "",
        "object_id": _object_id(obj),
        "object_label": (obj.audit_label() if obj is not None else "")[:255],
        "changes": changes,
        "ip_address": _request_ip(),
    }
    row.update(extra)
    return row


def _object_id(obj: Any | None) -> str:
    if obj is None:
        return ""
    # The primary key from the instance: in after_flush new objects have their
    # id but not yet an identity key.
    state = inspect(obj)
    key = state.mapper.primary_key_from_instance(obj)
    return ",".join(str(part) for part in key if part is not None)


def _noop_set(target, value, oldvalue, initiator):
    return value


@event.listens_for(Mapper, "mapper_configured")
def _load_old_values_on_change(mapper: Mapper, class_: type) -> None:
    """Audited columns load their old value before a change (after a commit
    the attribute is expired, and SQLAlchemy would not know what it was)."""
    if not issubclass(class_, Auditable):
        return
    for attr in mapper.column_attrs:
        if attr.key not in class_.__audit_ignore__:
            event.listen(getattr(class_, attr.key), "set", _noop_set, active_history=True, retval=True)


@event.listens_for(Session, "after_flush")
def _write_audit_rows(session: Session, flush_context: Any) -> None:
    rows = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, Auditable):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _column_changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(_event_row(action, obj, changes))
    if rows:
        session.connection().execute(sa.insert(AuditEvent.__table__), rows)


def record_event(action: str, obj: Any | None = None, changes: dict | None = None,
                 actor: tuple[Optional[int], str] | None = None) -> None:
    """Add an event that is not a model change (a login, an export) to the session."""
    row = _event_row(action, obj, _jsonable(changes) if changes else None)
    if actor is not None:
        row["actor_id"], row["actor_label"] = actor[0], actor[1][:255]
    db.session.execute(sa.insert(AuditEvent.__table__), [row])


def audit_query(*, action: str | None = None, object_type: str | None = None, actor: str | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None) -> sa.Select:
    """Audit events matching the filters, newest first."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if actor:
        query = query.where(AuditEvent.actor_label.ilike(f"%{actor.strip()}%"))
    if date_from:
        query = query.where(AuditEvent.at >= start_of_day(date_from))
    if date_to:
        query = query.where(AuditEvent.at < end_of_day(date_to))
    return query


def audit_filter_choices() -> tuple[list[str], list[str]]:
    """The actions and object types present in the log, for the filter form."""
    actions = db.session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    types = db.session.scalars(
        sa.select(AuditEvent.object_type).where(AuditEvent.object_type != "").distinct().order_by(AuditEvent.object_type)
    )
    return list(actions), list(types)
