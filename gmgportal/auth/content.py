"""Loading agencies and (in development) demo accounts from `content/`."""
from __future__ import annotations

from pathlib import Path

from gmgportal.auth.models import Agency, AgencyKind, User
from gmgportal.auth.passwords import hash_password
from gmgportal.auth.services import get_agency_by_code, get_user_by_email, normalise_email, set_roles
from gmgportal.core.content import (ContentError, content_digest, content_unchanged, read_yaml,
                                    register_content_loader, remember_content, require)
from gmgportal.core.permissions import Role
from gmgportal.extensions import db


def load_agencies(content_dir: Path, options: dict) -> str:
    path = content_dir / "agencies.yaml"
    data = read_yaml(path)
    records = require(data, "agencies", path, list)
    digest = content_digest([path])
    if content_unchanged("agencies.yaml", digest, options):
        return "agencies: unchanged since the last load (edits made in the portal are kept)"
    created = updated = 0
    for record in records:
        code = require(record, "code", path).strip()
        name = require(record, "name", path).strip()
        kind_value = record.get("kind", "member")
        if kind_value not in {k.value for k in AgencyKind}:
            raise ContentError(path, record.line, f"kind must be member, collaborator or other, not {kind_value!r}")
        agency = get_agency_by_code(code)
        if agency is None:
            db.session.add(Agency(code=code, name=name, kind=AgencyKind(kind_value)))
            db.session.flush()
            created += 1
        elif (agency.name, agency.kind.value) != (name, kind_value):
            agency.name, agency.kind = name, AgencyKind(kind_value)
            updated += 1
    remember_content("agencies.yaml", digest)
    return f"agencies: {created} created, {updated} updated, {len(records)} in file"


def load_demo_accounts(content_dir: Path, options: dict) -> str:
    if not options.get("demo_accounts"):
        return "demo accounts: skipped"
    path = content_dir / "demo_accounts.yaml"
    data = read_yaml(path)
    password = require(data, "password", path)
    hashed = hash_password(password)
    created = 0
    for record in require(data, "users", path, list):
        email = normalise_email(require(record, "email", path))
        if get_user_by_email(email) is not None:
            continue  # keep what is there: a changed password or name stays changed
        agency = get_agency_by_code(require(record, "agency", path))
        if agency is None:
            raise ContentError(path, record.line, f"unknown agency {record['agency']!r}")
        try:
            roles = [Role(r) for r in require(record, "roles", path, list)]
        except ValueError as error:
            raise ContentError(path, record.line, f"unknown role: {error}") from error
        user = User(email=email, name=require(record, "name", path), agency=agency, password_hash=hashed)
        set_roles(user, roles)
        db.session.add(user)
        created += 1
    return f"demo accounts: {created} created (password: {password})"


def register_auth_content(app) -> None:
    register_content_loader(app, "agencies", 10, load_agencies)
    register_content_loader(app, "demo_accounts", 90, load_demo_accounts)
