"""Word in, over a second: a large file is converted by a job with progress; small ones stay in the request."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from gmgportal.core.attachments import StoredFile
from gmgportal.core.uow import unit_of_work
from gmgportal.handbook import docx_import, services
from gmgportal.handbook.models import ChapterImage, ChapterStatus as S, ChapterVersion
from gmgportal.jobs import run_job_inline
from gmgportal.jobs.models import Job, JobState

from tests.conftest import zip_parts
from tests.handbook.conftest import SOURCE, upload_docx

JOB_BYTES = 20 * 1024  # of word/document.xml: SOURCE stays under it, LONG goes over
LONG = SOURCE + "\n\n".join(f"Paragraph {i} on household surveys, censuses and registers of migrants, "
                            f"counted by country of birth and citizenship." for i in range(400))


@pytest.fixture
def app_config(app_config):
    return type("HandbookJobConfig", (app_config,), {"HANDBOOK_DOCX_JOB_BYTES": JOB_BYTES, "MAX_UPLOAD_MB": 1,
                                                     "MAX_CONTENT_LENGTH": 3 * 1024 * 1024})


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _job(db) -> Job:
    return db.session.scalar(sa.select(Job).where(Job.kind == docx_import.KIND))


def _run(job: Job) -> tuple[Job, list[str]]:
    messages: list[str] = []
    done = run_job_inline(job, listener=lambda percent, message: messages.append(message))
    return done, messages


def _document_size(data: bytes) -> int:
    return zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size


def _staged(app) -> list:
    return list((docx_import.staging_root()).glob("*.docx")) if docx_import.staging_root().exists() else []


def test_a_small_file_is_imported_in_the_request(db, surveys, people, auth, client, make_docx):
    data = make_docx()
    assert _document_size(data) < JOB_BYTES
    auth.login("author.wb@example.org")
    response = upload_docx(client, auth, surveys, data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/handbook/chapters/{surveys.id}")
    assert _count(db, ChapterVersion) == 1 and _job(db) is None


def test_a_large_file_is_converted_by_a_job_with_progress(db, app, surveys, people, auth, client, make_docx):
    data = make_docx(LONG)
    assert _document_size(data) > JOB_BYTES
    auth.login("author.wb@example.org")
    response = upload_docx(client, auth, surveys, data, note="Long draft")
    job = _job(db)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert _count(db, ChapterVersion) == 0 and len(_staged(app)) == 1  # nothing saved before the job runs
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "is being converted in the background" in page and "Import a Word file into a chapter" in page
    job, messages = _run(job)
    assert job.state is JobState.DONE, job.error
    assert "Checking the Word file" in messages and "Converting the Word file" in messages
    assert "Storing 1 image" in messages
    version = db.session.scalar(sa.select(ChapterVersion))
    assert job.message == f"Version 1 saved ({version.word_count:,} words)."
    assert version.source == "docx" and version.note == "Long draft" and "Paragraph 399" in version.text
    image = db.session.scalar(sa.select(ChapterImage))
    assert f"![A red box](/handbook/images/{image.id})" in version.text and image.stored_file.path.exists()
    assert _staged(app) == []  # the staged upload goes once the version is saved
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Version 1 saved" in page and f'href="/handbook/chapters/{surveys.id}">Go to chapter 3</a>' in page
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert f'<img src="/handbook/images/{image.id}" alt="A red box">' in html


def test_a_double_click_starts_one_job(db, surveys, people, auth, client, make_docx):
    auth.login("author.wb@example.org")
    path = f"/handbook/chapters/{surveys.id}/upload"
    html = client.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([0-9a-f]+)"', html).group(1)
    data = make_docx(LONG)
    for _ in range(2):
        response = client.post(path, content_type="multipart/form-data", data={
            "file": (io.BytesIO(data), "long.docx"), "idempotency_key": key, "based_on": "0",
            "csrf_token": auth.csrf_token(path)})
        assert response.status_code == 303
    assert _count(db, Job) == 1


def _damaged_large_docx(make_docx) -> bytes:
    """Sound package, damaged document part: only the conversion finds it."""
    good = make_docx(LONG)
    corrupt = bytearray(good)
    start = good.index(b"word/document.xml") + 60
    corrupt[start:start + 400] = b"\x00" * 400
    return bytes(corrupt)


def test_a_damaged_file_fails_the_job_with_the_in_request_message_and_writes_nothing(
        db, app, surveys, people, auth, client, make_docx, tmp_path):
    data = _damaged_large_docx(make_docx)
    path = tmp_path / "damaged.docx"
    path.write_bytes(data)
    with pytest.raises(docx_import.DocxRefused) as in_request:
        docx_import.prepare_docx(path, "damaged.docx")
    auth.login("author.wb@example.org")
    assert upload_docx(client, auth, surveys, data, "damaged.docx").status_code == 303
    job, _ = _run(_job(db))
    assert job.state is JobState.FAILED and job.error == in_request.value.message
    assert "damaged" in job.error
    assert _count(db, ChapterVersion) == 0 and _count(db, ChapterImage) == 0 and _count(db, StoredFile) == 0
    assert "The job failed" in client.get(f"/jobs/{job.id}").get_data(as_text=True)


def test_a_zip_bomb_is_refused_in_the_request_and_by_the_job(db, surveys, people, auth, client, make_docx):
    bomb = zip_parts({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>" + b" " * (JOB_BYTES * 2),
                      "word/media/huge.bin": b"\0" * (40 * 1024 * 1024)})
    auth.login("author.wb@example.org")
    response = upload_docx(client, auth, surveys, bomb, "bomb.docx")
    assert response.status_code == 400 and "zip bomb" in response.get_data(as_text=True) and _job(db) is None
    # The job checks again what it is given (a file staged by an older release, or by hand).
    with unit_of_work():
        received = _received(surveys, bomb, "bomb.docx")
        job = docx_import.start_import_job(surveys, people["wb"], received, based_on=0)
    job, _ = _run(job)
    assert job.state is JobState.FAILED and "zip bomb" in job.error
    assert _count(db, ChapterVersion) == 0 and _count(db, StoredFile) == 0


def _received(chapter, data: bytes, name: str) -> docx_import.ReceivedDocx:
    """An upload as the request hands it to the job, without the request's checks."""
    folder = docx_import.staging_root() / "test-incoming"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return docx_import.ReceivedDocx(path, name, len(data))


