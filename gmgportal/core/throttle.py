"""Failed-login throttling shared by every worker process.

Failures are counted per key (account and client address) in a sliding
window, in Redis when `REDIS_URL` is set and in the database otherwise, so the
limit holds however many gunicorn workers or machines serve the portal.
"""
from __future__ import annotations

import hashlib
import math
import time
from datetime import datetime, timezone
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from gmgportal.core.models import UTCDateTime, utcnow
from gmgportal.extensions import db


class LoginFailure(db.Model):
    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ThrottleStore(Protocol):
    def add_failure(self, key: str, now: float, window: int) -> None: ...
    def failures(self, key: str, now: float, window: int) -> list[float]: ...
    def clear(self, key: str) -> None: ...


class DatabaseThrottleStore:
    """Commits on its own: a failure must count even though the login fails."""

    def add_failure(self, key: str, now: float, window: int) -> None:
        cutoff = datetime.fromtimestamp(now - window, timezone.utc)
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.at < cutoff))
        db.session.add(LoginFailure(key=key, at=datetime.fromtimestamp(now, timezone.utc)))
        db.session.commit()

    def failures(self, key: str, now: float, window: int) -> list[float]:
        cutoff = datetime.fromtimestamp(now - window, timezone.utc)
        times = db.session.scalars(
            sa.select(LoginFailure.at).where(LoginFailure.key == key, LoginFailure.at >= cutoff)
        )
        return sorted(t.timestamp() for t in times)

    def clear(self, key: str) -> None:
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.key == key))


class RedisThrottleStore:
    def __init__(self, client, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:login-failures:{key}"

    def add_failure(self, key: str, now: float, window: int) -> None:
        name = self._key(key)
        pipe = self.client.pipeline()
        pipe.zremrangebyscore(name, 0, now - window)
        pipe.zadd(name, {f"{now:.6f}": now})
        pipe.expire(name, window)
        pipe.execute()

    def failures(self, key: str, now: float, window: int) -> list[float]:
        return [float(score) for _, score in
                self.client.zrangebyscore(self._key(key), now - window, "+inf", withscores=True)]

    def clear(self, key: str) -> None:
        self.client.delete(self._key(key))


def throttle_key(account: str, address: str) -> str:
    raw = f"{account.strip().lower()}|{address}".encode()
    return hashlib.sha256(raw).hexdigest()


class LoginThrottle:
    def __init__(self, store: ThrottleStore, attempts: int, window: int) -> None:
        self.store = store
        self.attempts = attempts
        self.window = window

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds until the next attempt is allowed; 0 when it is allowed now."""
        now = time.time() if now is None else now
        failures = self.store.failures(key, now, self.window)
        if len(failures) < self.attempts:
            return 0
        # Allowed again when enough of the failures have left the window.
        oldest_that_counts = failures[-self.attempts]
        return max(1, math.ceil(oldest_that_counts + self.window - now))

    def record_failure(self, key: str, now: float | None = None) -> None:
        self.store.add_failure(key, time.time() if now is None else now, self.window)

    def reset(self, key: str) -> None:
        self.store.clear(key)


def login_throttle() -> LoginThrottle:
    app = current_app
    store: ThrottleStore
    if app.config.get("REDIS_URL"):
        from gmgportal.core.redis import redis_client

        store = RedisThrottleStore(redis_client(), app.config["REDIS_KEY_PREFIX"])
    else:
        store = DatabaseThrottleStore()
    return LoginThrottle(store, app.config["LOGIN_THROTTLE_ATTEMPTS"],
                         app.config["LOGIN_THROTTLE_WINDOW_SECONDS"])


def minutes_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


__all__ = ["LoginThrottle", "login_throttle", "throttle_key", "minutes_text"]
