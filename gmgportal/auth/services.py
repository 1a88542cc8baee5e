"""Operations on agencies, users and login sessions. No request objects here:
callers pass what they know about the client."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from gmgportal.auth.models import Agency, AgencyKind, LoginSession, User, UserRole, hash_token
from gmgportal.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from gmgportal.core.audit import record_event
from gmgportal.core.errors import Refused
from gmgportal.core.models import utcnow
from gmgportal.core.permissions import Role
from gmgportal.core.tables import Sort
from gmgportal.core.throttle import login_throttle, minutes_text, throttle_key
from gmgportal.core.uow import conflict_as
from gmgportal.extensions import db


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed attempts. Try again in {minutes_text(retry_after)}.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ClientInfo:
    ip_address: str = ""
    user_agent: str = ""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> Optional[User]:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def get_agency_by_code(code: str) -> Optional[Agency]:
    return db.session.scalar(sa.select(Agency).where(Agency.code == code.strip()))


def list_agencies() -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).order_by(Agency.kind, Agency.code)))


def _agency_code_taken(code: str) -> Refused:
    return Refused(f"The code {code} is already used by another agency.", field="code")


def save_agency(agency: Agency | None, code: str, name: str, kind: AgencyKind) -> Agency:
    """Create (agency None) or change an agency; refuses a code another agency has."""
    code = code.strip()
    existing = get_agency_by_code(code)
    if existing is not None and existing is not agency:
        raise Refused(f"The code {code} is already used by {existing.name}.", field="code")
    with conflict_as(lambda: _agency_code_taken(code)):
        if agency is None:
            agency = Agency()
            db.session.add(agency)
        agency.code, agency.name, agency.kind = code, name.strip(), kind
    return agency


def _email_taken(email: str) -> Refused:
    return Refused("A user with this e-mail address already exists.", field="email")


def _check_email_free(email: str, user: User | None) -> None:
    other = get_user_by_email(email)
    if other is not None and other is not user:
        raise _email_taken(other.email)


def _check_password(password: str, email: str, name: str) -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise Refused(problem, field="password")


def set_roles(user: User, roles: Iterable[Role]) -> None:
    wanted = set(roles)
    for user_role in list(user.roles):
        if user_role.role not in wanted:
            user.roles.remove(user_role)
    for role in wanted - user.role_set:
        user.roles.append(UserRole(role=role))


def create_user(email: str, name: str, agency: Agency, password: str,
                roles: Iterable[Role] = (), time_zone: str = "UTC", active: bool = True) -> User:
    """A new user; refuses an e-mail address another user has."""
    email = normalise_email(email)
    _check_email_free(email, None)
    _check_password(password, email, name)
    password_hash = hash_password(password)
    with conflict_as(lambda: _email_taken(email)):  # the new user is made inside: see conflict_as
        user = User(email=email, name=name.strip(), agency=agency, password_hash=password_hash,
                    time_zone=time_zone, active=active)
        set_roles(user, roles)
        db.session.add(user)
    return user


def update_user(user: User, *, email: str, name: str, agency: Agency, roles: Iterable[Role],
                active: bool, time_zone: str, acting: User | None = None) -> User:
    """Change a user; an administrator (`acting`) cannot drop their own admin role or deactivate themselves."""
    email, roles = normalise_email(email), set(roles)
    _check_email_free(email, user)
    if acting is not None and acting.id == user.id and (Role.ADMIN not in roles or not active):
        raise Refused("You cannot remove your own administrator role or deactivate yourself.", field="roles")
    was_active = user.active
    with conflict_as(lambda: _email_taken(email)):
        user.email, user.name, user.agency, user.active = email, name.strip(), agency, active
        user.time_zone = time_zone
        set_roles(user, roles)
    if was_active and not active:
        _end_sessions(user)
    return user


def set_user_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        _end_sessions(user)
    db.session.flush()


def _end_sessions(user: User, keep_token: str | None = None) -> None:
    query = sa.delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_token:
        query = query.where(LoginSession.token_hash != hash_token(keep_token))
    db.session.execute(query)


def change_password(user: User, new_password: str, keep_token: str | None = None) -> None:
    """Set a new password and end every other session of this user."""
    _check_password(new_password, user.email, user.name)
    user.password_hash = hash_password(new_password)
    _end_sessions(user, keep_token)
    db.session.flush()


def check_current_password(user: User, password: str) -> bool:
    """Whether `password` is `user`'s, for pages that ask for it again; throttled like the login.

    Failures count per user (whoever holds the session, from wherever); raises
    LoginThrottled when there were too many.
    """
    throttle = login_throttle()
    key = throttle_key(f"current-password:{user.id}", "")
    wait = throttle.retry_after(key)
    if wait:
        raise LoginThrottled(wait)
    if verify_password(user.password_hash, password):
        throttle.reset(key)
        return True
    record_event("password_check_failure", user)
    db.session.flush()
    throttle.record_failure(key)
    return False


def update_preferences(user: User, name: str, time_zone: str) -> None:
    user.name, user.time_zone = name.strip(), time_zone
    db.session.flush()


def authenticate(email: str, password: str, client: ClientInfo) -> Optional[User]:
    """The user for these credentials, or None; raises LoginThrottled when locked out.

    Records success and failure in the audit log and counts failures per
    account and address.
    """
    throttle = login_throttle()
    key = throttle_key(email, client.ip_address)
    wait = throttle.retry_after(key)
    if wait:
        raise LoginThrottled(wait)
    user = get_user_by_email(email)
    valid = verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.active:
        reason = "inactive account" if (valid and user is not None) else "wrong e-mail or password"
        record_event("login_failure", user, {"email": normalise_email(email)[:255], "reason": reason})
        db.session.flush()
        throttle.record_failure(key)
        return None
    throttle.reset(key)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User, client: ClientInfo, remember: bool = False) -> str:
    """Open a login session for `user` and return its token (for the cookie).

    `remember`: "keep me logged in", a session that lives REMEMBER_COOKIE_DURATION
    from now instead of ending when idle. The user's long-expired sessions are removed.
    """
    token = LoginSession.new_token()
    now = utcnow()
    oldest = now - current_app.config["REMEMBER_COOKIE_DURATION"] - timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.created_at < oldest))
    db.session.add(LoginSession(token_hash=hash_token(token), user=user, created_at=now, last_seen_at=now,
                                remember=remember, user_agent=client.user_agent[:255],
                                ip_address=client.ip_address[:64]))
    user.last_login_at = now
    record_event("login_success", user, actor=(user.id, user.email))
    db.session.flush()
    user.session_token = token
    return token


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))
        db.session.flush()


@functools.cache
def _session_user_query() -> sa.Select:
    """Built once per process: building the statement cost as much as running it (docs/performance.md).

    It reads the data version too (core/dataversion.py), in the same statement: the page cache needs it.
    """
    from gmgportal.core.dataversion import version_column

    return (sa.select(User, LoginSession, version_column())
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(LoginSession.token_hash == sa.bindparam("token_hash"), User.active.is_(True))
            .options(joinedload(User.roles), joinedload(User.agency)))


def load_session_user(token: str) -> Optional[User]:
    """The active user holding this session token, with roles, agency and the session row
    (`user.login_session`), or None. Whether the session has expired is `session_ends_at`'s question.

    One query: it runs on every request, and every page shows the user's roles and agency.
    """
    row = db.session.execute(_session_user_query(), {"token_hash": hash_token(token)}).unique().one_or_none()
    if row is None:
        return None
    user, user.login_session, user.data_version = row
    user.session_token = token
    return user


def session_ends_at(login_session: LoginSession) -> datetime:
    """When the server ends this session: idle timeout and absolute lifetime, or the remember-me lifetime."""
    config = current_app.config
    if login_session.remember:
        return login_session.created_at + config["REMEMBER_COOKIE_DURATION"]
    return min(login_session.created_at + timedelta(hours=config["SESSION_MAX_HOURS"]),
               login_session.last_seen_at + timedelta(minutes=config["SESSION_IDLE_MINUTES"]))


def session_needs_touch(login_session: LoginSession, now: datetime) -> bool:
    """Whether "last seen" is old enough to be written again (at most every SESSION_TOUCH_MINUTES)."""
    return now - login_session.last_seen_at >= timedelta(minutes=current_app.config["SESSION_TOUCH_MINUTES"])


def touch_session_statement(login_session: LoginSession, now: datetime) -> sa.Update:
    return sa.update(LoginSession).where(LoginSession.id == login_session.id).values(last_seen_at=now)


def end_session_statement(login_session: LoginSession) -> sa.Delete:
    return sa.delete(LoginSession).where(LoginSession.id == login_session.id)


USER_SORTS = {
    "name": (User.name,),
    "email": (User.email,),
    "agency": (Agency.code, User.name),
    "status": (User.active, User.name),
}


def list_users(agency_id: int | None = None, role: Role | None = None, include_inactive: bool = True,
               sort: Sort = Sort("name")) -> list[User]:
    columns = USER_SORTS[sort.key]
    order = [c.desc() if sort.descending else c.asc() for c in columns] + [User.id]
    query = (sa.select(User).join(User.agency).options(selectinload(User.agency), selectinload(User.roles))
             .order_by(*order))
    if agency_id:
        query = query.where(User.agency_id == agency_id)
    if role:
        query = query.where(User.roles.any(UserRole.role == role))
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query))
