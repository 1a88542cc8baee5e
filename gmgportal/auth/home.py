"""The administrator's part of the home page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from gmgportal.auth.models import Agency, AgencyKind, User, UserRole
from gmgportal.core.home import HomeItem, HomeSection, register_home_section
from gmgportal.core.permissions import Role
from gmgportal.extensions import db


def agencies_without_focal_point() -> list[Agency]:
    has_focal_point = (
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id == Agency.id, User.active.is_(True), UserRole.role == Role.FOCAL_POINT)
        .exists()
    )
    return list(db.session.scalars(
        sa.select(Agency).where(Agency.kind == AgencyKind.MEMBER, ~has_focal_point).order_by(Agency.code)
    ))


def admin_section(user) -> HomeSection | None:
    if not user.has_role(Role.ADMIN):
        return None
    items = [
        HomeItem(f"{agency.code} has no active focal point", url_for("admin.new_user"),
                 "Create an account for the agency's focal point.", tag="no_focal_point",
                 tag_text="No focal point")
        for agency in agencies_without_focal_point()
    ]
    return HomeSection("Administration", items, empty_text="Every member agency has an active focal point.",
                       action_text="Manage users", action_url=url_for("admin.users"), order=90)


def register_auth_home(app) -> None:
    register_home_section(app, admin_section)
