"""Model mixins and column helpers shared by every feature."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from gmgportal.extensions import db


def utcnow() -> datetime:
    """The clock's now (column defaults call it): see core/clock.py."""
    from gmgportal.core.clock import now

    return now()


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    SQLite stores no zone; this type stores naive UTC and hands back aware UTC,
    so comparisons and arithmetic behave the same on SQLite and PostgreSQL.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class LabelledEnum(str, enum.Enum):
    """A string enum stored by value, with a label for people ("on_track" -> "On track")."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def enum_type(enum_class: type[enum.Enum], length: int = 30) -> sa.Enum:
    """Stored as its values in a VARCHAR on every database (no native ENUM to migrate)."""
    return sa.Enum(enum_class, native_enum=False, length=length,
                   values_callable=lambda members: [m.value for m in members])


def link_table(name: str, left: tuple[str, str], right: tuple[str, str]) -> sa.Table:
    """A many-to-many association table: `left` and `right` are (column, "table.id") pairs; the two
    foreign keys (deleting either row deletes the link) make the primary key, and the right one has its
    own index for lookups from that side (the key's index serves the left)."""
    (left_column, left_target), (right_column, right_target) = left, right
    return sa.Table(
        name,
        db.metadata,
        sa.Column(left_column, sa.ForeignKey(left_target, ondelete="CASCADE"), primary_key=True),
        sa.Column(right_column, sa.ForeignKey(right_target, ondelete="CASCADE"), primary_key=True, index=True),
    )
