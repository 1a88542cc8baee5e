"""Fixtures for the job tests: a per-test SQLite queue, a worker in threads, a Redis-backed app."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_REDIS_URL, make_config, skip_or_fail


@pytest.fixture
def app_config(database_url, tmp_path):
    return make_config(database_url, tmp_path / "uploads", JOBS_QUEUE_FILE=str(tmp_path / "queue.sqlite3"),
                       JOBS_HEARTBEAT_SECONDS=0.5, JOBS_STALE_SECONDS=5)


@pytest.fixture
def redis_url() -> str:
    if not TEST_REDIS_URL:
        skip_or_fail("TEST_REDIS_URL is not set: the Redis queue is not tested")
    return TEST_REDIS_URL


@pytest.fixture
def redis_keys(redis_url, redis_prefix):
    """A key prefix for this test alone; every key under it is deleted afterwards."""
    import redis

    prefix = f"{redis_prefix}-{uuid.uuid4().hex[:6]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    assert not list(client.scan_iter(f"{prefix}:*"))
    client.close()


@pytest.fixture
def chair(make_user):
    from gmgportal.core.permissions import Role

    return make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Chair Person")


@pytest.fixture
def audit_rows(db):
    """Insert `n` audit events quickly; returns the number of rows in the log afterwards."""
    from gmgportal.core.audit import AuditEvent
    from gmgportal.core.models import utcnow

    def insert(n: int) -> int:
        now = utcnow()
        rows = [{"at": now, "actor_label": f"person{i}@example.org", "action": "update", "object_type": "Thing",
                 "object_id": str(i), "object_label": f"=thing {i}", "changes": {"n": {"before": i, "after": i + 1}},
                 "ip_address": ""} for i in range(n)]
        with db.engine.begin() as conn:
            conn.execute(sa.insert(AuditEvent.__table__), rows)
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    return insert
