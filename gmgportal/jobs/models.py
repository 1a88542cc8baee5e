"""The job record: what runs in the background, for whom, how far it got."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gmgportal.core.attachments import StoredFile
from gmgportal.core.models import LabelledEnum, UTCDateTime, enum_type, utcnow
from gmgportal.core.permissions import is_chair_or_admin
from gmgportal.extensions import db

LOST_MESSAGE = "The worker stopped while this job was running. Retry it."


def heard_of_since(heartbeat_at: datetime | None, started_at: datetime | None, cutoff: datetime) -> bool:
    """Whether a running job's worker has given a sign of life (heartbeat or start) since `cutoff`."""
    seen = heartbeat_at or started_at
    return seen is not None and seen >= cutoff


class JobState(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED_STATES


FINISHED_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


class Job(db.Model):
    """Written by the request that starts it and by the worker that runs it; GET pages only read.

    `attempt` grows with each retry: the worker's writes are conditional on it
    and on the state, so a cancelled or reaped run can never overwrite a newer one.
    """

    __tablename__ = "job"
    __table_args__ = (
        sa.UniqueConstraint("started_by_id", "idempotency_key", name="uq_job_started_by_id_idempotency_key"),
        sa.Index("ix_job_state_heartbeat_at", "state", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # Who started it: a plain foreign key by table name (jobs know no feature); pages show the
    # person through the app's user lookup (`gmgportal.core.users.user_cards`).
    started_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    idempotency_key: Mapped[Optional[str]] = mapped_column(sa.String(64))
    state: Mapped[JobState] = mapped_column(
        enum_type(JobState, length=20),
        default=JobState.QUEUED, index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    percent: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(255), default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    worker_id: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    result_file_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("stored_file.id", ondelete="SET NULL"), index=True)
    result_name: Mapped[str] = mapped_column(sa.String(255), default="")
    result_removed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    result_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[result_file_id])

    def audit_label(self) -> str:
        return f"Job {self.id}: {self.title}"

    # Permissions: used to refuse a request and to hide a button.
    def can_view(self, user: Any) -> bool:
        if is_chair_or_admin(user):
            return True
        return bool(getattr(user, "is_authenticated", False)) and user.id == self.started_by_id

    def can_manage(self, user: Any) -> bool:
        """Cancel and retry: whoever started it, and chairs and administrators."""
        return self.can_view(user)

    def is_lost(self, now: datetime | None = None, stale_seconds: float = 30) -> bool:
        """Running, but its worker has not been heard of for `stale_seconds`."""
        if self.state is not JobState.RUNNING:
            return False
        cutoff = (now or utcnow()) - timedelta(seconds=stale_seconds)
        return not heard_of_since(self.heartbeat_at, self.started_at, cutoff)

    @property
    def has_result(self) -> bool:
        return self.state is JobState.DONE and self.result_file_id is not None
