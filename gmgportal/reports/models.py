"""Progress reports: drafts (assembled live, with the chairs' section edits) and frozen, numbered
snapshots that never change."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from gmgportal.auth.models import User
from gmgportal.core.audit import Auditable
from gmgportal.core.models import LabelledEnum, TimestampMixin, UTCDateTime, enum_type
from gmgportal.core.permissions import Role, has_role, is_member
from gmgportal.extensions import db
from gmgportal.programme.models import WorkingGroup
from gmgportal.programme.queries import Period

HEADER_KEY = "header"


class ReportStatus(LabelledEnum):
    DRAFT = "draft"
    FROZEN = "frozen"


def can_manage_reports(user: Any) -> bool:
    """Chairs and co-chairs generate, edit, freeze and publish reports."""
    return has_role(user, Role.CHAIR)


class Report(Auditable, TimestampMixin, db.Model):
    __tablename__ = "progress_report"
    __table_args__ = (
        sa.UniqueConstraint("group_id", "number", name="uq_progress_report_group_id_number"),
        sa.CheckConstraint("period_start <= period_end", name="period_order"),
    )
    # Once frozen, only these may still change (publishing).
    MUTABLE_WHEN_FROZEN = frozenset({"published", "published_at", "public", "updated_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("working_group.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[dt.date] = mapped_column(sa.Date)
    period_end: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus, length=20), default=ReportStatus.DRAFT)
    number: Mapped[Optional[int]] = mapped_column()
    created_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    frozen_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    frozen_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    public: Mapped[bool] = mapped_column(default=False)
    # The chart's numbers as of the end date, kept when frozen (assemble.Figures.to_dict()).
    figures: Mapped[Optional[dict]] = mapped_column(sa.JSON)

    group: Mapped[WorkingGroup] = relationship()
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    frozen_by: Mapped[Optional[User]] = relationship(foreign_keys=[frozen_by_id])
    edits: Mapped[list["SectionEdit"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", passive_deletes=True)
    snapshot: Mapped[list["SnapshotSection"]] = relationship(
        back_populates="report", order_by="SnapshotSection.position", passive_deletes=True)

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    @property
    def is_frozen(self) -> bool:
        return self.status == ReportStatus.FROZEN

    @property
    def name(self) -> str:
        """"TWG1 progress report 2" once frozen, "Draft TWG1 progress report" before."""
        short = self.group.short_name
        return f"{short} progress report {self.number}" if self.is_frozen else f"Draft {short} progress report"

    def can_manage(self, user: Any) -> bool:
        return can_manage_reports(user)

    def can_read(self, user: Any) -> bool:
        """Chairs read every report; logged-in members the published ones; anyone a public one."""
        if self.can_manage(user):
            return True
        if self.published and self.public:
            return True
        return self.published and is_member(user)

    def audit_label(self) -> str:
        return f"{self.name} ({self.period_start} to {self.period_end})"


class SectionEdit(Auditable, TimestampMixin, db.Model):
    """A chair's text for one section of a draft, and the digest of the generated text it was written against."""

    __tablename__ = "progress_report_edit"
    __table_args__ = (sa.UniqueConstraint("report_id", "section_key", name="uq_progress_report_edit_report_id_section_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("progress_report.id", ondelete="CASCADE"))
    section_key: Mapped[str] = mapped_column(sa.String(40))
    markdown: Mapped[str] = mapped_column(sa.Text)
    data_digest: Mapped[str] = mapped_column(sa.String(64))
    edited_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)

    report: Mapped[Report] = relationship(back_populates="edits")
    edited_by: Mapped[Optional[User]] = relationship()

    def audit_label(self) -> str:
        return f"Section {self.section_key} of report {self.report_id}"


class SnapshotSection(Auditable, db.Model):
    """One section of a frozen report as rendered Markdown (position 0: the header). Never changed."""

    __tablename__ = "progress_report_section"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "section_key", name="uq_progress_report_section_report_id_section_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("progress_report.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    section_key: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    markdown: Mapped[str] = mapped_column(sa.Text)

    report: Mapped[Report] = relationship(back_populates="snapshot")

    @property
    def key(self) -> str:
        return self.section_key

    @property
    def number(self) -> int:
        return self.position

    @property
    def body(self) -> str:
        return self.markdown

    def audit_label(self) -> str:
        return f"Section {self.section_key} of report {self.report_id}"


class FrozenReportChanged(RuntimeError):
    """A frozen report or its snapshot was about to change: a bug, since the services refuse first."""


@event.listens_for(Session, "before_flush")
def _keep_snapshots_immutable(session: Session, flush_context, instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, SnapshotSection) and session.is_modified(obj, include_collections=False):
            raise FrozenReportChanged("A frozen report's sections never change.")
        if isinstance(obj, Report):
            state = sa.inspect(obj)
            was_frozen = obj.status == ReportStatus.FROZEN and not state.attrs.status.history.has_changes()
            changed = {a.key for a in state.attrs if a.history.has_changes()} - Report.MUTABLE_WHEN_FROZEN
            if was_frozen and changed & {c.key for c in sa.inspect(Report).column_attrs}:
                raise FrozenReportChanged(f"A frozen report cannot change ({', '.join(sorted(changed))}).")
    for obj in session.deleted:
        if isinstance(obj, SnapshotSection) or (isinstance(obj, Report) and obj.is_frozen):
            raise FrozenReportChanged("A frozen report is never deleted.")
