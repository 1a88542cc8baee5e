"""Loading agencies and (in development) demo accounts from `content/`."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from pydantic import EmailStr, Field

from gmgportal.auth.models import Agency, AgencyKind, User
from gmgportal.auth.passwords import hash_password
from gmgportal.auth.services import get_agency_by_code, get_user_by_email, normalise_email, set_roles
from gmgportal.core.content import (ContentError, content_digest, content_unchanged, get_or_add, read_yaml,
                                    register_content_loader, remember_content)
from gmgportal.core.permissions import Role
from gmgportal.core.schemas import ContentRecord, validate_content
from gmgportal.extensions import db


class AgencyRecord(ContentRecord):
    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=200)
    kind: AgencyKind = AgencyKind.MEMBER


class AgenciesFile(ContentRecord):
    agencies: list[AgencyRecord]


class DemoUserRecord(ContentRecord):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    agency: str
    roles: list[Role]


class DemoAccountsFile(ContentRecord):
    password: str = Field(min_length=10)
    users: list[DemoUserRecord]


def agencies_by_code() -> dict[str, Agency]:
    """The agencies loaded so far, by code: the other content files name agencies by their code."""
    return {a.code: a for a in db.session.scalars(sa.select(Agency))}


def unknown_agency(code: str, agencies: dict[str, Agency]) -> str:
    """What a content file is told when it names an agency that agencies.yaml does not define."""
    known = ", ".join(sorted(agencies)) or "none (agencies.yaml loads first)"
    return f"unknown agency {code!r}; known agencies: {known}"


def load_agencies(content_dir: Path, options: dict) -> str:
    path = content_dir / "agencies.yaml"
    records = validate_content(AgenciesFile, read_yaml(path), path).agencies
    digest = content_digest([path])
    if content_unchanged("agencies.yaml", digest, options):
        return "agencies: unchanged since the last load (edits made in the portal are kept)"
    created = updated = 0
    for record in records:
        agency, new = get_or_add(Agency, code=record.code)
        if new or (agency.name, agency.kind) != (record.name, record.kind):
            agency.name, agency.kind = record.name, record.kind
            created, updated = created + new, updated + (not new)
        db.session.flush()
    remember_content("agencies.yaml", digest)
    return f"agencies: {created} created, {updated} updated, {len(records)} in file"


def load_demo_accounts(content_dir: Path, options: dict) -> str:
    if not options.get("demo_accounts"):
        return "demo accounts: skipped"
    path = content_dir / "demo_accounts.yaml"
    data = validate_content(DemoAccountsFile, read_yaml(path), path)
    hashed = hash_password(data.password)
    created = 0
    for record in data.users:
        email = normalise_email(record.email)
        if get_user_by_email(email) is not None:
            continue  # keep what is there: a changed password or name stays changed
        agency = get_agency_by_code(record.agency)
        if agency is None:
            raise ContentError(path, record.line, f"unknown agency {record.agency!r}")
        user = User(email=email, name=record.name, agency=agency, password_hash=hashed)
        set_roles(user, record.roles)
        db.session.add(user)
        created += 1
    return f"demo accounts: {created} created (password: {data.password})"


def register_auth_content(app) -> None:
    register_content_loader(app, "agencies", 10, load_agencies)
    register_content_loader(app, "demo_accounts", 90, load_demo_accounts)
