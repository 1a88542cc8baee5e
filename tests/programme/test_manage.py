import datetime as dt

import sqlalchemy as sa

from gmgportal.core.audit import AuditEvent
from gmgportal.programme.models import Activity, Finding, FindingKind, Milestone, Output


def events(db, object_type):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == object_type)
                              .order_by(AuditEvent.id)).all()


def test_chair_adds_an_output_and_an_activity_and_both_are_audited(db, auth, client, people, twg1):
    auth.login("chair@example.org")
    token = auth.csrf_token("/programme/twg1/outputs/new")
    response = client.post("/programme/twg1/outputs/new", data={
        "csrf_token": token, "code": "1.4", "title": "Remittance data improved", "description": "", "position": "3"})
    assert response.status_code == 302
    output = db.session.scalar(sa.select(Output).where(Output.code == "1.4"))
    iom = next(a for a in db.session.scalars(sa.select(sa.text("id")).select_from(sa.text("agency"))
                                             .where(sa.text("code = 'IOM'"))))
    response = client.post("/programme/twg1/activities/new", data={
        "csrf_token": token, "output_id": output.id, "number": "1", "title": "Remittance survey module",
        "description": "", "lead_agency_id": iom, "partner_ids": [iom], "start_date": "2014-06-01",
        "due_date": "2014-12-31", "status": "not_started"})
    assert response.status_code == 302
    activity = db.session.scalar(sa.select(Activity).where(Activity.output_id == output.id))
    assert activity.ref == "1.4 (1)" and activity.partners == []  # the lead is never also a partner
    assert events(db, "Output")[-1].action == "create" and events(db, "Activity")[-1].action == "create"


def test_chair_edits_an_activity_and_partner_changes_are_audited(db, auth, client, people, activity_by_ref):
    handbook = activity_by_ref("1.2 (1)")
    auth.login("chair@example.org")
    path = f"/programme/twg1/activities/{handbook.id}/edit"
    html = client.get(path).get_data(as_text=True)
    assert "Practical Guide" in html
    response = client.post(path, data={
        "csrf_token": auth.csrf_token(path), "output_id": handbook.output_id, "number": "1",
        "title": "Handbook (renamed)", "description": "", "lead_agency_id": handbook.lead_agency_id,
        "partner_ids": [people["iom"].agency_id], "theme_ids": [], "start_date": "2014-01-15",
        "due_date": "2014-12-31", "status": "delayed"})
    assert response.status_code == 302
    changes = [e.changes for e in events(db, "Activity") if e.action == "update"]
    assert any(c.get("title", {}).get("after") == "Handbook (renamed)" for c in changes)
    assert any(c.get("partners", {}).get("after") == ["IOM"] for c in changes)


