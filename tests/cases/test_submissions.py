"""Submitting case studies: outside registration, the call's window, privacy of submissions, versions."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa

from gmgportal.auth.models import User
from gmgportal.cases.models import Submission, SubmissionStatus, SubmitterAccount
from tests.cases.conftest import PDF_BYTES


def _outbox(app):
    return app.extensions.get("mail_outbox", [])


def _register(client, auth, email="ana@ine.example", **extra):
    data = {"name": "Ana Outside", "email": email, "organisation": "National Statistics Institute",
            "password": "long enough password", "confirm_password": "long enough password",
            "csrf_token": auth.csrf_token("/cases/register")}
    data.update(extra)
    return client.post("/cases/register", data=data)


def test_outside_submitter_registers_confirms_and_logs_in(app, client, auth, call, db):
    response = _register(client, auth)
    assert response.status_code == 302 and response.location.endswith("/cases/register/sent")
    user = db.session.scalar(sa.select(User).where(User.email == "ana@ine.example"))
    assert user is not None and not user.active
    assert auth.login("ana@ine.example", "long enough password").status_code == 200  # refused: not confirmed
    message = _outbox(app)[-1]
    link = re.search(r"(/cases/register/confirm/\S+)", message.get_content()).group(1)
    page = client.get(link)
    assert page.status_code == 200 and "Confirm my address" in page.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, user.id).active  # a GET never confirms (mail scanners open links)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(link, data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).active
    assert db.session.scalar(sa.select(SubmitterAccount.confirmed_at)) is not None
    assert auth.login("ana@ine.example", "long enough password").status_code == 302


def test_registration_answers_the_same_whether_or_not_an_account_exists(app, client, auth, call, make_user):
    make_user("known@example.org")
    known, unknown = _register(client, auth, "known@example.org"), _register(client, auth, "new@example.org")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    subjects = [m["Subject"] for m in _outbox(app)]
    assert "You already have a GMG Portal account" in subjects


def test_registration_is_throttled_per_address(app, client, auth, call):
    for _ in range(3):
        assert _register(client, auth, "busy@example.org").status_code == 302
    refused = _register(client, auth, "busy@example.org")
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]
    assert _register(client, auth, "other@example.org").status_code == 302


def test_bad_confirmation_link_is_refused_clearly(client, call):
    response = client.get("/cases/register/confirm/not-a-token")
    assert response.status_code == 400 and "not valid or has expired" in response.get_data(as_text=True)


def _form(auth, path, **fields):
    data = {"title": "Satellite imagery of camps", "organisation": "UNHCR partner", "countries": ["JOR"],
            "data_kinds": ["satellite_imagery"], "summary": "Counting shelters", "method": "Image classification",
            "innovation": "Daily counts", "replication": "Open imagery", "gender": "", "contact_email": "a@b.org",
            "coauthors": "Bo Co-author, bo@example.org", "csrf_token": auth.csrf_token(path)}
    data.update(fields)
    return data


def test_submitter_drafts_with_attachment_submits_and_edits_keeping_versions(client, auth, call, make_user, db):
    user = make_user("fp@example.org", agency="ILO")
    auth.login(user.email)
    path = f"/cases/{call.slug}/submissions/new"
    data = _form(auth, path)
    data["attachments"] = (io.BytesIO(PDF_BYTES), "method.pdf")
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalar(sa.select(Submission))
    assert case.status == SubmissionStatus.DRAFT and case.agency.code == "ILO"
    assert [a.filename for a in case.attachments] == ["method.pdf"]
    assert case.coauthors[0].email == "bo@example.org"
    confirm = f"/cases/submissions/{case.id}/submit"
    assert client.post(confirm, data={"csrf_token": auth.csrf_token(confirm)}).status_code == 302
    edit = f"/cases/submissions/{case.id}/edit"
    assert client.post(edit, data=_form(auth, edit, title="Satellite imagery of camps, revised")).status_code == 302
    db.session.expire_all()
    case = db.session.get(Submission, case.id)
    assert case.status == SubmissionStatus.SUBMITTED
    assert [v.snapshot["title"] for v in case.versions] == ["Satellite imagery of camps",
                                                            "Satellite imagery of camps, revised"]


def test_submit_refuses_an_incomplete_draft(client, auth, call, make_case, db):
    case = make_case(submit=False, summary="")
    auth.login(case.submitter.email)
    path = f"/cases/submissions/{case.id}/submit"
    response = client.post(path, data={"csrf_token": auth.csrf_token(path)})
    assert response.status_code == 422 and "a summary" in response.get_data(as_text=True)


def test_submitter_cannot_read_anothers_submission(client, auth, call, make_case, make_user):
    case = make_case()
    other = make_user("other@example.org", agency="ILO")
    auth.login(other.email)
    for path in (f"/cases/submissions/{case.id}", f"/cases/submissions/{case.id}/edit",
                 f"/cases/submissions/{case.id}/withdraw", "/cases/submissions/999999"):
        assert client.get(path).status_code == 404, path
    assert case.title not in client.get(f"/cases/{call.slug}/").get_data(as_text=True)


def test_submission_and_edits_after_closing_are_refused(client, auth, call, make_case, frozen_clock, db):
    case = make_case(submit=False)
    frozen_clock.freeze("2014-07-01")
    auth.login(case.submitter.email)
    new = f"/cases/{call.slug}/submissions/new"
    response = client.post(new, data=_form(auth, new))
    assert response.status_code == 409 and "The call closed on 30 June 2014, 23:59 CEST" in response.get_data(as_text=True)
    submit = f"/cases/submissions/{case.id}/submit"
    response = client.post(submit, data={"csrf_token": auth.csrf_token(submit)})
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 1


def test_chair_extends_the_call_and_submitting_works_again(client, auth, call, chair, make_case, frozen_clock):
    case = make_case(submit=False)
    frozen_clock.freeze("2014-07-01")
    auth.login(chair.email)
    path = f"/cases/{call.slug}/extend"
    response = client.post(path, data={"closes_on": "2014-07-15", "closes_time": "23:59",
                                       "csrf_token": auth.csrf_token(path)})
    assert response.status_code == 302
    auth.logout()
    auth.login(case.submitter.email)
    submit = f"/cases/submissions/{case.id}/submit"
    assert client.post(submit, data={"csrf_token": auth.csrf_token(submit)}).status_code == 302


def test_only_chairs_extend_and_only_later(client, auth, call, chair, make_user):
    auth.login(make_user("fp2@example.org").email)
    assert client.get(f"/cases/{call.slug}/extend").status_code == 403
    auth.logout()
    auth.login(chair.email)
    path = f"/cases/{call.slug}/extend"
    response = client.post(path, data={"closes_on": "2014-06-01", "closes_time": "10:00",
                                       "csrf_token": auth.csrf_token(path)})
    assert response.status_code == 200 and "can only be extended" in response.get_data(as_text=True)


def test_submitter_withdraws(client, auth, call, make_case, db, frozen_clock):
    case = make_case()
    auth.login(case.submitter.email)
    path = f"/cases/submissions/{case.id}/withdraw"
    assert "will not be reviewed" in client.get(path).get_data(as_text=True)
    assert client.post(path, data={"csrf_token": auth.csrf_token(path)}).status_code == 302
    db.session.expire_all()
    withdrawn = db.session.get(Submission, case.id)
    assert withdrawn.status == SubmissionStatus.WITHDRAWN
    assert withdrawn.withdrawn_at == frozen_clock.now()  # the clock's time, for the figures as of a date


def test_withdrawing_twice_is_refused_and_keeps_the_first_date(client, auth, call, make_case, db, frozen_clock):
    case = make_case()
    auth.login(case.submitter.email)
    path = f"/cases/submissions/{case.id}/withdraw"
    token = auth.csrf_token(path)
    assert client.post(path, data={"csrf_token": token}).status_code == 302
    first = frozen_clock.now()
    frozen_clock.advance(minutes=20)
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code in (409, 422) and "already withdrawn" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Submission, case.id).withdrawn_at == first


def test_another_user_cannot_withdraw_a_case(client, auth, call, make_case, make_user, db):
    case = make_case()
    auth.login(make_user("other@example.org", agency="ILO").email)
    path = f"/cases/submissions/{case.id}/withdraw"
    assert client.post(path, data={"csrf_token": auth.csrf_token("/account")}).status_code == 404
    db.session.expire_all()
    found = db.session.get(Submission, case.id)
    assert found.status == SubmissionStatus.SUBMITTED and found.withdrawn_at is None


def test_unknown_country_is_refused_on_the_form(client, auth, call, make_user):
    auth.login(make_user("fp3@example.org").email)
    path = f"/cases/{call.slug}/submissions/new"
    response = client.post(path, data=_form(auth, path, countries=["XXX"]))
    assert response.status_code == 422


def test_preview_shows_the_texts_as_the_case_page_will_and_saves_nothing(client, auth, call, make_user, make_case,
                                                                          db):
    user = make_user("fp@example.org", agency="ILO")
    auth.login(user.email)
    path = f"/cases/{call.slug}/submissions/new"
    data = _form(auth, path, summary="Calls show **seasonal moves**.<script>alert(1)</script>",
                 method="- night-time calls\n- census weights")
    data["preview"] = "Preview"
    response = client.post(path, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="preview-title"' in page
    assert "<strong>seasonal moves</strong>" in page and "<li>night-time calls</li>" in page
    assert "<script>alert(1)</script>" not in page  # the one sanitiser, as on the case page
    assert "Jordan" in page.split('id="preview-title"')[1].split("</section>")[0]
    assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0
    # Editing a submitted case: the preview does not submit a new version either.
    case = make_case(submitter=user)
    edit = f"/cases/submissions/{case.id}/edit"
    data = _form(auth, edit, title="Changed title", summary="*New* summary")
    data["preview"] = "Preview"
    page = client.post(edit, data=data).get_data(as_text=True)
    assert "<em>New</em> summary" in page and 'value="Changed title"' in page
    db.session.expire_all()
    case = db.session.get(Submission, case.id)
    assert case.title != "Changed title" and len(case.versions) == 1
