"""The accounts feature answers "who is user 7?" for parts that do not import it (jobs)."""
from __future__ import annotations

from typing import Collection

import sqlalchemy as sa
from flask import Flask

from gmgportal.auth.models import Agency, User
from gmgportal.auth.services import get_user_by_email
from gmgportal.core.users import UserCard, UserLookup, register_user_lookup
from gmgportal.extensions import db


def user_cards(ids: Collection[int]) -> dict[int, UserCard]:
    rows = db.session.execute(sa.select(User.id, User.name, User.email, Agency.code)
                              .join(Agency, Agency.id == User.agency_id).where(User.id.in_(list(ids))))
    return {row.id: UserCard(row.id, row.name, row.email, row.code) for row in rows}


def register_auth_user_lookup(app: Flask) -> None:
    register_user_lookup(app, UserLookup(cards=user_cards, by_email=get_user_by_email))
