"""Login, logout, sessions, passwords and the admin pages' refusals."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from gmgportal.auth import services
from gmgportal.auth.models import LoginSession, User
from gmgportal.core.audit import AuditEvent
from gmgportal.core.permissions import Role
from tests.conftest import DEMO_PASSWORD


def test_login_page_has_one_h1_matching_the_title(client):
    html = client.get("/login").get_data(as_text=True)
    assert html.count("<h1>") == 1
    assert "<title>Log in – GMG Portal</title>" in html
    assert "<h1>Log in</h1>" in html


def test_home_redirects_anonymous_users_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


def test_focal_point_logs_in_and_lands_on_what_needs_you(auth, make_user):
    make_user("fp@example.org", agency="ILO")
    response = auth.login("fp@example.org", follow=True)
    html = response.get_data(as_text=True)
    assert "What needs you" in html
    assert "Welcome" in html


def test_wrong_password_shows_a_message_and_keeps_the_email(auth, make_user):
    make_user("fp@example.org")
    response = auth.login("fp@example.org", "not the password")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The e-mail address or password is not right" in html
    assert 'value="fp@example.org"' in html


def test_email_is_case_insensitive(auth, make_user):
    make_user("fp@example.org")
    assert auth.login("FP@Example.org").status_code == 302


def test_deactivated_user_cannot_log_in(auth, make_user):
    make_user("gone@example.org", active=False)
    response = auth.login("gone@example.org")
    assert response.status_code == 200
    assert "not right" in response.get_data(as_text=True)


def test_external_next_url_is_ignored(auth, make_user, client):
    make_user("fp@example.org")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "http:evil.example"):
        token = auth.csrf_token()
        response = client.post(f"/login?next={target}", data={
            "email": "fp@example.org", "password": DEMO_PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
        auth.logout()


def test_local_next_url_is_followed(auth, make_user, client):
    make_user("fp@example.org")
    token = auth.csrf_token()
    response = client.post("/login?next=/account", data={
        "email": "fp@example.org", "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/account"


def test_logout_is_a_post_only(auth, make_user, client):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_old_session_cookie_is_refused_after_logout(app, auth, make_user, client):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    stolen = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_remember_me_cookie_dies_with_logout(app, auth, make_user, client):
    make_user("fp@example.org")
    auth.login("fp@example.org", remember=True)
    remember = client.get_cookie("remember_token").value
    other = app.test_client()
    other.set_cookie("remember_token", remember)
    assert other.get("/account").status_code == 200
    auth.logout()
    third = app.test_client()
    third.set_cookie("remember_token", remember)
    assert third.get("/account").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, auth, make_user, client):
    make_user("fp@example.org")
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login("fp@example.org")
    auth.login("fp@example.org")
    token = auth.csrf_token("/account/password")
    response = client.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "new_password": "a much longer secret",
        "confirm_password": "a much longer secret", "csrf_token": token}, follow_redirects=True)
    assert "Your password is changed" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    auth.logout()
    assert auth.login("fp@example.org", "a much longer secret").status_code == 302


def test_password_change_refuses_a_wrong_current_password_and_short_new_one(auth, make_user, client):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    token = auth.csrf_token("/account/password")
    html = client.post("/account/password", data={
        "current_password": "wrong", "new_password": "short", "confirm_password": "short",
        "csrf_token": token}).get_data(as_text=True)
    assert "There is a problem" in html
    assert "at least 10 characters" in html
    html = client.post("/account/password", data={
        "current_password": "wrong", "new_password": "long enough now", "confirm_password": "long enough now",
        "csrf_token": token}).get_data(as_text=True)
    assert "That is not your current password." in html


def test_passwords_are_hashed_with_argon2id(make_user):
    user = make_user("fp@example.org")
    assert user.password_hash.startswith("$argon2id$")
    assert DEMO_PASSWORD not in user.password_hash


def test_production_hash_parameters_meet_owasp_minimum():
    from config import ProductionConfig

    assert ProductionConfig.PASSWORD_HASH_MEMORY_KIB >= 19 * 1024
    assert ProductionConfig.PASSWORD_HASH_TIME_COST >= 2


def test_session_tokens_are_stored_only_as_hashes(db, auth, make_user, client):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    token = client.get_cookie("session")  # the signed cookie holds the token
    stored = db.session.scalars(sa.select(LoginSession.token_hash)).all()
    assert len(stored) == 1 and len(stored[0]) == 64
    assert stored[0] not in token.value


def test_login_success_and_failure_are_audited_without_passwords(db, auth, make_user):
    make_user("fp@example.org")
    auth.login("fp@example.org", "wrong password here")
    auth.login("fp@example.org")
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    assert "login_failure" in actions and "login_success" in actions
    dump = repr([(e.changes, e.object_label) for e in events])
    assert "wrong password here" not in dump and DEMO_PASSWORD not in dump


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new", "/admin/agencies", "/admin/audit",
                                  "/admin/agencies/new"])
def test_focal_point_gets_403_on_admin_pages(auth, make_user, client, path):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    response = client.get(path)
    assert response.status_code == 403
    assert "have access to this page" in response.get_data(as_text=True)


def test_anonymous_user_is_sent_to_login_from_admin(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_admin_creates_a_focal_point_for_ilo(db, auth, make_user, make_agency, client):
    make_user("admin@example.org", roles=(Role.ADMIN,), agency="UN/DESA")
    ilo = make_agency("ILO")
    auth.login("admin@example.org")
    token = auth.csrf_token("/admin/users/new")
    response = client.post("/admin/users/new", data={
        "name": "Ada Focal", "email": "Ada@ILO.org", "agency_id": ilo.id, "roles": ["focal_point"],
        "time_zone": "Europe/Zurich", "password": "a good long password", "active": "y",
        "csrf_token": token}, follow_redirects=True)
    assert "User Ada Focal (ada@ilo.org) created." in response.get_data(as_text=True)
    user = services.get_user_by_email("ada@ilo.org")
    assert user.agency.code == "ILO" and user.role_set == {Role.FOCAL_POINT}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "User",
                                                          AuditEvent.action == "create",
                                                          AuditEvent.object_label == "ada@ilo.org"))
    assert event.actor_label == "admin@example.org"
    assert event.changes["password_hash"]["after"] == "[redacted]"


def test_create_user_form_errors_keep_values(auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login("admin@example.org")
    token = auth.csrf_token("/admin/users/new")
    html = client.post("/admin/users/new", data={
        "name": "Ada", "email": "not-an-email", "roles": ["focal_point"], "password": "",
        "csrf_token": token}).get_data(as_text=True)
    assert "There is a problem" in html
    assert 'value="Ada"' in html and 'value="not-an-email"' in html
    assert "Enter an e-mail address like name@agency.org." in html


def test_duplicate_email_is_a_form_error(auth, make_user, client):
    admin = make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login("admin@example.org")
    token = auth.csrf_token("/admin/users/new")
    html = client.post("/admin/users/new", data={
        "name": "Again", "email": "ADMIN@example.org", "agency_id": admin.agency_id,
        "password": "a good long password", "csrf_token": token}).get_data(as_text=True)
    assert "A user with this e-mail address already exists." in html


def test_deactivating_a_user_ends_their_sessions(app, db, auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN,))
    target = make_user("fp@example.org")
    from tests.conftest import AuthActions

    their_client = app.test_client()
    AuthActions(their_client).login("fp@example.org")
    assert their_client.get("/account").status_code == 200
    auth.login("admin@example.org")
    page = client.get(f"/admin/users/{target.id}/deactivate").get_data(as_text=True)
    assert "will no longer be able to log in" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(User, target.id).active is False
    assert their_client.get("/account").status_code == 302


def test_admin_cannot_deactivate_themselves(auth, make_user, client):
    admin = make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login("admin@example.org")
    response = client.get(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)


def test_admin_adds_and_edits_an_agency_and_refuses_duplicate_codes(auth, make_user, make_agency, client):
    make_user("admin@example.org", roles=(Role.ADMIN,), agency="UN/DESA")
    make_agency("IOM")
    auth.login("admin@example.org")
    token = auth.csrf_token("/admin/agencies/new")
    response = client.post("/admin/agencies/new", data={
        "code": "UNHCR", "name": "UN Refugee Agency", "kind": "other", "csrf_token": token}, follow_redirects=True)
    assert "Agency UNHCR created." in response.get_data(as_text=True)
    html = client.post("/admin/agencies/new", data={
        "code": "IOM", "name": "Duplicate", "kind": "member", "csrf_token": token}).get_data(as_text=True)
    assert "The code IOM is already used" in html


def test_audit_log_is_filterable(auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login("admin@example.org", "wrong password")
    auth.login("admin@example.org")
    html = client.get("/admin/audit?action=login_failure").get_data(as_text=True)
    assert "login_failure" in html and "login_success</td>" not in html
    assert client.get("/admin/audit?date_from=13-05-2014").status_code == 400


def test_user_time_zone_is_used_for_times(auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login("admin@example.org")
    token = auth.csrf_token("/account")
    client.post("/account", data={"name": "Admin", "time_zone": "Europe/Zurich", "csrf_token": token})
    html = client.get("/admin/audit").get_data(as_text=True)
    assert re.search(r"\d{1,2} \w+ \d{4}, \d\d:\d\d CES?T", html)


def test_empty_create_user_form_reports_every_missing_field_at_once(auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login("admin@example.org")
    token = auth.csrf_token("/admin/users/new")
    html = client.post("/admin/users/new", data={"csrf_token": token}).get_data(as_text=True)
    for message in ("Enter the person&#39;s name.", "Enter an e-mail address.",
                    "Enter an initial password for the new user."):
        assert message in html


def test_users_table_sorts_by_column_and_says_so(auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN,), agency="UN/DESA", name="Zoe Admin")
    make_user("b@example.org", agency="ILO", name="Bea Focal")
    auth.login("admin@example.org")
    html = client.get("/admin/users?sort=name&dir=desc").get_data(as_text=True)
    rows = html.split("<tbody>")[1]
    assert rows.index("Zoe Admin") < rows.index("Bea Focal")
    assert 'aria-sort="descending"' in html
    rows = client.get("/admin/users?sort=agency").get_data(as_text=True).split("<tbody>")[1]
    assert rows.index("Bea Focal") < rows.index("Zoe Admin")  # ILO before UN/DESA
    assert client.get("/admin/users?sort=password_hash&dir=sideways").status_code == 200


def test_remember_me_lasts_two_weeks(auth, make_user, client):
    make_user("fp@example.org")
    response = auth.login("fp@example.org", remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    import email.utils
    import datetime as dt

    expires = email.utils.parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    days = (expires - dt.datetime.now(dt.timezone.utc)).days
    assert 13 <= days <= 14 and "HttpOnly" in cookie


def test_a_logged_in_page_loads_the_user_with_roles_and_agency_in_one_query(auth, make_user, client, count_queries):
    make_user("fp@example.org", roles=(Role.FOCAL_POINT, Role.REVIEWER))
    auth.login("fp@example.org")
    client.get("/account")
    with count_queries() as queries:
        assert client.get("/account").status_code == 200
    assert queries.count == 1, queries.statements