def test_activity_form_errors_keep_values(db, auth, client, people, activity_by_ref):
    handbook = activity_by_ref("1.2 (1)")
    auth.login("chair@example.org")
    path = f"/programme/twg1/activities/{handbook.id}/edit"
    response = client.post(path, data={
        "csrf_token": auth.csrf_token(path), "output_id": handbook.output_id, "number": "2", "title": "Kept title",
        "lead_agency_id": handbook.lead_agency_id, "start_date": "2014-06-01", "due_date": "2014-01-01",
        "status": "on_track"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "This output already has an activity number 2." in html or "due date must be on or after" in html
    assert 'value="Kept title"' in html


def test_chair_records_a_milestone_as_done(db, auth, client, people, activity_by_ref):
    handbook = activity_by_ref("1.2 (1)")
    milestone = handbook.milestones[0]
    auth.login("chair@example.org")
    path = f"/programme/activities/{handbook.id}/milestones/{milestone.id}/edit"
    response = client.post(path, data={"csrf_token": auth.csrf_token(path), "title": milestone.title,
                                       "due_date": "2014-08-31", "done_date": "2014-08-29"})
    assert response.status_code == 302
    db.session.refresh(milestone)
    assert milestone.done_date == dt.date(2014, 8, 29)
    assert events(db, "Milestone")[-1].changes["done_date"] == {"before": None, "after": "2014-08-29"}


def test_chair_writes_a_finding_with_preview(db, auth, client, people, twg1):
    auth.login("chair@example.org")
    path = "/programme/twg1/findings/new"
    data = {"csrf_token": auth.csrf_token(path), "kind": "lesson_learned", "text": "Start *early*.",
            "activity_id": "0", "theme_id": "0", "noted_on": "2014-05-13"}
    preview = client.post(path, data=dict(data, preview="Preview"))
    assert "<em>early</em>" in preview.get_data(as_text=True)
    assert db.session.scalar(sa.select(Finding).where(Finding.kind == FindingKind.LESSON_LEARNED)) is None
    assert client.post(path, data=data).status_code == 302
    finding = db.session.scalar(sa.select(Finding).where(Finding.kind == FindingKind.LESSON_LEARNED))
    assert finding.text == "Start *early*." and finding.activity_id is None
    assert "<em>early</em>" in client.get("/programme/twg1/findings").get_data(as_text=True)


def test_milestone_belonging_to_another_activity_is_not_found(db, auth, client, people, activity_by_ref):
    other = activity_by_ref("1.2 (2)").milestones[0]
    auth.login("chair@example.org")
    assert client.get(f"/programme/activities/{activity_by_ref('1.2 (1)').id}/milestones/{other.id}/edit"
                      ).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Milestone)) == 4


def test_chair_deletes_a_milestone_after_confirming_and_it_is_audited(db, auth, client, people, activity_by_ref):
    handbook = activity_by_ref("1.2 (1)")
    milestone = next(m for m in handbook.milestones if m.title == "Draft handbook")
    milestone_id = milestone.id
    path = f"/programme/activities/{handbook.id}/milestones/{milestone_id}/delete"
    auth.login("chair@example.org")
    page = client.get(path).get_data(as_text=True)
    assert "Delete milestone “Draft handbook”?" in page and "cannot be undone" in page
    response = client.post(path, data={"csrf_token": auth.csrf_token(path)}, follow_redirects=True)
    assert "Milestone “Draft handbook” of 1.2 (1) deleted." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Milestone).where(Milestone.id == milestone_id)) is None
    deleted = events(db, "Milestone")[-1]
    assert deleted.action == "delete" and deleted.changes["title"]["before"] == "Draft handbook"


def test_chair_deletes_a_finding_after_confirming(db, auth, client, people, twg1):
    finding_id = twg1.findings[0].id
    path = f"/programme/twg1/findings/{finding_id}/delete"
    auth.login("chair@example.org")
    assert "Delete this" in client.get(path).get_data(as_text=True)
    client.post(path, data={"csrf_token": auth.csrf_token(path)})
    assert db.session.scalar(sa.select(Finding).where(Finding.id == finding_id)) is None


def test_focal_point_cannot_delete_milestones_or_findings(db, auth, client, people, activity_by_ref, twg1):
    handbook = activity_by_ref("1.2 (1)")
    milestone = handbook.milestones[0]
    auth.login("focal.iom@example.org")
    token = auth.csrf_token("/account")
    for path in (f"/programme/activities/{handbook.id}/milestones/{milestone.id}/delete",
                 f"/programme/twg1/findings/{twg1.findings[0].id}/delete"):
        assert client.get(path).status_code == 403
        assert client.post(path, data={"csrf_token": token}).status_code == 403
    assert "/delete" not in client.get(f"/programme/activities/{handbook.id}").get_data(as_text=True)
    assert db.session.get(Milestone, milestone.id) is not None


def test_deleting_a_milestone_of_another_activity_is_404(auth, client, people, activity_by_ref):
    handbook, mapping = activity_by_ref("1.2 (1)"), activity_by_ref("1.2 (2)")
    auth.login("chair@example.org")
    assert client.get(f"/programme/activities/{mapping.id}/milestones/{handbook.milestones[0].id}/delete"
                      ).status_code == 404
