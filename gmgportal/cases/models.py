"""The expert group meeting's call for case studies: call, rubric, submissions,
reviewers, assignments, reviews, discussion and decisions."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gmgportal.auth.models import Agency, User
from gmgportal.core.attachments import StoredFile
from gmgportal.core.audit import Auditable
from gmgportal.core.models import LabelledEnum, TimestampMixin, UTCDateTime, enum_type, utcnow
from gmgportal.core.permissions import Role, has_role
from gmgportal.extensions import db

# The agency that people who register themselves (outside the group) belong to.
EXTERNAL_AGENCY_CODE = "External"


class DataKind(LabelledEnum):
    BIG_DATA = "big_data"
    MOBILE_PHONE_RECORDS = "mobile_phone_records"
    SOCIAL_MEDIA = "social_media"
    SATELLITE_IMAGERY = "satellite_imagery"
    ADMINISTRATIVE_REGISTERS = "administrative_registers"
    HOUSEHOLD_SURVEYS = "household_surveys"
    CENSUSES = "censuses"
    OTHER = "other"


class SubmissionStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class ReviewState(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CONFLICT = "conflict"  # the reviewer declared a conflict instead of reviewing

    @property
    def label(self) -> str:
        return {"draft": "Draft", "submitted": "Submitted", "conflict": "Conflict declared"}[self.value]


class Recommendation(LabelledEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    DISCUSS = "discuss"


class Outcome(LabelledEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    WAITLIST = "waitlist"

    @property
    def label(self) -> str:
        return {"accept": "Accepted", "reject": "Not accepted", "waitlist": "Waiting list"}[self.value]


class ProposalStatus(LabelledEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"


def is_chair(user: Any) -> bool:
    return has_role(user, Role.CHAIR)


class Call(Auditable, TimestampMixin, db.Model):
    __tablename__ = "case_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    review_due: Mapped[Optional[dt.date]] = mapped_column(sa.Date)
    reviewers_per_case: Mapped[int] = mapped_column(default=3)
    max_load: Mapped[int] = mapped_column(default=10)
    presentation_slots: Mapped[int] = mapped_column(default=0)
    decisions_released_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    # The programme activity the call belongs to ("1.2 (3)"), as the handbook names its own.
    activity_ref: Mapped[str] = mapped_column(sa.String(20), default="")

    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="call", order_by="Criterion.position", cascade="all, delete-orphan")
    submissions: Mapped[list["Submission"]] = relationship(back_populates="call")

    def is_open(self, at: dt.datetime) -> bool:
        return self.opens_at <= at < self.closes_at

    def audit_label(self) -> str:
        return self.slug


class Criterion(Auditable, db.Model):
    __tablename__ = "case_criterion"
    __table_args__ = (sa.UniqueConstraint("call_id", "key", name="uq_case_criterion_call_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("case_call.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(60))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    weight: Mapped[float] = mapped_column(sa.Float, default=1.0)
    min_score: Mapped[int] = mapped_column(default=1)
    max_score: Mapped[int] = mapped_column(default=5)

    call: Mapped[Call] = relationship(back_populates="criteria")

    def audit_label(self) -> str:
        return self.key


class SubmitterAccount(Auditable, TimestampMixin, db.Model):
    """Someone from outside the group who registered to submit; confirmed by an e-mailed link."""

    __tablename__ = "case_submitter_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    organisation: Mapped[str] = mapped_column(sa.String(250), default="")
    confirmed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class Submission(Auditable, TimestampMixin, db.Model):
    __tablename__ = "case_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("case_call.id", ondelete="CASCADE"), index=True)
    submitter_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    # The submitter's agency when they belong to the group; None for people from outside.
    agency_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    organisation: Mapped[str] = mapped_column(sa.String(250), default="")
    countries: Mapped[list] = mapped_column(sa.JSON, default=list)  # ISO 3166-1 alpha-3 codes
    data_kinds: Mapped[list] = mapped_column(sa.JSON, default=list)  # DataKind values
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    method: Mapped[str] = mapped_column(sa.Text, default="")
    innovation: Mapped[str] = mapped_column(sa.Text, default="")
    replication: Mapped[str] = mapped_column(sa.Text, default="")
    gender: Mapped[str] = mapped_column(sa.Text, default="")
    contact_email: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[SubmissionStatus] = mapped_column(enum_type(SubmissionStatus, 20), default=SubmissionStatus.DRAFT,
                                                     index=True)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())
    # When the submitter withdrew the case; NULL for cases withdrawn before the portal recorded it
    # (see cases.figures: those count as withdrawn at any date).
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())

    call: Mapped[Call] = relationship(back_populates="submissions")
    submitter: Mapped[User] = relationship(foreign_keys=[submitter_id])
    agency: Mapped[Optional[Agency]] = relationship()
    coauthors: Mapped[list["CoAuthor"]] = relationship(
        back_populates="submission", order_by="CoAuthor.position", cascade="all, delete-orphan")
    attachments: Mapped[list["SubmissionAttachment"]] = relationship(
        back_populates="submission", order_by="SubmissionAttachment.id", cascade="all, delete-orphan")
    versions: Mapped[list["SubmissionVersion"]] = relationship(
        back_populates="submission", order_by="SubmissionVersion.number", cascade="all, delete-orphan")
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="submission", cascade="all, delete-orphan")
    decision: Mapped[Optional["Decision"]] = relationship(back_populates="submission", cascade="all, delete-orphan",
                                                          uselist=False)

    @property
    def ref(self) -> str:
        return f"Case {self.id}"

    def is_own(self, user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.id == self.submitter_id

    def can_view(self, user: Any) -> bool:
        """The submitter and chairs; reviewers reach a case through their review (see Assignment)."""
        return self.is_own(user) or is_chair(user)

    @property
    def decision_released(self) -> bool:
        return self.decision is not None and self.decision.released_at is not None

    def can_edit(self, user: Any, at: dt.datetime) -> bool:
        return (self.is_own(user) and self.status != SubmissionStatus.WITHDRAWN and self.call.is_open(at)
                and not self.decision_released)

    def audit_label(self) -> str:
        return self.title[:200]


class CoAuthor(db.Model):
    __tablename__ = "case_coauthor"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("case_submission.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(255), default="", index=True)

    submission: Mapped[Submission] = relationship(back_populates="coauthors")


class SubmissionAttachment(db.Model):
    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("case_submission.id", ondelete="CASCADE"), index=True)
    stored_file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="attachments")
    stored_file: Mapped[StoredFile] = relationship(lazy="joined")


class SubmissionVersion(db.Model):
    """What was submitted, each time it was submitted: nothing is overwritten."""

    __tablename__ = "case_submission_version"
    __table_args__ = (sa.UniqueConstraint("submission_id", "number", name="uq_case_submission_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("case_submission.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="versions")


class ReviewerProfile(Auditable, TimestampMixin, db.Model):
    __tablename__ = "case_reviewer_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    keywords: Mapped[str] = mapped_column(sa.String(500), default="")
    expertise: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User] = relationship()

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(",") if k.strip()]


class DeclaredConflict(Auditable, db.Model):
    __tablename__ = "case_declared_conflict"
    __table_args__ = (sa.UniqueConstraint("user_id", "submission_id", name="uq_case_declared_conflict_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("case_submission.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
    submission: Mapped[Submission] = relationship()


class Assignment(Auditable, db.Model):
    __tablename__ = "case_assignment"
    __table_args__ = (sa.UniqueConstraint("submission_id", "reviewer_id", name="uq_case_assignment_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("case_submission.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    match_score: Mapped[Optional[float]] = mapped_column(sa.Float)
    automatic: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship()
    review: Mapped[Optional["Review"]] = relationship(back_populates="assignment", cascade="all, delete-orphan",
                                                      uselist=False)

    def audit_label(self) -> str:
        return f"case {self.submission_id} to user {self.reviewer_id}"


class Review(Auditable, TimestampMixin, db.Model):
    __tablename__ = "case_review"
    # The audit log (read by administrators, who may review too) records that a review changed, not what it says.
    __audit_redact__ = frozenset({"comments_for_authors", "confidential_comments", "recommendation",
                                  "conflict_reason"})

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("case_assignment.id", ondelete="CASCADE"), unique=True)
    state: Mapped[ReviewState] = mapped_column(enum_type(ReviewState, 20), default=ReviewState.DRAFT)
    comments_for_authors: Mapped[str] = mapped_column(sa.Text, default="")
    confidential_comments: Mapped[str] = mapped_column(sa.Text, default="")
    recommendation: Mapped[Optional[Recommendation]] = mapped_column(enum_type(Recommendation, 20))
    conflict_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    scores: Mapped[list["ReviewScore"]] = relationship(back_populates="review", cascade="all, delete-orphan",
                                                       lazy="selectin")

    @property
    def is_submitted(self) -> bool:
        return self.state == ReviewState.SUBMITTED

    def score_for(self, criterion_id: int) -> Optional[int]:
        return next((s.score for s in self.scores if s.criterion_id == criterion_id), None)


class ReviewScore(db.Model):
    __tablename__ = "case_review_score"
    __table_args__ = (sa.UniqueConstraint("review_id", "criterion_id", name="uq_case_review_score_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("case_review.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("case_criterion.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column()

    review: Mapped[Review] = relationship(back_populates="scores")


class DiscussionComment(Auditable, db.Model):
    """Among reviewers who have submitted and chairs; never shown to submitters."""

    __tablename__ = "case_discussion_comment"
    __audit_redact__ = frozenset({"body"})

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("case_submission.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()


class Decision(Auditable, TimestampMixin, db.Model):
    __tablename__ = "case_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("case_submission.id", ondelete="CASCADE"), unique=True)
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, 20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    released_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime())

    submission: Mapped[Submission] = relationship(back_populates="decision")


class AssignmentProposal(TimestampMixin, db.Model):
    """The automatic assignment's proposal, waiting for a chair to confirm it.

    `pairs` holds [reviewer_id, submission_id, match score] rows.
    """

    __tablename__ = "case_assignment_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("case_call.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    status: Mapped[ProposalStatus] = mapped_column(enum_type(ProposalStatus, 20), default=ProposalStatus.PROPOSED)
    pairs: Mapped[list] = mapped_column(sa.JSON, default=list)
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    call: Mapped[Call] = relationship()


class Meeting(Auditable, TimestampMixin, db.Model):
    """The expert group meeting the call prepares: its sessions hold the accepted cases in order."""

    __tablename__ = "case_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("case_call.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    venue: Mapped[str] = mapped_column(sa.String(250), default="")

    sessions: Mapped[list["MeetingSession"]] = relationship(
        back_populates="meeting", order_by="MeetingSession.starts_at", cascade="all, delete-orphan")


class MeetingSession(Auditable, db.Model):
    __tablename__ = "case_meeting_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("case_meeting.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    chair_name: Mapped[str] = mapped_column(sa.String(200), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="sessions")
    slots: Mapped[list["SessionSlot"]] = relationship(
        back_populates="session", order_by="SessionSlot.position", cascade="all, delete-orphan")


class SessionSlot(db.Model):
    """An accepted case placed in a session, in order."""

    __tablename__ = "case_session_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("case_meeting_session.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("case_submission.id", ondelete="CASCADE"), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    session: Mapped[MeetingSession] = relationship(back_populates="slots")
    submission: Mapped[Submission] = relationship()