def test_a_version_saved_meanwhile_is_kept_and_named_in_the_new_version_s_note(
        db, surveys, people, auth, client, make_docx):
    services.save_chapter_version(surveys, people["wb"], "Version one.", "", 0)
    db.session.commit()
    auth.login("author.wb@example.org")
    page = client.get(f"/handbook/chapters/{surveys.id}/upload").get_data(as_text=True)
    assert re.search(r'name="based_on"[^>]*value="1"', page)
    assert upload_docx(client, auth, surveys, make_docx(LONG), extra={"based_on": "1"}).status_code == 303
    services.save_chapter_version(surveys, people["wb2"], "Version two, typed by a colleague meanwhile.", "", 1)
    db.session.commit()
    job, _ = _run(_job(db))
    assert job.state is JobState.DONE, job.error
    versions = {v.number: v for v in db.session.scalars(sa.select(ChapterVersion))}
    assert sorted(versions) == [1, 2, 3]
    assert versions[2].text == "Version two, typed by a colleague meanwhile."  # nothing typed is lost
    assert versions[3].source == "docx" and versions[3].based_on == 1
    assert "Version 2 was saved after this upload was started from version 1" in versions[3].note
    assert "compare them and merge" in versions[3].note
    assert job.message.startswith("Version 3 saved") and "Version 2 was saved" in job.message


def test_the_fast_path_names_a_version_saved_meanwhile_too(db, surveys, people, auth, client, make_docx):
    services.save_chapter_version(surveys, people["wb"], "Version one.", "", 0)
    services.save_chapter_version(surveys, people["wb2"], "Version two.", "", 1)
    db.session.commit()
    auth.login("author.wb@example.org")
    response = upload_docx(client, auth, surveys, make_docx(), extra={"based_on": "0"})
    assert response.status_code == 302
    version = db.session.scalar(sa.select(ChapterVersion).where(ChapterVersion.number == 3))
    assert "Versions 1 to 2 were saved after this upload was started from an empty chapter" in version.note
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Versions 1 to 2 were saved" in html


def test_the_job_refuses_a_chapter_submitted_meanwhile_and_writes_nothing(db, surveys, people, auth, client,
                                                                          make_docx):
    services.save_chapter_version(surveys, people["wb"], "Version one.", "", 0)
    db.session.commit()
    auth.login("author.wb@example.org")
    assert upload_docx(client, auth, surveys, make_docx(LONG), extra={"based_on": "1"}).status_code == 303
    services.move_chapter(surveys, people["wb2"], S.SUBMITTED)
    db.session.commit()
    job, _ = _run(_job(db))
    assert job.state is JobState.FAILED
    assert job.error == "The chapter is submitted: it cannot be changed now."
    assert _count(db, ChapterVersion) == 1 and _count(db, ChapterImage) == 0 and _count(db, StoredFile) == 0


def test_the_job_refuses_someone_who_may_not_write_the_chapter(db, surveys, people, make_docx):
    with unit_of_work():
        job = docx_import.start_import_job(surveys, people["iom"], _received(surveys, make_docx(LONG), "c.docx"))
    job, _ = _run(job)
    assert job.state is JobState.FAILED and "Only focal points of the chapter's lead" in job.error
    assert _count(db, ChapterVersion) == 0


def test_bad_parameters_fail_the_job(db, surveys, people):
    from gmgportal.jobs import start_job

    with unit_of_work():
        job = start_job(docx_import.KIND, people["wb"], {"chapter_id": surveys.id, "token": "../../etc/passwd",
                                                         "filename": "x.docx"}, enqueue=False)
    job, _ = _run(job)
    assert job.state is JobState.FAILED and "parameters are not valid" in job.error


def test_an_import_refused_while_saving_leaves_no_image_file(db, surveys, people, make_docx, tmp_path, monkeypatch):
    path = tmp_path / "c.docx"
    path.write_bytes(make_docx())
    prepared = docx_import.prepare_docx(path, "c.docx")

    def refuse(*args, **kwargs):
        raise services.StaleVersion(surveys, 0)

    monkeypatch.setattr(docx_import, "record_version", refuse)
    with pytest.raises(services.StaleVersion):
        docx_import.save_prepared(surveys, people["wb"], prepared)
    db.session.rollback()
    root = docx_import.staging_root().parent
    assert [p for p in root.rglob("*") if p.is_file() and ".handbook-imports" not in p.parts] == []
    assert _count(db, StoredFile) == 0
