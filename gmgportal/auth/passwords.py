"""Password hashing with argon2id (parameters from the config)."""
from __future__ import annotations

import base64
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    config = current_app.config
    key = (config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"], config["PASSWORD_HASH_PARALLELISM"])
    cache = current_app.extensions.setdefault("gmg_password_hashers", {})
    if key not in cache:
        cache[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
    return cache[key]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash with the real parameters that no password matches.

    Checked against when the account does not exist, so that a login for an
    unknown e-mail costs exactly one argon2 verification, like a wrong password
    for a known one. Made from random bytes: building it costs no hashing.
    """
    p = hasher
    return (f"$argon2id$v=19$m={p.memory_cost},t={p.time_cost},p={p.parallelism}"
            f"${_b64(secrets.token_bytes(p.salt_len))}${_b64(secrets.token_bytes(p.hash_len))}")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; always one argon2 verification, also for no account (None)."""
    hasher = _hasher()
    try:
        matches = hasher.verify(password_hash or _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
