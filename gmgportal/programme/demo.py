"""Demo progress for development: the updates the May 2014 report describes (`content/demo_progress.yaml`).

Loaded with the demo accounts only (never in production); an update already there
(same activity, author and as-of date) is not logged twice.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from pydantic import EmailStr, Field

from gmgportal.auth.services import get_user_by_email
from gmgportal.core.content import ContentError, read_yaml, register_content_loader
from gmgportal.core.schemas import ContentRecord, validate_content
from gmgportal.extensions import db
from gmgportal.programme.models import Activity, ProgressUpdate, Status
from gmgportal.programme.operations import ProgressData, log_progress


class DemoUpdateRecord(ContentRecord):
    activity: str
    author: EmailStr
    as_of: dt.date
    status: Status
    percent: int = Field(ge=0, le=100)
    narrative: str = Field(min_length=1)


class DemoProgressFile(ContentRecord):
    updates: list[DemoUpdateRecord]


def load_demo_progress(content_dir: Path, options: dict) -> str:
    if not options.get("demo_accounts"):
        return "demo progress: skipped"
    path = content_dir / "demo_progress.yaml"
    if not path.exists():
        return "demo progress: no file"
    records = validate_content(DemoProgressFile, read_yaml(path), path).updates
    activities = {a.ref: a for a in db.session.scalars(sa.select(Activity))}
    logged = 0
    for record in records:
        activity, author = activities.get(record.activity), get_user_by_email(record.author)
        if activity is None or author is None:
            missing = f"activity {record.activity!r}" if activity is None else f"user {record.author!r}"
            raise ContentError(path, record.line, f"unknown {missing}")
        if db.session.scalar(sa.select(ProgressUpdate.id).where(
                ProgressUpdate.activity_id == activity.id, ProgressUpdate.author_id == author.id,
                ProgressUpdate.as_of == record.as_of)) is not None:
            continue
        log_progress(activity, author, ProgressData(record.as_of, record.status, record.percent, record.narrative))
        logged += 1
    return f"demo progress: {logged} updates logged"


def register_demo_progress(app) -> None:
    register_content_loader(app, "demo_progress", 95, load_demo_progress)
