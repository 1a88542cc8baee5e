"""Agencies, users, their roles and their login sessions."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gmgportal.core.audit import Auditable
from gmgportal.core.models import LabelledEnum, TimestampMixin, UTCDateTime, enum_type, utcnow
from gmgportal.core.permissions import Role
from gmgportal.extensions import db


class AgencyKind(LabelledEnum):
    MEMBER = "member"
    COLLABORATOR = "collaborator"
    OTHER = "other"


class Agency(Auditable, TimestampMixin, db.Model):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[AgencyKind] = mapped_column(
        enum_type(AgencyKind, length=20),
        default=AgencyKind.MEMBER,
    )

    users: Mapped[list["User"]] = relationship(back_populates="agency")

    def audit_label(self) -> str:
        return self.code

    def __str__(self) -> str:
        return self.code


class User(Auditable, UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"
    __audit_redact__ = frozenset({"password_hash"})
    __audit_ignore__ = frozenset({"created_at", "updated_at", "last_login_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    agency: Mapped[Agency] = relationship(back_populates="users")
    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    sessions: Mapped[list["LoginSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # The token of the login session this object was loaded for, and its row (see LoginSession).
    session_token = None
    login_session = None
    # The data version read with it in the same statement (core/dataversion.py), or None.
    data_version = None

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_set(self) -> set[Role]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_set & set(roles))

    @property
    def role_labels(self) -> list[str]:
        return [r.label for r in Role if r in self.role_set]

    def audit_label(self) -> str:
        return self.email

    def __str__(self) -> str:
        return self.name


class UserRole(Auditable, db.Model):
    __tablename__ = "user_role"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", name="uq_user_role_user_id_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(
        enum_type(Role, length=30)
    )

    user: Mapped[User] = relationship(back_populates="roles")

    def audit_label(self) -> str:
        return f"{self.user.email if self.user else self.user_id}: {self.role.value}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LoginSession(db.Model):
    """One login on one browser. Only the token's hash is stored.

    The session cookie and the remember-me cookie carry the token; deleting
    the row (logout, password change, deactivation) makes both worthless,
    including copies an attacker may hold. The server also ends it by itself
    (`auth.services.session_ends_at`): after SESSION_IDLE_MINUTES without a
    request or SESSION_MAX_HOURS after login, or, for "keep me logged in",
    REMEMBER_COOKIE_DURATION after login. `last_seen_at` is refreshed at most
    every SESSION_TOUCH_MINUTES, so most requests write nothing.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    ip_address: Mapped[str] = mapped_column(sa.String(64), default="")

    user: Mapped[User] = relationship(back_populates="sessions")

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
