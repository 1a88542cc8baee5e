"""Word in: a DOCX becomes a version in Markdown; what is not a sound DOCX is refused whole."""
from __future__ import annotations

import http.server
import io
import threading
import zipfile

import pytest
import sqlalchemy as sa

from gmgportal.core.attachments import StoredFile
from gmgportal.handbook.models import ChapterImage, ChapterVersion

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
def app_config(app_config):
    return type("HandbookUploadConfig", (app_config,), {"MAX_UPLOAD_MB": 1, "MAX_CONTENT_LENGTH": 3 * 1024 * 1024})


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


def _upload(client, auth, chapter, data: bytes, name: str = "chapter.docx", note: str = "", extra: dict | None = None):
    path = f"/handbook/chapters/{chapter.id}/upload"
    token = auth.csrf_token(path)
    response = client.post(path, data={"file": (io.BytesIO(data), name), "note": note, "csrf_token": token,
                                       **(extra or {})}, content_type="multipart/form-data")
    # The test client spools a large body to a temporary file; close it whether or not the view read it.
    response.request.environ["wsgi.input"].close()
    return response


def _versions(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(ChapterVersion))


def test_a_docx_becomes_a_version_with_headings_lists_tables_footnotes_and_images(
        db, surveys, people, auth, client, make_docx):
    auth.login("author.wb@example.org")
    response = _upload(client, auth, surveys, make_docx(), note="Draft from Word")
    assert response.status_code == 302, response.get_data(as_text=True)
    version = db.session.scalar(sa.select(ChapterVersion))
    text = version.text
    assert version.source == "docx" and version.note == "Draft from Word" and version.number == 1
    assert "## Introduction" in text and "### Modules" in text  # Word's Heading 1 is a section
    assert "- Labour force surveys\n  - with a migration module" in text
    assert "| LFS" in text and "[^1]" in text and "[^1]: Counted since the 2000 round." in text
    image = db.session.scalar(sa.select(ChapterImage))
    assert f"![A red box](/handbook/images/{image.id})" in text
    assert image.stored_file.kind == "png" and image.stored_file.path.exists()
    with client.get(f"/handbook/images/{image.id}") as response:
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert "From a Word file" in html and "<h3>Modules</h3>" in html and "Images in this version" in html


@pytest.mark.parametrize("name, data, words", [
    ("notes.docx", b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n", "named like a DOCX file but its content is not one"),
    ("notes.txt", b"Just some text, not a Word file.\n", "not a file type we accept"),
    ("empty.docx", b"", "empty"),
])
def test_what_is_not_a_docx_is_refused_with_a_clear_message(db, surveys, people, auth, client, name, data, words):
    auth.login("author.wb@example.org")
    response = _upload(client, auth, surveys, data, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and words in html and "There is a problem" in html
    assert _versions(db) == 0


def test_a_damaged_package_is_refused_whole(db, surveys, people, auth, client, make_docx):
    auth.login("author.wb@example.org")
    good = make_docx()
    truncated = good[: len(good) * 2 // 3]
    response = _upload(client, auth, surveys, truncated, "cut.docx")
    assert response.status_code == 400 and "is damaged" in response.get_data(as_text=True)
    corrupt = bytearray(good)
    start = good.index(b"word/document.xml") + 60  # inside the compressed document part
    corrupt[start:start + 40] = b"\x00" * 40
    response = _upload(client, auth, surveys, bytes(corrupt), "corrupt.docx")
    assert response.status_code == 400 and "damaged" in response.get_data(as_text=True)
    assert _versions(db) == 0 and db.session.scalar(sa.select(sa.func.count()).select_from(ChapterImage)) == 0


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return buffer.getvalue()


def test_a_package_without_a_document_or_unpacking_to_far_more_is_refused(db, surveys, people, auth, client):
    auth.login("author.wb@example.org")
    not_word = _zip({"[Content_Types].xml": b"<Types/>", "word/other.xml": b"<x/>"})
    response = _upload(client, auth, surveys, not_word, "odd.docx")
    assert response.status_code == 400 and "not a complete Word document" in response.get_data(as_text=True)
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                 "word/media/huge.bin": b"\0" * (40 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    response = _upload(client, auth, surveys, bomb, "bomb.docx")
    assert response.status_code == 400 and "zip bomb" in response.get_data(as_text=True)
    assert _versions(db) == 0


def test_a_file_over_the_size_limit_is_refused(db, surveys, people, auth, client):
    auth.login("author.wb@example.org")
    big = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                "word/media/noise.bin": __import__("os").urandom(int(1.2 * 1024 * 1024))})
    response = _upload(client, auth, surveys, big, "big.docx")
    assert response.status_code in (400, 413) and "larger than 1 MB" in response.get_data(as_text=True)
    assert _versions(db) == 0


def test_an_image_linked_to_an_outside_address_is_never_fetched(db, surveys, people, auth, client, make_docx):
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
        source = zipfile.ZipFile(io.BytesIO(make_docx()))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename == "word/document.xml":
                    data = data.replace(b"r:embed=", b"r:link=")
                if info.filename == "word/_rels/document.xml.rels":
                    data = data.replace(b'Target="media/', f'TargetMode="External" Target="http://127.0.0.1:'
                                                          f'{server.server_port}/tracker/'.encode())
                if not info.filename.startswith("word/media/"):
                    out.writestr(info, data)
        auth.login("author.wb@example.org")
        response = _upload(client, auth, surveys, buffer.getvalue(), "linked.docx")
        assert response.status_code == 302
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    version = db.session.scalar(sa.select(ChapterVersion))
    assert "tracker" not in version.text and "127.0.0.1" not in version.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_remote_image_references_left_in_the_text_are_replaced_by_a_note(db, surveys, people, tmp_path, make_docx):
    from gmgportal.handbook.docx_import import _take_images

    path = tmp_path / "x.docx"
    path.write_bytes(make_docx())
    text, images, notes = _take_images("Look: ![map](https://example.org/map.png)", path)
    assert "example.org" not in text.split("(")[0] and "not imported" in text and images == []
    assert "![" not in text and notes and "not fetched" in notes[0]


@pytest.mark.parametrize("who", ["reviewer", "iom", "editor"])
def test_only_the_chapter_s_agencies_upload(db, surveys, people, auth, client, make_docx, who):
    auth.login(people[who].email)
    assert client.get(f"/handbook/chapters/{surveys.id}/upload").status_code == 403
    token = auth.csrf_token("/account")
    response = client.post(f"/handbook/chapters/{surveys.id}/upload", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(make_docx()), "c.docx"), "csrf_token": token})
    assert response.status_code == 403 and _versions(db) == 0
