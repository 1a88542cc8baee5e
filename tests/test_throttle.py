"""Failed logins are throttled per account and address, across worker processes."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gmgportal.core.throttle import DatabaseThrottleStore, LoginThrottle, RedisThrottleStore, throttle_key
from tests.conftest import DEMO_PASSWORD, TEST_REDIS_URL, AuthActions, skip_or_fail


def _throttle_behaviour(store) -> None:
    throttle = LoginThrottle(store, attempts=5, window=900)
    key = throttle_key("fp@example.org", "10.0.0.1")
    now = 1_000_000.0
    for i in range(5):
        assert throttle.retry_after(key, now + i) == 0
        throttle.record_failure(key, now + i)
    assert throttle.retry_after(key, now + 10) == 900 - 10
    assert throttle.retry_after(key, now + 901) == 0  # the first failure left the window
    assert throttle.retry_after(throttle_key("fp@example.org", "10.0.0.2"), now + 10) == 0
    throttle.reset(key)
    assert throttle.retry_after(key, now + 10) == 0


def test_database_store_counts_failures_in_a_sliding_window(db):
    _throttle_behaviour(DatabaseThrottleStore())


@pytest.mark.redis
def test_redis_store_counts_failures_in_a_sliding_window(redis_prefix):
    if not TEST_REDIS_URL:
        skip_or_fail("TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    prefix = f"{redis_prefix}-{uuid.uuid4().hex[:6]}"
    try:
        _throttle_behaviour(RedisThrottleStore(client, prefix))
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def test_sixth_wrong_password_is_refused_with_429_and_a_clear_message(auth, make_user, client):
    make_user("fp@example.org")
    for _ in range(5):
        assert auth.login("fp@example.org", "wrong password").status_code == 200
    response = auth.login("fp@example.org", "wrong password")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in html
    assert 850 <= int(response.headers["Retry-After"]) <= 900
    # Even the right password waits: the lock is on attempts, not on wrong ones.
    assert auth.login("fp@example.org").status_code == 429


def test_throttle_holds_across_two_worker_processes(make_app, make_user):
    """Two app instances stand for two gunicorn workers: they share no memory."""
    make_user("fp@example.org")
    worker_a, worker_b = make_app(), make_app()
    a = AuthActions(worker_a.test_client())
    b = AuthActions(worker_b.test_client())
    for _ in range(3):
        a.login("fp@example.org", "wrong password")
    for _ in range(2):
        b.login("fp@example.org", "wrong password")
    assert a.login("fp@example.org", "wrong password").status_code == 429
    assert b.login("fp@example.org", "wrong password").status_code == 429


@pytest.mark.redis
def test_throttle_uses_redis_when_configured(app_config, make_app, make_user, redis_prefix):
    if not TEST_REDIS_URL:
        skip_or_fail("TEST_REDIS_URL is not set")

    make_user("fp@example.org")
    prefix = f"{redis_prefix}-{uuid.uuid4().hex[:6]}"
    config = type("RedisConfig", (app_config,), {"REDIS_URL": TEST_REDIS_URL, "REDIS_KEY_PREFIX": prefix})
    app = make_app(config)
    client = AuthActions(app.test_client())
    for _ in range(5):
        client.login("fp@example.org", "wrong password")
    assert client.login("fp@example.org", "wrong password").status_code == 429
    import redis

    r = redis.Redis.from_url(TEST_REDIS_URL)
    keys = list(r.scan_iter(f"{prefix}:login-failures:*"))
    assert len(keys) == 1
    for key in keys:
        r.delete(key)
    r.close()


def test_successful_login_resets_the_count(auth, make_user):
    make_user("fp@example.org")
    for _ in range(4):
        auth.login("fp@example.org", "wrong password")
    assert auth.login("fp@example.org").status_code == 302
    auth.logout()
    for _ in range(4):
        auth.login("fp@example.org", "wrong password")
    assert auth.login("fp@example.org").status_code == 302


def _behind_proxy(app, client_address: str) -> AuthActions:
    """A browser at `client_address` whose requests reach the portal through the proxy at 10.0.0.2."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_address,
                               HTTP_X_FORWARDED_PROTO="https", HTTP_REFERER="https://localhost/login")
    return AuthActions(client)


def test_behind_a_trusted_proxy_an_attacker_is_locked_out_but_the_owner_still_logs_in(
        db, app_config, make_app, make_user):
    from gmgportal.core.audit import AuditEvent

    make_user("fp@example.org")
    app = make_app(type("Proxied", (app_config,), {"TRUSTED_PROXIES": 1}))
    attacker, owner = _behind_proxy(app, "203.0.113.9"), _behind_proxy(app, "198.51.100.7")
    for _ in range(5):
        assert attacker.login("fp@example.org", "wrong password").status_code == 200
    assert attacker.login("fp@example.org", "wrong password").status_code == 429
    assert owner.login("fp@example.org").status_code == 302
    addresses = {(e.action, e.ip_address) for e in db.session.scalars(sa.select(AuditEvent))}
    assert ("login_failure", "203.0.113.9") in addresses and ("login_success", "198.51.100.7") in addresses
    assert not any(ip == "10.0.0.2" for _, ip in addresses)


def test_without_trusted_proxies_forwarded_headers_are_ignored(app, make_user):
    make_user("fp@example.org")
    assert app.config["TRUSTED_PROXIES"] == 0
    spoofer = _behind_proxy(app, "203.0.113.9")
    for _ in range(5):
        spoofer.login("fp@example.org", "wrong password")
    # A forged X-Forwarded-For does not buy a fresh count when no proxy is trusted.
    spoofer.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.99"
    assert spoofer.login("fp@example.org", "wrong password").status_code == 429


def _try_current_password(auth: AuthActions, password: str):
    token = auth.csrf_token("/account/password")
    return auth.client.post("/account/password", data={
        "current_password": password, "new_password": "a much longer secret",
        "confirm_password": "a much longer secret", "csrf_token": token})


def test_the_current_password_check_is_throttled_per_user_like_the_login(app, make_user):
    make_user("fp@example.org")
    make_user("other@example.org")
    thief, other = AuthActions(app.test_client()), AuthActions(app.test_client())
    thief.login("fp@example.org")
    other.login("other@example.org")
    for _ in range(5):
        response = _try_current_password(thief, "guess")
        assert response.status_code == 200 and "That is not your current password." in response.get_data(as_text=True)
    response = _try_current_password(thief, "guess")
    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in response.get_data(as_text=True)
    assert 850 <= int(response.headers["Retry-After"]) <= 900
    assert _try_current_password(thief, DEMO_PASSWORD).status_code == 429  # even the right one waits
    # From another browser the same account is throttled too; other accounts are not.
    second = AuthActions(app.test_client())
    second.login("fp@example.org")
    assert _try_current_password(second, DEMO_PASSWORD).status_code == 429
    assert _try_current_password(other, DEMO_PASSWORD).status_code == 302
