"""Working groups and their work programme."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gmgportal.auth.models import Agency, User
from gmgportal.core.attachments import StoredFile
from gmgportal.core.audit import Auditable
from gmgportal.core.models import LabelledEnum, TimestampMixin, UTCDateTime, enum_type, link_table, utcnow
from gmgportal.core.permissions import Role, has_role, is_member
from gmgportal.extensions import db


class Status(LabelledEnum):
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    DELAYED = "delayed"
    COMPLETED = "completed"


class FindingKind(LabelledEnum):
    KEY_FINDING = "key_finding"
    LESSON_LEARNED = "lesson_learned"
    RISK = "risk"
    DEPENDENCY = "dependency"
    OUTCOME = "outcome"

    @property
    def plural_label(self) -> str:
        return {"key_finding": "Key findings", "lesson_learned": "Lessons learned", "risk": "Risks",
                "dependency": "Dependencies", "outcome": "Outcomes"}[self.value]


def status_column(**kwargs: Any):
    return mapped_column(
        enum_type(Status, length=20), **kwargs
    )


def can_read_programme(user: Any) -> bool:
    """The programme's reading rule: every member reads every activity, its progress
    updates and their attachments (outside submitters do not)."""
    return is_member(user)


def can_manage_programme(user: Any) -> bool:
    """Chairs and co-chairs change outputs, activities, milestones and findings."""
    return has_role(user, Role.CHAIR)


activity_partner = link_table("activity_partner", ("activity_id", "activity.id"), ("agency_id", "agency.id"))
activity_theme = link_table("activity_theme", ("activity_id", "activity.id"), ("theme_id", "theme.id"))


class WorkingGroup(Auditable, TimestampMixin, db.Model):
    __tablename__ = "working_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    short_name: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    chair_agency_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"))
    co_chair_agency_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"))
    chair_person: Mapped[str] = mapped_column(sa.String(200), default="")
    co_chair_person: Mapped[str] = mapped_column(sa.String(200), default="")

    chair_agency: Mapped[Optional[Agency]] = relationship(foreign_keys=[chair_agency_id])
    co_chair_agency: Mapped[Optional[Agency]] = relationship(foreign_keys=[co_chair_agency_id])
    objectives: Mapped[list["Objective"]] = relationship(
        back_populates="group", order_by="Objective.position", cascade="all, delete-orphan")
    outputs: Mapped[list["Output"]] = relationship(
        back_populates="group", order_by="Output.position", cascade="all, delete-orphan")
    findings: Mapped[list["Finding"]] = relationship(back_populates="group", cascade="all, delete-orphan")

    def audit_label(self) -> str:
        return self.short_name


class Theme(Auditable, db.Model):
    """A cross-cutting theme (gender, capacity building, public perceptions)."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    activities: Mapped[list["Activity"]] = relationship(secondary=activity_theme, back_populates="themes")


