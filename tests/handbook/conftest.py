"""Fixtures for the handbook: the outline from content/, its people, and a form poster."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from gmgportal.core.permissions import Role
from tests.conftest import CONTENT_DIR


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


# --- Word files and outside addresses (the DOCX import and images tests) ---------------------

SOURCE = """# Introduction

Household surveys count return migrants.[^1]

## Modules

- Labour force surveys
    - with a migration module
    - without one
- Living standards surveys

| Survey | Countries |
|---|---|
| LFS | 40 |

![A red box](red.png)

[^1]: Counted since the 2000 round.
"""


@pytest.fixture
def make_docx(tmp_path):
    """A DOCX written by pandoc from Markdown, with a small PNG next to it."""
    import pypandoc
    from PIL import Image

    def make(markdown: str = SOURCE) -> bytes:
        Image.new("RGB", (20, 10), (200, 0, 0)).save(tmp_path / "red.png")
        (tmp_path / "in.md").write_text(markdown)
        out = tmp_path / "out.docx"
        pypandoc.convert_file(str(tmp_path / "in.md"), "docx", outputfile=str(out),
                              extra_args=[f"--resource-path={tmp_path}"])
        return out.read_bytes()

    return make


def upload_docx(client, auth, chapter, data: bytes, name: str = "chapter.docx", note: str = "", extra: dict | None = None):
    path = f"/handbook/chapters/{chapter.id}/upload"
    token = auth.csrf_token(path)
    response = client.post(path, data={"file": (io.BytesIO(data), name), "note": note, "csrf_token": token,
                                       **(extra or {})}, content_type="multipart/form-data")
    # The test client spools a large body to a temporary file; close it whether or not the view read it.
    response.request.environ["wsgi.input"].close()
    return response


@pytest.fixture
def outside_server():
    """A server on 127.0.0.1 that answers 404 and records every path asked of it (`.port`, `.hits`):
    what must never be fetched points at it."""
    import http.server
    import threading
    from types import SimpleNamespace

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield SimpleNamespace(port=server.server_port, hits=hits)
    finally:
        server.shutdown()
        server.server_close()
