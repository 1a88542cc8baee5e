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


def test_audit_query_filters_give_exactly_the_matching_rows_newest_first(db):
    import datetime as dt

    def at(day: int, hour: int) -> dt.datetime:  # midday-ish: the same date in UTC and in Geneva
        return dt.datetime(2014, 5, day, hour, tzinfo=dt.timezone.utc)

    rows = [  # (label, when, who, action, object type)
        ("A", at(12, 10), "chair@example.org", "create", "Activity"),
        ("B", at(12, 15), "system", "create", "Agency"),
        ("C", at(13, 9), "focal.iom@example.org", "update", "Activity"),
        ("D", at(13, 12), "chair@example.org", "delete", "Milestone"),
        ("E", at(14, 11), "admin@example.org", "login", ""),
        ("F", at(14, 13), "Focal.IOM@example.org", "update", "Agency"),
    ]
    db.session.execute(sa.insert(AuditEvent.__table__), [
        {"at": when, "actor_label": who, "action": action, "object_type": kind, "object_id": "1",
         "object_label": label, "changes": None, "ip_address": ""} for label, when, who, action, kind in rows])
    db.session.commit()

    def labels(**filters) -> list[str]:
        return [event.object_label for event in db.session.scalars(audit_query(**filters))]

    may = lambda day: dt.date(2014, 5, day)  # noqa: E731
    assert labels() == ["F", "E", "D", "C", "B", "A"]
    assert labels(action="update") == ["F", "C"]
    assert labels(object_type="Activity") == ["C", "A"]
    assert labels(actor="chair") == ["D", "A"]
    assert labels(actor="  iom ") == ["F", "C"]  # trimmed, any case
    assert labels(date_from=may(13)) == ["F", "E", "D", "C"]
    assert labels(date_to=may(12)) == ["B", "A"]
    assert labels(date_from=may(13), date_to=may(13)) == ["D", "C"]
    assert labels(action="update", object_type="Agency", actor="iom") == ["F"]
    assert labels(action="delete", object_type="Activity") == []