class Objective(Auditable, db.Model):
    __tablename__ = "objective"
    __table_args__ = (sa.UniqueConstraint("group_id", "position", name="uq_objective_group_id_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("working_group.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(sa.Text)

    group: Mapped[WorkingGroup] = relationship(back_populates="objectives")

    def audit_label(self) -> str:
        return f"Objective {self.position}"


class Output(Auditable, TimestampMixin, db.Model):
    __tablename__ = "output"
    __table_args__ = (sa.UniqueConstraint("group_id", "code", name="uq_output_group_id_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("working_group.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    group: Mapped[WorkingGroup] = relationship(back_populates="outputs")
    activities: Mapped[list["Activity"]] = relationship(
        back_populates="output", order_by="Activity.number", cascade="all, delete-orphan")

    def audit_label(self) -> str:
        return f"Output {self.code}"


class Activity(Auditable, TimestampMixin, db.Model):
    __tablename__ = "activity"
    __table_args__ = (sa.UniqueConstraint("output_id", "number", name="uq_activity_output_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    output_id: Mapped[int] = mapped_column(sa.ForeignKey("output.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    lead_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    start_date: Mapped[Optional[dt.date]] = mapped_column(sa.Date)
    due_date: Mapped[Optional[dt.date]] = mapped_column(sa.Date)
    status: Mapped[Status] = status_column(default=Status.NOT_STARTED)
    percent_complete: Mapped[int] = mapped_column(default=0)

    output: Mapped[Output] = relationship(back_populates="activities")
    lead_agency: Mapped[Agency] = relationship()
    partners: Mapped[list[Agency]] = relationship(secondary=activity_partner, order_by=Agency.code)
    themes: Mapped[list[Theme]] = relationship(
        secondary=activity_theme, back_populates="activities", order_by=Theme.position)
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="activity", order_by="(Milestone.due_date, Milestone.id)", cascade="all, delete-orphan")
    updates: Mapped[list["ProgressUpdate"]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def ref(self) -> str:
        """The number as the group writes it: "1.2 (1)"."""
        return f"{self.output.code} ({self.number})"

    @property
    def agency_ids(self) -> set[int]:
        return {self.lead_agency_id, *(a.id for a in self.partners)}

    def can_log_progress(self, user: Any) -> bool:
        """Chairs, and focal points of the lead or a partner agency."""
        if has_role(user, Role.CHAIR):
            return True
        return has_role(user, Role.FOCAL_POINT) and user.agency_id in self.agency_ids

    def audit_label(self) -> str:
        code = self.output.code if self.output is not None else "?"
        return f"Activity {code} ({self.number})"


class Milestone(Auditable, TimestampMixin, db.Model):
    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    due_date: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    done_date: Mapped[Optional[dt.date]] = mapped_column(sa.Date)

    activity: Mapped[Activity] = relationship(back_populates="milestones")

    def is_done(self, as_of: dt.date) -> bool:
        return self.done_date is not None and self.done_date <= as_of

    def is_overdue(self, as_of: dt.date) -> bool:
        return not self.is_done(as_of) and self.due_date < as_of

    def state(self, as_of: dt.date) -> str:
        """A status tag key as of a date: completed, overdue or not_started (upcoming)."""
        if self.is_done(as_of):
            return "completed"
        return "overdue" if self.due_date < as_of else "not_started"

    def audit_label(self) -> str:
        return self.title


class ProgressUpdate(Auditable, db.Model):
    __tablename__ = "progress_update"
    __table_args__ = (
        sa.Index("ix_progress_update_activity_latest", "activity_id", "as_of", "id"),
        sa.CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activity.id", ondelete="CASCADE"))
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[Status] = status_column()
    percent_complete: Mapped[int] = mapped_column()
    narrative: Mapped[str] = mapped_column(sa.Text, default="")
    evidence_links: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    activity: Mapped[Activity] = relationship(back_populates="updates")
    author: Mapped[Optional[User]] = relationship()
    agency: Mapped[Agency] = relationship()
    attachments: Mapped[list["ProgressAttachment"]] = relationship(
        back_populates="update", cascade="all, delete-orphan", order_by="ProgressAttachment.id")

    def can_edit(self, user: Any) -> bool:
        """Only the author corrects an update (and only while they may still log progress)."""
        return (getattr(user, "is_authenticated", False) and self.author_id == user.id
                and self.activity.can_log_progress(user))

    def audit_label(self) -> str:
        return f"Progress update of {self.as_of.isoformat() if self.as_of else '?'}"


class ProgressAttachment(Auditable, db.Model):
    __tablename__ = "progress_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(sa.ForeignKey("progress_update.id", ondelete="CASCADE"), index=True)
    stored_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))

    update: Mapped[ProgressUpdate] = relationship(back_populates="attachments")
    stored_file: Mapped[StoredFile] = relationship(lazy="joined")

    def audit_label(self) -> str:
        return self.filename


class Finding(Auditable, TimestampMixin, db.Model):
    """A key finding, lesson learned, risk, dependency or outcome."""

    __tablename__ = "finding"
    __table_args__ = (sa.UniqueConstraint("group_id", "content_key", name="uq_finding_group_id_content_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("working_group.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FindingKind] = mapped_column(
        enum_type(FindingKind, length=20))
    text: Mapped[str] = mapped_column(sa.Text)
    activity_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("activity.id", ondelete="SET NULL"), index=True)
    theme_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("theme.id", ondelete="SET NULL"), index=True)
    noted_on: Mapped[dt.date] = mapped_column(sa.Date)
    # Set for findings that come from content/ so that re-loading updates them.
    content_key: Mapped[Optional[str]] = mapped_column(sa.String(80))

    group: Mapped[WorkingGroup] = relationship(back_populates="findings")
    activity: Mapped[Optional[Activity]] = relationship()
    theme: Mapped[Optional[Theme]] = relationship()

    def audit_label(self) -> str:
        return f"{self.kind.label if self.kind else 'Finding'} of {self.noted_on}"


class ReminderSent(Auditable, db.Model):
    """One row per milestone and day a reminder went out: `send-reminders` is safe to re-run."""

    __tablename__ = "milestone_reminder"
    __table_args__ = (sa.UniqueConstraint("milestone_id", "sent_on", name="uq_milestone_reminder_milestone_id_sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(sa.ForeignKey("milestone.id", ondelete="CASCADE"))
    sent_on: Mapped[dt.date] = mapped_column(sa.Date)
    recipients: Mapped[str] = mapped_column(sa.Text, default="")

    def audit_label(self) -> str:
        return f"Reminder for milestone {self.milestone_id} on {self.sent_on}"
