import sqlalchemy as sa

from gmgportal.core.attachments import StoredFile
from gmgportal.core.audit import AuditEvent
from gmgportal.programme.models import ProgressAttachment, ProgressUpdate, Status
from tests.programme.conftest import PDF_BYTES


def update_count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate))


def stored_files(app):
    from pathlib import Path

    root = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_iom_focal_point_logs_progress_with_markdown_and_pdf(app, db, auth, client, people, activity_by_ref,
                                                              progress_form):
    handbook = activity_by_ref("1.2 (1)")
    auth.login("focal.iom@example.org")
    response = progress_form(handbook.id, files=[("concept-note.pdf", PDF_BYTES)], status="at_risk",
                             evidence_links="https://www.un.org/en/development/desa/population/migration/")
    assert response.status_code == 302
    update = db.session.scalar(sa.select(ProgressUpdate))
    assert (update.status, update.percent_complete, update.agency.code) == (Status.AT_RISK, 40, "IOM")
    assert update.evidence_links == ["https://www.un.org/en/development/desa/population/migration/"]
    db.session.refresh(handbook)
    assert handbook.status == Status.AT_RISK and handbook.percent_complete == 40
    page = client.get(f"/programme/activities/{handbook.id}").get_data(as_text=True)
    assert "<strong>concept note</strong>" in page and "concept-note.pdf" in page
    assert "Progress on 1.2 (1) saved." in page
    attachment = db.session.scalar(sa.select(ProgressAttachment))
    assert len(attachment.stored_file.sha256) == 64 and attachment.stored_file.path.name == attachment.stored_file.sha256
    with client.get(f"/programme/attachments/{attachment.id}") as download:
        assert download.status_code == 200 and download.data == PDF_BYTES
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["Content-Type"] == "application/pdf"


def test_unicef_focal_point_cannot_log_progress_where_unicef_is_neither_lead_nor_partner(
        db, auth, client, people, activity_by_ref, progress_form):
    bpm6 = activity_by_ref("1.3 (2)")
    assert people["unicef"].agency_id not in bpm6.agency_ids
    auth.login("focal.unicef@example.org")
    assert client.get(f"/programme/activities/{bpm6.id}/updates/new").status_code == 403
    assert progress_form(bpm6.id).status_code == 403
    assert update_count(db) == 0
    assert "Log progress" not in client.get(f"/programme/activities/{bpm6.id}").get_data(as_text=True)


def test_unicef_focal_point_can_log_progress_on_the_activity_unicef_leads(db, auth, people, activity_by_ref,
                                                                         progress_form):
    auth.login("focal.unicef@example.org")
    assert progress_form(activity_by_ref("1.3 (1)").id).status_code == 302
    assert update_count(db) == 1


def test_focal_point_cannot_edit_another_persons_update(db, auth, client, people, activity_by_ref, progress_form):
    handbook = activity_by_ref("1.2 (1)")
    auth.login("focal.iom@example.org")
    progress_form(handbook.id)
    update = db.session.scalar(sa.select(ProgressUpdate))
    auth.logout()
    auth.login("second.iom@example.org")
    path = f"/programme/updates/{update.id}/edit"
    assert client.get(path).status_code == 403
    assert client.post(path, data={"csrf_token": auth.csrf_token("/account"), "narrative": "Hijacked",
                                   "as_of": "2014-05-13", "status": "delayed", "percent_complete": "1"}).status_code == 403
    db.session.refresh(update)
    assert update.narrative == "The **concept note** was circulated."
    assert "Correct this update" not in client.get(f"/programme/activities/{handbook.id}").get_data(as_text=True)


def test_author_corrects_an_update_and_the_earlier_text_stays_in_the_audit_log(db, auth, client, people,
                                                                               activity_by_ref, progress_form):
    handbook = activity_by_ref("1.2 (1)")
    auth.login("focal.iom@example.org")
    progress_form(handbook.id, narrative="First version.")
    update = db.session.scalar(sa.select(ProgressUpdate))
    assert "Correct this update" in client.get(f"/programme/activities/{handbook.id}").get_data(as_text=True)
    response = progress_form(handbook.id, path=f"/programme/updates/{update.id}/edit", narrative="Corrected version.")
    assert response.status_code == 302
    db.session.refresh(update)
    assert update.narrative == "Corrected version." and update_count(db) == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "ProgressUpdate",
                                                          AuditEvent.action == "update"))
    assert event.changes["narrative"] == {"before": "First version.", "after": "Corrected version."}
    assert event.actor_label == "focal.iom@example.org"


