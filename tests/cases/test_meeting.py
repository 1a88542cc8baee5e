"""The meeting programme: sessions, accepted cases placed in order, the printable agenda."""
from __future__ import annotations

import sqlalchemy as sa

from gmgportal.cases import services
from gmgportal.cases.models import Outcome, SessionSlot


def _setup(client, auth, call, chair):
    auth.login(chair.email)
    page = f"/cases/{call.slug}/meeting"
    assert client.post(page, data={"title": "Expert group meeting on innovative data", "starts_on": "2014-09-15",
                                   "ends_on": "2014-09-16", "venue": "Palais des Nations, Geneva",
                                   "csrf_token": auth.csrf_token(page)}).status_code == 302
    assert client.post(f"{page}/sessions", data={"title": "Mobile data", "day": "2014-09-15", "time": "09:30",
                                                 "chair_name": "Bela Hovy",
                                                 "csrf_token": auth.csrf_token(page)}).status_code == 302
    from gmgportal.cases.models import MeetingSession

    return page, sa.select(MeetingSession.id)


def test_chair_builds_the_agenda_with_accepted_cases_in_order(client, auth, call, chair, make_case, db):
    first, second, rejected = make_case(title="First case"), make_case(title="Second case"), make_case(title="No")
    services.decide_case(first, Outcome.ACCEPT, "", chair)
    services.decide_case(second, Outcome.ACCEPT, "", chair)
    services.decide_case(rejected, Outcome.REJECT, "", chair)
    db.session.commit()
    page, query = _setup(client, auth, call, chair)
    session_id = db.session.scalar(query)
    html = client.get(page).get_data(as_text=True)
    assert "No</option>" not in html and "First case</option>" in html.replace("Case 1: ", "")
    for case in (first, second):
        assert client.post(f"{page}/sessions/{session_id}/place", data={
            "submission_id": case.id, "csrf_token": auth.csrf_token(page)}).status_code == 302
    refused = client.post(f"{page}/sessions/{session_id}/place", data={
        "submission_id": rejected.id, "csrf_token": auth.csrf_token(page)})
    assert refused.status_code == 409 and "only accepted cases" in refused.get_data(as_text=True)
    again = client.post(f"{page}/sessions/{session_id}/place", data={
        "submission_id": first.id, "csrf_token": auth.csrf_token(page)})
    assert again.status_code == 409
    for bad in ("", "x", "0", "99999999999"):
        response = client.post(f"{page}/sessions/{session_id}/place", data={
            "submission_id": bad, "csrf_token": auth.csrf_token(page)})
        assert response.status_code == 400 and "Choose an accepted case" in response.get_data(as_text=True), bad
    assert client.post(f"{page}/sessions/{session_id}/place", data={
        "submission_id": 4242, "csrf_token": auth.csrf_token(page)}).status_code == 404
    slot = db.session.scalar(sa.select(SessionSlot).where(SessionSlot.submission_id == second.id))
    assert client.post(f"{page}/slots/{slot.id}/move", data={"direction": "up", "csrf_token": auth.csrf_token(page)}).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert html.index("Second case") < html.index("First case")
    assert "15 September 2014, 09:30 – Mobile data" in html and "Palais des Nations" in html


def test_only_chairs_build_the_agenda_and_it_is_hidden_until_set_up(client, auth, call, chair, make_user):
    auth.login(make_user("fp@example.org").email)
    page = f"/cases/{call.slug}/meeting"
    assert client.get(page).status_code == 404
    token = auth.csrf_token(f"/cases/{call.slug}/")
    assert client.post(page, data={"title": "x", "starts_on": "2014-09-15", "ends_on": "2014-09-16",
                                   "csrf_token": token}).status_code == 403
    auth.logout()
    _setup(client, auth, call, chair)
    auth.logout()
    auth.login("fp@example.org")
    html = client.get(page).get_data(as_text=True)
    assert "Expert group meeting on innovative data" in html and "Add a session" not in html


def _pdf_text(data: bytes, tmp_path) -> str:
    import subprocess

    (tmp_path / "agenda.pdf").write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "agenda.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(text.split())


def test_the_agenda_as_pdf_has_the_sessions_and_cases_in_order(client, auth, call, chair, make_case, db, tmp_path):
    first, second = make_case(title="Mobile phone records & $ costs"), make_case(title="Côte d'Ivoire's #register")
    for case in (first, second):
        services.decide_case(case, Outcome.ACCEPT, "", chair)
    db.session.commit()
    page, query = _setup(client, auth, call, chair)
    session_id = db.session.scalar(query)
    for case in (first, second):
        client.post(f"{page}/sessions/{session_id}/place", data={"submission_id": case.id,
                                                                  "csrf_token": auth.csrf_token(page)})
    assert f'href="{page}.pdf"' in client.get(page).get_data(as_text=True)
    with client.get(f"{page}.pdf") as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert f'filename="{call.slug}-agenda.pdf"' in response.headers["Content-Disposition"]
        text = _pdf_text(response.data, tmp_path)
    assert "Expert group meeting on innovative data" in text and "Palais des Nations, Geneva" in text
    assert "15 September 2014, 09:30 – Mobile data" in text and "Chair: Bela Hovy" in text
    assert text.index("1. Mobile phone records & $ costs") < text.index("2. Côte d'Ivoire's #register")
    assert "Page 1 of 1" in text


def test_the_agenda_pdf_is_refused_as_the_agenda_page_is(client, auth, call, chair, make_user, tmp_path):
    page = f"/cases/{call.slug}/meeting"
    for path in (page, f"{page}.pdf"):  # not logged in: the login page
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    make_user("fp@example.org")
    make_user("outsider@example.org", roles=())
    for email in ("fp@example.org", "outsider@example.org"):  # not set up yet: 404 for both
        auth.login(email)
        assert client.get(page).status_code == 404 and client.get(f"{page}.pdf").status_code == 404
        auth.logout()
    auth.login(chair.email)
    assert client.get(f"{page}.pdf").status_code == 404  # nothing to print yet, for the chair too
    auth.logout()
    _setup(client, auth, call, chair)
    auth.logout()
    for email in ("fp@example.org", "outsider@example.org"):  # set up: the PDF answers as the page does
        auth.login(email)
        status = client.get(page).status_code
        with client.get(f"{page}.pdf") as response:
            assert response.status_code == status
            if status == 200:
                assert "Mobile data" in _pdf_text(response.data, tmp_path)
        auth.logout()
