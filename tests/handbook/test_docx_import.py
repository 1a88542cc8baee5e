"""Word in: a DOCX becomes a version in Markdown; what is not a sound DOCX is refused whole."""
from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa

from gmgportal.core.attachments import StoredFile
from gmgportal.handbook.models import ChapterImage, ChapterVersion
from tests.conftest import zip_parts
from tests.handbook.conftest import upload_docx

@pytest.fixture
def app_config(app_config):
    return type("HandbookUploadConfig", (app_config,), {"MAX_UPLOAD_MB": 1, "MAX_CONTENT_LENGTH": 3 * 1024 * 1024})


def _versions(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(ChapterVersion))


def test_a_docx_becomes_a_version_with_headings_lists_tables_footnotes_and_images(
        db, surveys, people, auth, client, make_docx):
    auth.login("author.wb@example.org")
    response = upload_docx(client, auth, surveys, make_docx(), note="Draft from Word")
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
    response = upload_docx(client, auth, surveys, data, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and words in html and "There is a problem" in html
    assert _versions(db) == 0


def test_a_damaged_package_is_refused_whole(db, surveys, people, auth, client, make_docx):
    auth.login("author.wb@example.org")
    good = make_docx()
    truncated = good[: len(good) * 2 // 3]
    response = upload_docx(client, auth, surveys, truncated, "cut.docx")
    assert response.status_code == 400 and "is damaged" in response.get_data(as_text=True)
    corrupt = bytearray(good)
    start = good.index(b"word/document.xml") + 60  # inside the compressed document part
    corrupt[start:start + 40] = b"\x00" * 40
    response = upload_docx(client, auth, surveys, bytes(corrupt), "corrupt.docx")
    assert response.status_code == 400 and "damaged" in response.get_data(as_text=True)
    assert _versions(db) == 0 and db.session.scalar(sa.select(sa.func.count()).select_from(ChapterImage)) == 0


def test_a_package_without_a_document_or_unpacking_to_far_more_is_refused(db, surveys, people, auth, client):
    auth.login("author.wb@example.org")
    not_word = zip_parts({"[Content_Types].xml": b"<Types/>", "word/other.xml": b"<x/>"})
    response = upload_docx(client, auth, surveys, not_word, "odd.docx")
    assert response.status_code == 400 and "not a complete Word document" in response.get_data(as_text=True)
    bomb = zip_parts({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                      "word/media/huge.bin": b"\0" * (40 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    response = upload_docx(client, auth, surveys, bomb, "bomb.docx")
    assert response.status_code == 400 and "zip bomb" in response.get_data(as_text=True)
    assert _versions(db) == 0


def test_a_file_over_the_size_limit_is_refused(db, surveys, people, auth, client):
    auth.login("author.wb@example.org")
    big = zip_parts({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                     "word/media/noise.bin": __import__("os").urandom(int(1.2 * 1024 * 1024))})
    response = upload_docx(client, auth, surveys, big, "big.docx")
    assert response.status_code in (400, 413) and "larger than 1 MB" in response.get_data(as_text=True)
    assert _versions(db) == 0


def test_an_image_linked_to_an_outside_address_is_never_fetched(db, surveys, people, auth, client, make_docx,
                                                                 outside_server):
    source = zipfile.ZipFile(io.BytesIO(make_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"r:embed=", b"r:link=")
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b'Target="media/', f'TargetMode="External" Target="http://127.0.0.1:'
                                                      f'{outside_server.port}/tracker/'.encode())
            if not info.filename.startswith("word/media/"):
                out.writestr(info, data)
    auth.login("author.wb@example.org")
    response = upload_docx(client, auth, surveys, buffer.getvalue(), "linked.docx")
    assert response.status_code == 302
    assert outside_server.hits == []
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
