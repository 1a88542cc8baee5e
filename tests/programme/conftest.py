"""Fixtures for the work programme's own tests (the TWG1 programme and its people are in tests/conftest.py)."""
from __future__ import annotations

import io

import pytest

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def app_config(app_config):
    """Small upload limits, so that the size refusals are quick to test."""
    return type("ProgrammeTestConfig", (app_config,), {"MAX_UPLOAD_MB": 1, "MAX_CONTENT_LENGTH": 2 * 1024 * 1024})


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
