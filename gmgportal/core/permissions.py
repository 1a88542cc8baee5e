"""Roles and permission checks, used both to refuse a request and to hide a button.

Object-level rules live next to their models as `can_*(user)` methods; the
helpers here are the shared vocabulary they are written in.
"""
from __future__ import annotations

import enum
from functools import wraps
from typing import Any, Callable, TypeVar

from flask import abort
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


class Role(str, enum.Enum):
    ADMIN = "admin"
    CHAIR = "chair"
    FOCAL_POINT = "focal_point"
    HANDBOOK_EDITOR = "handbook_editor"
    REVIEWER = "reviewer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.CHAIR: "Chair / co-chair",
    Role.FOCAL_POINT: "Agency focal point",
    Role.HANDBOOK_EDITOR: "Handbook editor",
    Role.REVIEWER: "Reviewer",
}


def has_role(user: Any, *roles: Role) -> bool:
    """True when `user` is logged in, active and holds any of `roles`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.role_set & set(roles))


def is_member(user: Any) -> bool:
    """A member of the group: logged in and holding a role. People from outside who registered
    to submit a case study hold none, and see only their own submissions."""
    return bool(getattr(user, "is_authenticated", False)) and bool(user.role_set)


def is_chair_or_admin(user: Any) -> bool:
    """Chairs and administrators see everyone's work (jobs, exports, engagement)."""
    return has_role(user, Role.CHAIR, Role.ADMIN)


def authorize(allowed: bool) -> None:
    """Refuse the request with 403 unless `allowed`."""
    if not allowed:
        abort(403)


def login_required(view: F) -> F:
    """Like Flask-Login's, but kept here so every view imports one module."""
    from flask_login import login_required as flask_login_required

    return flask_login_required(view)  # type: ignore[return-value]


def role_required(*roles: Role) -> Callable[[F], F]:
    """Refuse anonymous users with a login redirect and others without a role with 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            authorize(has_role(current_user, *roles))
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator
