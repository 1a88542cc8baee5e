"""Password hashing with argon2id (parameters from the config)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# Compared against when the account does not exist, so that a login for an
# unknown e-mail takes as long as one for a known one.
_DUMMY_PASSWORD = "not-a-real-password"


def _hasher() -> PasswordHasher:
    config = current_app.config
    key = (config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"], config["PASSWORD_HASH_PARALLELISM"])
    cache = current_app.extensions.setdefault("gmg_password_hashers", {})
    if key not in cache:
        cache[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
    return cache[key]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if password_hash is None:
        hasher.verify(hasher.hash(_DUMMY_PASSWORD), _DUMMY_PASSWORD)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
