"""Who a user id is, for parts that must not import the accounts feature (jobs, core).

The accounts feature registers a `UserLookup` on the app; infrastructure keeps
plain user ids (a foreign key by table name) and asks the lookup for names and
e-mail addresses when it shows them, or for the user of an e-mail address when
a command acts for someone:

    cards = user_cards({job.started_by_id for job in jobs})   # one query for a page
    cards[job.started_by_id].name
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Collection, Optional

from flask import Flask, current_app

EXTENSION_KEY = "gmg_user_lookup"


@dataclass(frozen=True)
class UserCard:
    id: int
    name: str
    email: str
    agency: str = ""  # the agency's code

    @property
    def name_and_agency(self) -> str:
        return f"{self.name} ({self.agency})" if self.agency else self.name


@dataclass(frozen=True)
class UserLookup:
    cards: Callable[[Collection[int]], dict[int, UserCard]]  # the users of these ids (those that exist)
    by_email: Callable[[str], Optional[Any]]  # the user object (what `current_user` is), or None


def register_user_lookup(app: Flask, lookup: UserLookup) -> None:
    app.extensions[EXTENSION_KEY] = lookup


def _lookup() -> UserLookup:
    lookup = current_app.extensions.get(EXTENSION_KEY)
    if lookup is None:
        raise RuntimeError("No user lookup is registered on this app (the accounts feature registers one).")
    return lookup


def user_cards(ids: Collection[Optional[int]]) -> dict[int, UserCard]:
    """Name, e-mail and agency of each existing user among `ids` (None and unknown ids are left out)."""
    wanted = {i for i in ids if i is not None}
    return _lookup().cards(wanted) if wanted else {}


def user_card(user_id: Optional[int]) -> Optional[UserCard]:
    return user_cards({user_id}).get(user_id) if user_id is not None else None


def find_user_by_email(email: str) -> Optional[Any]:
    return _lookup().by_email(email)
