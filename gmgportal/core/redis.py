"""One Redis client per process, from `REDIS_URL`."""
from __future__ import annotations

from flask import current_app


def redis_client():
    import redis

    ext = current_app.extensions
    client = ext.get("gmg_redis")
    if client is None:
        client = redis.Redis.from_url(current_app.config["REDIS_URL"])
        ext["gmg_redis"] = client
    return client
