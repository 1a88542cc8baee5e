"""Login sessions end on the server: idle timeout, absolute lifetime, remember-me lifetime."""
from __future__ import annotations

import sqlalchemy as sa

from gmgportal.auth.models import LoginSession
from tests.conftest import AuthActions

WRITES = ("INSERT", "UPDATE", "DELETE")


def _sessions(db) -> list[LoginSession]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(LoginSession)))


def _logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_a_session_ends_after_two_idle_hours_and_its_row_is_removed(db, auth, make_user, client, frozen_clock):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    frozen_clock.advance(minutes=119)
    assert _logged_in(client)  # still in time; this request counts as activity
    frozen_clock.advance(minutes=119)
    assert _logged_in(client)
    frozen_clock.advance(minutes=121)
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _sessions(db) == []


def test_a_copied_session_cookie_dies_with_the_idle_timeout(app, auth, make_user, client, frozen_clock):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert _logged_in(thief)
    frozen_clock.advance(hours=2, minutes=1)
    assert not _logged_in(thief)


def test_an_active_session_still_ends_twelve_hours_after_login(auth, make_user, client, frozen_clock):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    for _ in range(11):
        frozen_clock.advance(hours=1)
        assert _logged_in(client)
    frozen_clock.advance(minutes=59)
    assert _logged_in(client)
    frozen_clock.advance(minutes=1)
    assert not _logged_in(client)


def test_keep_me_logged_in_lasts_fourteen_days_from_login_however_idle(app, db, auth, make_user, client, frozen_clock):
    make_user("fp@example.org")
    auth.login("fp@example.org", remember=True)
    remember = client.get_cookie("remember_token").value
    assert [s.remember for s in _sessions(db)] == [True]

    def with_remember_cookie_only():
        browser = app.test_client()  # the browser was closed: only the remember-me cookie is left
        browser.set_cookie("remember_token", remember)
        return browser

    frozen_clock.advance(days=3)
    assert _logged_in(client) and _logged_in(with_remember_cookie_only())
    frozen_clock.advance(days=10, hours=23, minutes=59)
    assert _logged_in(with_remember_cookie_only())
    frozen_clock.advance(minutes=1)
    assert not _logged_in(with_remember_cookie_only())
    assert not _logged_in(client)
    assert _sessions(db) == []


def test_settings_change_the_lifetimes(app, auth, make_user, client, frozen_clock):
    app.config.update(SESSION_IDLE_MINUTES=10, SESSION_MAX_HOURS=1)
    make_user("fp@example.org")
    auth.login("fp@example.org")
    frozen_clock.advance(minutes=11)
    assert not _logged_in(client)


def test_a_get_writes_last_seen_only_when_it_is_stale_and_commits_nothing_else(
        db, auth, make_user, client, frozen_clock, count_queries):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    login_time = frozen_clock.now()
    frozen_clock.advance(minutes=4)
    with count_queries() as queries:
        assert _logged_in(client)
    assert [s for s in queries.statements if s.lstrip().upper().startswith(WRITES)] == []
    assert _sessions(db)[0].last_seen_at == login_time

    frozen_clock.advance(minutes=2)
    with count_queries() as queries:
        assert _logged_in(client)
    writes = [s for s in queries.statements if s.lstrip().upper().startswith(WRITES)]
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE LOGIN_SESSION")
    assert _sessions(db)[0].last_seen_at == frozen_clock.now()


def test_a_post_refreshes_last_seen_within_its_own_transaction(db, make_user, app, frozen_clock):
    make_user("fp@example.org")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("fp@example.org")
    frozen_clock.advance(minutes=30)
    token = auth.csrf_token("/account")  # a GET: refreshes last seen beside its read
    frozen_clock.advance(minutes=30)
    response = client.post("/account", data={"name": "New Name", "time_zone": "UTC", "csrf_token": token})
    assert response.status_code == 302
    assert _sessions(db)[0].last_seen_at == frozen_clock.now()
