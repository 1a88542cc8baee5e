"""Files are stored by content hash after size and content-type checks."""
from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa

from gmgportal.core.attachments import (StoredFile, UploadRefused, allowed_kinds_hint, detect_kind, store_bytes,
                                        storage_root)
from tests.conftest import zip_parts

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _docx() -> bytes:
    return _package({"word/document.xml": "<w:document/>"}, zipfile.ZIP_STORED)


def _xlsx() -> bytes:
    return _package({"xl/workbook.xml": "<workbook/>"}, zipfile.ZIP_STORED)


@pytest.mark.parametrize("data,kind", [
    (PDF, "pdf"), (PNG, "png"), (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "jpeg"),
    (b"country,year,share\nMexico,2010,50\n", "csv"),
])
def test_kinds_are_detected_from_content(data, kind):
    assert detect_kind(data) == kind


def test_office_files_are_told_apart():
    assert detect_kind(_docx()) == "docx"
    assert detect_kind(_xlsx()) == "xlsx"


def test_a_file_is_stored_under_its_sha256(db, app):
    stored = store_bytes(PDF, "report.pdf", ["pdf"])
    db.session.commit()
    assert stored.path.read_bytes() == PDF
    assert stored.path.name == stored.sha256 and len(stored.sha256) == 64
    assert stored.kind == "pdf" and stored.mime_type == "application/pdf" and stored.size == len(PDF)


def test_the_same_file_twice_is_stored_once(db):
    first = store_bytes(PDF, "a.pdf", ["pdf"])
    db.session.commit()
    second = store_bytes(PDF, "b.pdf", ["pdf"])
    db.session.commit()
    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 1


@pytest.mark.parametrize("data,name,message", [
    (b"MZ\x90\x00" + b"\x00" * 100, "tool.exe", "is not a file type we accept"),
    (b"just some text pretending", "fake.pdf", "is named like a PDF file but its content is not one"),
    (PNG, "picture.pdf", "is named like a PDF file but its content is not one"),
    (PDF, "report.docx", "is named like a DOCX file but its content is not one"),
    (b"", "empty.pdf", "The file is empty."),
])
def test_refused_files_leave_nothing_behind(db, data, name, message):
    with pytest.raises(UploadRefused, match=message):
        store_bytes(data, name, ["pdf", "docx", "png"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    root = storage_root()
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_too_large_file_is_refused_before_it_is_kept(db):
    with pytest.raises(UploadRefused, match="larger than 1 KB"):
        store_bytes(PDF + b"0" * 2048, "big.pdf", ["pdf"], max_bytes=1024)
    root = storage_root()
    assert not [p for p in root.rglob("*") if p.is_file()]


def test_hint_lists_kinds_and_limit():
    assert allowed_kinds_hint(["pdf", "docx", "xlsx"], 20 * 1024 * 1024) == "PDF, DOCX or XLSX, up to 20 MB"


def test_sizes_round_up_so_a_file_over_a_limit_never_reads_as_equal():
    from gmgportal.core.attachments import human_size

    assert human_size(20 * 1024 * 1024) == "20 MB"
    assert human_size(1024 * 1024 + 10) == "1.1 MB"
    assert human_size(int(20.2 * 1024 * 1024)) == "21 MB"
    assert human_size(1500) == "2 KB" and human_size(800) == "800 bytes"


# --- DOCX and XLSX packages: zip bombs and damaged packages ---------------------

def _package(parts: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An Office package: [Content_Types].xml, then these parts."""
    return zip_parts({"[Content_Types].xml": "<Types/>", **parts}, compression)


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """The package with `name`'s uncompressed size in the central directory changed to `size` (nothing inflated)."""
    raw = bytearray(data)
    start = raw.index(b"PK\x01\x02")
    while True:
        name_length = int.from_bytes(raw[start + 28:start + 30], "little")
        if raw[start + 46:start + 46 + name_length].decode() == name:
            raw[start + 24:start + 28] = size.to_bytes(4, "little")
            return bytes(raw)
        start = raw.index(b"PK\x01\x02", start + 4)


def _stored_files(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile))


def test_a_docx_declaring_a_2_gb_part_is_refused_without_inflating_it(db):
    bomb = _declare_size(_package({"word/document.xml": b"<w:document/>"}), "word/document.xml", 2**31 - 1)
    assert len(bomb) < 1024 and detect_kind(bomb) == "docx"
    with pytest.raises(UploadRefused, match="would unpack to 2.1 GB; at most 200 MB is accepted"):
        store_bytes(bomb, "report.docx", ["docx"])
    assert _stored_files(db) == 0


def test_a_docx_holding_50_mb_of_zeros_compressed_is_refused_by_its_ratio(db):
    bomb = _package({"word/document.xml": b"<w:document/>", "word/media/zeros.bin": bytes(50 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    with pytest.raises(UploadRefused, match=r"compressed 1,0\d\d to 1, which no real document is"):
        store_bytes(bomb, "report.docx", ["docx"])
    assert _stored_files(db) == 0


def test_an_xlsx_with_too_many_parts_is_refused(db):
    many = _package({"xl/workbook.xml": b"<workbook/>", **{f"xl/worksheets/s{i}.xml": b"" for i in range(2001)}},
                    zipfile.ZIP_STORED)
    with pytest.raises(UploadRefused, match="holds 2,003 parts; at most 2,000 are accepted"):
        store_bytes(many, "data.xlsx", ["xlsx"])


def test_a_damaged_docx_is_refused_with_a_clear_message(db):
    whole = _package({"word/document.xml": b"<w:document/>" * 50})
    cut = whole[: whole.index(b"PK\x01\x02")]  # no central directory
    assert detect_kind(cut) == "docx"
    with pytest.raises(UploadRefused, match="The DOCX file is damaged: .*save it again"):
        store_bytes(cut, "report.docx", ["docx"])
    assert _stored_files(db) == 0


def test_a_package_without_content_types_is_damaged():
    from gmgportal.core.attachments import check_office_package

    no_types = zip_parts({"word/document.xml": "<w:document/>"}, zipfile.ZIP_STORED)
    with pytest.raises(UploadRefused, match="The DOCX file is damaged"):
        check_office_package(io.BytesIO(no_types), "docx")


def test_reading_a_part_stops_when_it_grows_past_its_declared_size():
    from gmgportal.core.attachments import check_office_package, read_package_entry

    liar = _declare_size(_package({"word/document.xml": b"<w:p/>" * 10_000}), "word/document.xml", 100)
    package = check_office_package(io.BytesIO(liar), "docx")
    with pytest.raises(UploadRefused, match="damaged"):
        read_package_entry(package, "word/document.xml", 10 * 1024 * 1024, "docx")
    with pytest.raises(UploadRefused, match="larger than 1 KB"):
        read_package_entry(check_office_package(io.BytesIO(_package({"word/document.xml": b"x" * 5000})), "docx"),
                           "word/document.xml", 1024, "docx")


def test_ordinary_office_files_pass_the_package_check(db):
    assert store_bytes(_docx(), "report.docx", ["docx"]).kind == "docx"
    assert store_bytes(_xlsx(), "data.xlsx", ["xlsx"]).kind == "xlsx"
