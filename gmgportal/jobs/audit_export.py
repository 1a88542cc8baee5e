"""The first long task: the whole audit log as a CSV file, for chairs and administrators."""
from __future__ import annotations

import json

import sqlalchemy as sa

from gmgportal.core.audit import AuditEvent
from gmgportal.core.models import utcnow
from gmgportal.core.permissions import is_chair_or_admin
from gmgportal.core.spreadsheets import csv_cell, csv_writer
from gmgportal.extensions import db
from gmgportal.jobs.progress import Progress
from gmgportal.jobs.registry import register_task

BATCH_SIZE = 2000
COLUMNS = ["id", "when_utc", "who", "who_user_id", "action", "object_type", "object_id", "object", "changes",
           "ip_address"]


def _row(event: AuditEvent) -> list[str]:
    changes = json.dumps(event.changes, ensure_ascii=False, sort_keys=True) if event.changes else ""
    values = [event.id, event.at.strftime("%Y-%m-%d %H:%M:%S"), event.actor_label, event.actor_id or "",
              event.action, event.object_type, event.object_id, event.object_label, changes, event.ip_address]
    return [csv_cell(v) for v in values]


def may_export_audit_log(user) -> bool:
    return is_chair_or_admin(user)


@register_task("audit_export", title="Export the audit log as CSV", may_start=may_export_audit_log,
               start_label="Export the audit log",
               description="Every change recorded in the portal (who, what, when, before and after) "
                           "as a CSV file for a spreadsheet.")
def export_audit_log(progress: Progress, params: dict) -> None:
    last_id = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    total = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.id <= last_id)) or 0
    progress.step(0, total, "row")
    path = progress.temp_file(".csv")
    done, after = 0, 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv_writer(handle)
        writer.writerow(COLUMNS)
        while done < total:
            batch = list(db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.id > after, AuditEvent.id <= last_id)
                .order_by(AuditEvent.id).limit(BATCH_SIZE)))
            if not batch:
                break
            writer.writerows(_row(event) for event in batch)
            done, after = done + len(batch), batch[-1].id
            for event in batch:  # keep memory flat however long the log
                db.session.expunge(event)
            progress.step(done, total, "row")
    progress.finish_with_file(path, f"audit-log-{utcnow():%Y-%m-%d}.csv", "csv")
