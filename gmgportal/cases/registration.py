"""People from outside the group register to submit case studies.

Registration answers the same whether or not the address has an account; the
link in the e-mail carries a signed token (itsdangerous) and the account is
active only once it is confirmed. Registering and confirming are throttled per
address with the same sliding window as logins (`core.throttle`).
"""
from __future__ import annotations

from typing import Optional

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from gmgportal.auth.models import User
from gmgportal.auth.services import create_user, get_user_by_email, normalise_email
from gmgportal.cases.models import SubmitterAccount
from gmgportal.cases.notify import already_registered_mail, confirmation_mail
from gmgportal.cases.services import external_agency
from gmgportal.core import clock
from gmgportal.core.errors import Refused
from gmgportal.core.throttle import LoginThrottle, login_throttle, minutes_text, throttle_key
from gmgportal.extensions import db

SALT = "cases-register-confirm"
TOKEN_MAX_AGE = 3 * 24 * 3600


class Throttled(Refused):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts for this address. Try again in {minutes_text(retry_after)}.")
        self.retry_after = retry_after


def _throttle() -> LoginThrottle:
    config = current_app.config
    return LoginThrottle(login_throttle().store, config.get("CASES_REGISTER_ATTEMPTS", 3),
                         config.get("CASES_REGISTER_WINDOW_SECONDS", 3600))


def _count_attempt(action: str, email: str) -> None:
    """Refuse when the address has had too many attempts lately; else count this one."""
    throttle, key = _throttle(), throttle_key(f"{action}:{normalise_email(email)}", "")
    wait = throttle.retry_after(key)
    if wait:
        raise Throttled(wait)
    throttle.record_failure(key)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "e": user.email})


def register_submitter(email: str, name: str, organisation: str, password: str) -> None:
    """Register (or send the link again). The caller answers the same whatever happens here."""
    email = normalise_email(email)
    _count_attempt("register", email)
    user = get_user_by_email(email)
    if user is None:
        user = create_user(email, name, external_agency(), password, roles=(), active=False)
        db.session.add(SubmitterAccount(user=user, organisation=organisation.strip()))
        db.session.flush()
        confirmation_mail(email, user.name, make_token(user))
        return
    account = db.session.query(SubmitterAccount).filter_by(user_id=user.id).one_or_none()
    if account is not None and account.confirmed_at is None:
        confirmation_mail(email, user.name, make_token(user))
    else:
        already_registered_mail(user)


def read_token(token: str) -> Optional[dict]:
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) and {"u", "e"} <= set(data) else None


def confirm_registration(token: str) -> User:
    data = read_token(token)
    if data is None:
        raise Refused("This confirmation link is not valid or has expired (links last 3 days). Register again to "
                      "get a new one.")
    _count_attempt("confirm", str(data["e"]))
    user = db.session.get(User, data["u"])
    account = db.session.query(SubmitterAccount).filter_by(user_id=data["u"]).one_or_none()
    if user is None or account is None or user.email != data["e"]:
        raise Refused("This confirmation link is not valid any more. Register again to get a new one.")
    if account.confirmed_at is None:
        account.confirmed_at = clock.now()
        user.active = True
        db.session.flush()
    return user
