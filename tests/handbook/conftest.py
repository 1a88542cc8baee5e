"""Fixtures for the handbook: the outline from content/, its people, and a form poster."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from gmgportal.core.permissions import Role

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def handbook(db):
    """Agencies, the programme and the handbook loaded from content/."""
    from gmgportal.core.content import load_content
    from gmgportal.handbook.queries import get_handbook

    load_content(CONTENT_DIR)
    db.session.commit()
    return get_handbook()


@pytest.fixture
def chapter_by_number(db, handbook):
    from gmgportal.handbook.models import Chapter

    def find(number: int) -> Chapter:
        return db.session.scalar(sa.select(Chapter).where(Chapter.number == number))

    return find


@pytest.fixture
def surveys(chapter_by_number):
    """Chapter 3, Household surveys: World Bank leads, ILO and UNICEF contribute, IOM has no part."""
    return chapter_by_number(3)


@pytest.fixture
def people(make_user, handbook):
    return {
        "wb": make_user("author.wb@example.org", agency="World Bank", name="Wanda Bank"),
        "wb2": make_user("second.wb@example.org", agency="World Bank", name="Walter Second"),
        "ilo": make_user("focal.ilo@example.org", agency="ILO", name="Ines Labour"),
        "iom": make_user("focal.iom@example.org", agency="IOM", name="Ivo Migration"),
        "editor": make_user("editor@example.org", roles=(Role.HANDBOOK_EDITOR,), agency="UN/DESA", name="Edith Editor"),
        "chair": make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Chaim Chair"),
        "reviewer": make_user("reviewer@example.org", roles=(Role.REVIEWER,), agency="OECD", name="Rita Reviewer"),
    }


@pytest.fixture
def post_form(client, auth):
    """POST a form on `page` to `action` (default: the page) with a fresh CSRF token from `page`."""

    def post(page: str, data: dict, action: str | None = None, follow: bool = False):
        html = client.get(page).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {page}"
        return client.post(action or page, data={**data, "csrf_token": match.group(1)}, follow_redirects=follow)

    return post


@pytest.fixture
def mail_outbox(app):
    return app.extensions.setdefault("mail_outbox", [])


SAMPLE_TEXT = """## Introduction

Household surveys are the main source on return migration.

## Sources and methods

Labour force surveys carry a migration module in many countries.

- Country of birth
- Year of arrival

| Survey | Countries |
|---|---|
| LFS | 40 |
"""