def test_percent_over_100_and_a_badly_formatted_date_are_form_errors_that_keep_what_was_typed(
        db, auth, people, activity_by_ref, progress_form):
    auth.login("focal.iom@example.org")
    response = progress_form(activity_by_ref("1.2 (1)").id, percent_complete="101", as_of="13/05/2014",
                             narrative="Kept *text*", evidence_links="ftp://example.org/file")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Enter a whole number from 0 to 100." in html and 'value="101"' in html
    assert "Enter the date as year-month-day" in html and 'value="13/05/2014"' in html
    assert "Kept *text*" in html and "ftp://example.org/file" in html
    assert "Enter web addresses starting with http:// or https://" in html
    assert update_count(db) == 0


def test_preview_renders_the_markdown_and_saves_nothing(db, auth, people, activity_by_ref, progress_form):
    auth.login("focal.iom@example.org")
    response = progress_form(activity_by_ref("1.2 (1)").id, narrative="**Bold** <script>alert(1)</script>",
                             preview="Preview")
    html = response.get_data(as_text=True)
    assert "<strong>Bold</strong>" in html and "<script>alert(1)" not in html
    assert "**Bold**" in html  # the text is still in the box
    assert update_count(db) == 0


def test_attachment_over_the_size_limit_is_refused_with_413_and_nothing_is_stored(
        app, db, auth, people, activity_by_ref, progress_form):
    auth.login("focal.iom@example.org")
    big = PDF_BYTES + b"0" * (1024 * 1024 + 10)  # over MAX_UPLOAD_MB=1, under the request limit
    response = progress_form(activity_by_ref("1.2 (1)").id, files=[("report.pdf", big)], narrative="Kept")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "attachments can be at most 1 MB" in html and "Kept" in html
    assert update_count(db) == 0 and stored_files(app) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_request_over_the_request_limit_gets_a_clear_413_page(app, db, auth, people, activity_by_ref, progress_form):
    auth.login("focal.iom@example.org")
    huge = PDF_BYTES + b"0" * (3 * 1024 * 1024)
    response = progress_form(activity_by_ref("1.2 (1)").id, files=[("huge.pdf", huge)])
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "each attachment can be at most 1 MB" in html and "Nothing was saved" in html
    assert update_count(db) == 0 and stored_files(app) == []


def test_refused_file_type_and_fake_pdf_are_refused_with_a_reason_and_nothing_is_stored(
        app, db, auth, people, activity_by_ref, progress_form):
    auth.login("focal.iom@example.org")
    handbook = activity_by_ref("1.2 (1)")
    exe = progress_form(handbook.id, files=[("tool.exe", b"MZ\x90\x00" + b"\x00" * 200)])
    assert exe.status_code == 422 and "is not a file type we accept" in exe.get_data(as_text=True)
    fake = progress_form(handbook.id, files=[("report.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)])
    assert fake.status_code == 422
    assert "is named like a PDF file but its content is not one" in fake.get_data(as_text=True)
    # a good file followed by a bad one: the good one is not kept either
    mixed = progress_form(handbook.id, files=[("ok.pdf", PDF_BYTES), ("bad.pdf", b"GIF89a" + b"\x00" * 50)])
    assert mixed.status_code == 422
    assert update_count(db) == 0 and stored_files(app) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_reviewer_cannot_change_the_programme(db, auth, client, people, twg1, activity_by_ref):
    auth.login("reviewer@example.org")
    handbook = activity_by_ref("1.2 (1)")
    token = auth.csrf_token("/account")
    for path in ("/programme/twg1/outputs/new", "/programme/twg1/activities/new",
                 f"/programme/twg1/activities/{handbook.id}/edit", f"/programme/activities/{handbook.id}/milestones/new",
                 "/programme/twg1/findings/new", f"/programme/activities/{handbook.id}/updates/new"):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={"csrf_token": token, "code": "9.9", "title": "x"}).status_code == 403, path
    html = client.get("/programme/twg1/").get_data(as_text=True)
    assert "Add an activity" not in html
    assert client.get(f"/programme/activities/{handbook.id}").status_code == 200  # reading is fine


def test_anonymous_visitors_are_sent_to_login(client, twg1):
    response = client.get("/programme/twg1/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
