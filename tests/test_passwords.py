"""Weak passwords are refused wherever a password is set: admin forms, the password page, the CLI."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from gmgportal.auth import services
from gmgportal.auth.models import User
from gmgportal.auth.passwords import common_passwords, password_problem
from gmgportal.core.errors import Refused
from gmgportal.core.permissions import Role
from tests.conftest import DEMO_PASSWORD

COMMON = "one of the most common passwords"
GUESSABLE = "too easy to guess"
IDENTITY = "made of the e-mail address or name of the account"


def test_the_common_password_list_is_long_and_offline():
    assert len(common_passwords()) >= 10_000
    assert {"password", "123456", "qwerty", "iloveyou"} <= common_passwords()


@pytest.mark.parametrize("password,problem", [
    ("short", "at least 10 characters"),
    ("qwertyuiop", COMMON),
    ("1234567890", COMMON),
    ("Password1!", GUESSABLE),
    ("aaaaaaaaaa", GUESSABLE),
    ("abcdefghij", GUESSABLE),
    ("bea.focal@ilo.org", IDENTITY),
    ("Bea.Focal@ILO.org1", IDENTITY),
    ("beafocal2014!", IDENTITY),
    ("Focal-Bea-1990", IDENTITY),
])
def test_weak_passwords_are_refused_with_a_clear_reason(app, password, problem):
    assert problem in (password_problem(password, email="bea.focal@ilo.org", name="Bea Focal") or "")


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "a good long password", "gmg-demo-2014", "census-round-2010",
                                      "Beacon harbour lantern"])
def test_ordinary_passphrases_pass_without_composition_rules(app, password):
    assert password_problem(password, email="bea.focal@ilo.org", name="Bea Focal") is None


def test_the_service_refuses_a_weak_password_whoever_calls_it(db, make_agency):
    with pytest.raises(Refused, match=GUESSABLE) as refused:
        services.create_user("x@example.org", "X Person", make_agency(), "aaaaaaaaaa")
    assert refused.value.field == "password"
    user = services.create_user("x@example.org", "X Person", make_agency(), DEMO_PASSWORD)
    with pytest.raises(Refused, match=IDENTITY):
        services.change_password(user, "x@example.org")


def test_admin_cannot_give_a_new_user_a_common_password(db, auth, make_user, make_agency, client):
    make_user("admin@example.org", roles=(Role.ADMIN,))
    ilo = make_agency("ILO")
    auth.login("admin@example.org")
    token = auth.csrf_token("/admin/users/new")
    response = client.post("/admin/users/new", data={
        "name": "Ada Focal", "email": "ada@ilo.org", "agency_id": ilo.id, "roles": ["focal_point"],
        "time_zone": "UTC", "password": "Password1!", "active": "y", "csrf_token": token})
    assert response.status_code == 200 and GUESSABLE in response.get_data(as_text=True)
    assert services.get_user_by_email("ada@ilo.org") is None


def test_admin_cannot_set_a_password_made_of_the_users_name(db, auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN,))
    ada = make_user("ada@ilo.org", name="Ada Lovelace")
    auth.login("admin@example.org")
    token = auth.csrf_token(f"/admin/users/{ada.id}/edit")
    response = client.post(f"/admin/users/{ada.id}/edit", data={
        "name": "Ada Lovelace", "email": "ada@ilo.org", "agency_id": ada.agency_id, "roles": ["focal_point"],
        "time_zone": "UTC", "password": "lovelace-ada-1815", "active": "y", "csrf_token": token})
    assert response.status_code == 200 and IDENTITY in response.get_data(as_text=True)
    assert auth.logout() and auth.login("ada@ilo.org").status_code == 302  # the old password still works


def test_own_password_change_refuses_the_users_own_email(auth, make_user, client):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    token = auth.csrf_token("/account/password")
    response = client.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "new_password": "fp@example.org", "confirm_password": "fp@example.org",
        "csrf_token": token})
    assert response.status_code == 200 and IDENTITY in response.get_data(as_text=True)


def test_create_user_command_refuses_a_common_password(db, runner, make_agency):
    make_agency("IOM")
    result = runner.invoke(args=["gmg", "create-user", "--email", "x@example.org", "--name", "X", "--agency", "IOM",
                                 "--role", "admin", "--password", "iloveyou123"])
    assert result.exit_code != 0 and COMMON in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
