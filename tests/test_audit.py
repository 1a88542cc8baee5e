"""Every create, update and delete of an audited model is logged with before/after."""
from __future__ import annotations

import sqlalchemy as sa

from gmgportal.auth import services
from gmgportal.auth.models import Agency, AgencyKind
from gmgportal.core.audit import AuditEvent, audit_query


def _events(db, object_type=None):
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    return db.session.scalars(query).all()


def test_create_update_delete_are_logged_with_before_and_after(db):
    agency = services.save_agency(None, "UNHCR", "Refugee agency", AgencyKind.OTHER)
    services.save_agency(agency, "UNHCR", "UN Refugee Agency", AgencyKind.OTHER)
    db.session.delete(agency)
    db.session.commit()
    create, update, delete = _events(db, "Agency")
    assert create.action == "create" and create.changes["name"] == {"before": None, "after": "Refugee agency"}
    assert update.action == "update"
    assert update.changes == {"name": {"before": "Refugee agency", "after": "UN Refugee Agency"}}
    assert delete.action == "delete" and delete.changes["code"]["before"] == "UNHCR"
    assert create.actor_label == "system" and create.object_label == "UNHCR"
    assert create.object_id == update.object_id == delete.object_id == str(agency.id)


def test_a_rolled_back_change_leaves_no_audit_row(db):
    db.session.add(Agency(code="TMP", name="Temporary", kind=AgencyKind.OTHER))
    db.session.flush()
    db.session.rollback()
    assert _events(db, "Agency") == []


def test_unchanged_save_writes_nothing(db):
    agency = services.save_agency(None, "ILO", "International Labour Organization", AgencyKind.MEMBER)
    services.save_agency(agency, "ILO", "International Labour Organization", AgencyKind.MEMBER)
    assert [e.action for e in _events(db, "Agency")] == ["create"]


def test_password_changes_are_logged_but_redacted(db, make_user):
    user = make_user("fp@example.org")
    services.change_password(user, "another long password")
    update = [e for e in _events(db, "User") if e.action == "update"][-1]
    assert update.changes["password_hash"] == {"before": "[redacted]", "after": "[redacted]"}


def test_actions_by_a_logged_in_user_name_them(db, auth, make_user, client):
    make_user("fp@example.org")
    auth.login("fp@example.org")
    token = auth.csrf_token("/account")
    client.post("/account", data={"name": "New Name", "time_zone": "Europe/Paris", "csrf_token": token})
    update = [e for e in _events(db, "User") if e.action == "update"][-1]
    assert update.actor_label == "fp@example.org"
    assert update.changes["time_zone"] == {"before": "UTC", "after": "Europe/Paris"}
    assert update.ip_address == "127.0.0.1"


def test_audit_query_filters(db, make_user):
    make_user("a@example.org")
    assert db.session.scalars(audit_query(object_type="User", action="create")).all()
    assert not db.session.scalars(audit_query(object_type="User", action="delete")).all()
    assert db.session.scalars(audit_query(actor="system")).all()
