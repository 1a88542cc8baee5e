"""Fixtures for the work programme: the TWG1 programme from content/, and its people."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from gmgportal.core.permissions import Role

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def app_config(app_config):
    """Small upload limits, so that the size refusals are quick to test."""
    return type("ProgrammeTestConfig", (app_config,), {"MAX_UPLOAD_MB": 1, "MAX_CONTENT_LENGTH": 2 * 1024 * 1024})


@pytest.fixture
def twg1(db):
    """The TWG1 programme (and the agencies) loaded from content/."""
    from gmgportal.core.content import load_content
    from gmgportal.programme.queries import get_group

    load_content(CONTENT_DIR)
    return get_group("twg1")


@pytest.fixture
def activity_by_ref(db, twg1):
    from gmgportal.programme.models import Activity

    def find(ref: str) -> Activity:
        activities = db.session.scalars(sa.select(Activity)).all()
        return next(a for a in activities if a.ref == ref)

    return find


@pytest.fixture
def people(make_user, twg1):
    """One user per role the programme cares about, by short name."""
    return {
        "iom": make_user("focal.iom@example.org", agency="IOM", name="IOM Focal Point"),
        "iom2": make_user("second.iom@example.org", agency="IOM", name="Second IOM Focal Point"),
        "unicef": make_user("focal.unicef@example.org", agency="UNICEF"),
        "chair": make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Chair"),
        "reviewer": make_user("reviewer@example.org", roles=(Role.REVIEWER,), agency="OECD"),
    }


@pytest.fixture
def progress_form(app, auth, client):
    """Posts the progress form of an activity: `post(activity, **fields)` with a fresh CSRF token."""

    def post(activity_id: int, path: str | None = None, files=None, **fields):
        path = path or f"/programme/activities/{activity_id}/updates/new"
        data = {"as_of": "2014-05-13", "status": "on_track", "percent_complete": "40",
                "narrative": "The **concept note** was circulated.", "evidence_links": "",
                "csrf_token": auth.csrf_token(path)}
        data.update(fields)
        if files:
            data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
        from flask.testing import EnvironBuilder

        builder = EnvironBuilder(app, path, method="POST", data=data, content_type="multipart/form-data")
        try:
            response = client.open(builder)
        finally:
            builder.close()
        # The test client spools a large body to a temporary file; a 413 never reads it, so close it here.
        response.request.environ["wsgi.input"].close()
        return response

    return post
