"""Password hashing with argon2id (parameters from the config)."""
from __future__ import annotations

import base64
import re
import secrets
from functools import lru_cache

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


# --- what a password may be ------------------------------------------------------
# No composition rules (NIST SP 800-63B): a minimum length, not one of the
# commonest passwords, not made of the account's own e-mail or name, and not
# trivially guessable by zxcvbn's estimate (repeats, sequences, keyboard
# patterns, a common word with a digit). All offline.
ZXCVBN_MAX_LENGTH = 72      # zxcvbn refuses longer input; what comes after adds strength anyway
MIN_ZXCVBN_SCORE = 2        # 0–4; below 2 means fewer than about 10^6 guesses


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 commonest passwords (zxcvbn's list, from leaked password sets), lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _identity_words(email: str, name: str) -> list[str]:
    words = re.split(r"[^\w]+|_", f"{email} {name}".lower())
    return sorted({w for w in words if len(w) >= 2}, key=len, reverse=True)


def _made_of_identity(password: str, email: str, name: str) -> bool:
    """The password is the e-mail or name, their parts, with digits and punctuation around them."""
    rest, found = password.lower(), False
    for word in _identity_words(email, name):
        if word in rest:
            rest, found = rest.replace(word, " "), True
    return found and len(re.sub(r"[\W\d_]+", "", rest)) < 4


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why `password` may not be used for the account with this e-mail and name, or None."""
    from zxcvbn import zxcvbn

    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return f"Enter a password of at least {minimum} characters."
    if _made_of_identity(password, email, name):
        return "This password is made of the e-mail address or name of the account, which makes it easy to guess. Choose another."
    if password.lower() in common_passwords():
        return "This password is one of the most common passwords. Choose another: a few unrelated words make a good one."
    if zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=_identity_words(email, name))["score"] < MIN_ZXCVBN_SCORE:
        return ("This password is too easy to guess (a common word, a repeated character or a keyboard pattern). "
                "Choose another: a few unrelated words make a good one.")
    return None


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
