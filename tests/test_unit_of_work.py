"""One transaction per request and command; refusals and races; one clock."""
from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from gmgportal.auth import services
from gmgportal.auth.models import Agency, AgencyKind, User
from gmgportal.core import clock
from gmgportal.core.errors import Refused
from gmgportal.core.permissions import Role

PACKAGE = Path(__file__).resolve().parents[1] / "gmgportal"


def _new_user_form(auth, agency_id: int, email: str = "new.person@example.org", active: bool = True) -> dict:
    data = {"name": "New Person", "email": email, "agency_id": agency_id, "roles": ["focal_point"],
            "time_zone": "UTC", "password": "a long unusual passphrase",
            "csrf_token": auth.csrf_token("/admin/users/new")}
    if active:
        data["active"] = "y"
    return data


def test_a_request_whose_second_service_call_fails_leaves_nothing_of_the_first(app, db, auth, client, make_user,
                                                                              monkeypatch):
    admin = make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login("admin@example.org")
    app.logger.disabled = True  # the 500 below is provoked on purpose

    def fail(*args, **kwargs):
        raise RuntimeError("the second step fails")

    monkeypatch.setattr(services, "change_password", fail)
    target = make_user("target@example.org")
    token = auth.csrf_token(f"/admin/users/{target.id}/edit")
    response = client.post(f"/admin/users/{target.id}/edit", data={
        "name": "Renamed", "email": "renamed@example.org", "agency_id": admin.agency_id, "roles": ["focal_point"],
        "time_zone": "UTC", "password": "another long passphrase", "active": "y", "csrf_token": token})
    assert response.status_code == 500
    db.session.expire_all()
    kept = db.session.get(User, target.id)
    assert (kept.name, kept.email) == ("Target", "target@example.org")


def test_an_error_status_rolls_back_what_the_view_changed(app, db, client):
    @app.post("/test-only/fails-after-change")
    def fails_after_change():
        db.session.add(Agency(code="TMP", name="Temporary", kind=AgencyKind.OTHER))
        db.session.flush()
        return "refused", 409

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    assert client.post("/test-only/fails-after-change").status_code == 409
    assert db.session.scalar(sa.select(Agency).where(Agency.code == "TMP")) is None


def test_mail_leaves_only_when_the_unit_of_work_commits(app, db):
    from gmgportal.core.mail import send_mail
    from gmgportal.core.uow import unit_of_work

    outbox = app.extensions.setdefault("mail_outbox", [])
    with pytest.raises(RuntimeError), unit_of_work():
        send_mail(["a@example.org"], "Never", "rolled back")
        raise RuntimeError("fails")
    assert outbox == []
    with unit_of_work():
        send_mail(["a@example.org"], "Sent", "committed")
    assert [m["Subject"] for m in outbox] == ["Sent"]


def test_taken_email_is_refused_by_the_service_not_the_view(db, make_user):
    make_user("taken@example.org")
    with pytest.raises(Refused) as refused:
        services.create_user("TAKEN@example.org", "Other", db.session.scalar(sa.select(Agency)), "a long passphrase")
    assert refused.value.field == "email"


def test_an_admin_cannot_drop_their_own_admin_role_in_the_service(db, make_user):
    admin = make_user("admin@example.org", roles=(Role.ADMIN,))
    with pytest.raises(Refused, match="your own administrator role"):
        services.update_user(admin, email=admin.email, name=admin.name, agency=admin.agency, roles=[Role.CHAIR],
                             active=True, time_zone="UTC", acting=admin)


def test_two_sessions_inserting_the_same_code_at_once_get_one_agency_and_one_refusal(app, db, make_app,
                                                                                     monkeypatch):
    """Both workers check that the code is free before either inserts (PostgreSQL: a barrier holds them
    there; SQLite serialises writers, so the second one's check sees the first one's row). The loser
    gets the same refusal either way: from the check, or from the unique constraint at flush."""
    from gmgportal.core.uow import unit_of_work

    racing = db.engine.dialect.name == "postgresql"
    barrier, outcomes = threading.Barrier(2), []
    original_lookup = services.get_agency_by_code

    def lookup_then_wait(code):
        found = original_lookup(code)
        if racing and code == "RACE":
            barrier.wait(timeout=20)
        return found

    monkeypatch.setattr(services, "get_agency_by_code", lookup_then_wait)

    def insert(worker_app, number: int) -> None:
        with worker_app.app_context(), unit_of_work():
            try:
                services.save_agency(None, "RACE", "Racing agency", AgencyKind.MEMBER)
                outcomes.append("saved")
            except Refused as refusal:
                outcomes.append(f"refused {refusal.field}")
            # The unit of work goes on after a refusal, as a request showing the form does, and commits.
            services.save_agency(None, f"AFTER{number}", "Saved after the race", AgencyKind.OTHER)

    threads = [threading.Thread(target=insert, args=(make_app(), n)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency).where(Agency.code == "RACE")) == 1
    assert sorted(outcomes) == ["refused code", "saved"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency).where(Agency.code.like("AFTER%"))) == 2


def test_no_other_clock_is_read_in_the_package():
    pattern = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|dt\.date\.today|dt\.datetime\.now)\s*\(")
    offenders = [f"{path.relative_to(PACKAGE)}:{number}" for path in PACKAGE.rglob("*.py")
                 if path.name != "clock.py"
                 for number, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_the_frozen_clock_sets_now_today_and_new_rows(db, frozen_clock, make_agency):
    assert frozen_clock.today() == dt.date(2014, 5, 13)
    agency = make_agency("CLK")
    assert agency.created_at == clock.now()
    frozen_clock.advance(days=1)
    assert clock.today() == dt.date(2014, 5, 14)


def test_today_is_the_group_time_zone_date(app, frozen_clock):
    frozen_clock.freeze(dt.datetime(2014, 5, 13, 23, 30, tzinfo=dt.timezone.utc))  # 01:30 on the 14th in Geneva
    assert clock.today() == dt.date(2014, 5, 14)
    app.config["GROUP_TIME_ZONE"] = "America/New_York"
    assert clock.today() == dt.date(2014, 5, 13)


def test_development_clock_date_shows_the_demo_day_and_says_so(app, client, make_user, auth):
    app.config["CLOCK_DATE"] = dt.date(2014, 5, 13)
    make_user("someone@example.org")
    auth.login("someone@example.org")
    html = client.get("/").get_data(as_text=True)
    assert "the portal&#39;s clock shows <strong>13 May 2014</strong>" in html or \
           "the portal's clock shows <strong>13 May 2014</strong>" in html
    assert clock.is_set()
    app.config["CLOCK_DATE"] = None
    assert "clock shows" not in client.get("/").get_data(as_text=True)


def test_production_refuses_a_set_clock(monkeypatch):
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "k3y-" + "0123456789abcdefghijklmnopqrstuvwxyz")
    monkeypatch.setenv("GMG_CLOCK_DATE", "2014-05-13")
    with pytest.raises(RuntimeError, match="only development"):
        ProductionConfig.validate()
