"""Operations on the call, submissions, reviewers, reviews and decisions. No request objects here."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

import pycountry
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from gmgportal.auth.models import Agency, AgencyKind, User
from gmgportal.cases.models import (EXTERNAL_AGENCY_CODE, Assignment, Call, CoAuthor, Criterion, DataKind, Decision,
                                    DeclaredConflict, DiscussionComment, Outcome, Recommendation, Review,
                                    ReviewerProfile, ReviewScore, ReviewState, Submission, SubmissionAttachment,
                                    SubmissionStatus, SubmissionVersion, SubmitterAccount)
from gmgportal.core import clock
from gmgportal.core.attachments import Upload, store_uploads
from gmgportal.core.errors import Refused
from gmgportal.core.formatting import format_date
from gmgportal.core.permissions import Role
from gmgportal.extensions import db


class Invalid(Refused):
    """Input that breaks a rule of the call (a score out of range): 422 when there is no form."""

    status = 422


class Forbidden(Refused):
    status = 403


# --- the call and its rubric ---------------------------------------------------

def get_call(slug: str) -> Optional[Call]:
    return db.session.scalar(sa.select(Call).where(Call.slug == slug).options(selectinload(Call.criteria)))


def list_calls() -> list[Call]:
    return list(db.session.scalars(sa.select(Call).order_by(Call.opens_at.desc())))


def has_submitted_reviews(call: Call) -> bool:
    return bool(db.session.scalar(
        sa.select(sa.func.count(Review.id)).join(Review.assignment).join(Assignment.submission)
        .where(Submission.call_id == call.id, Review.state == ReviewState.SUBMITTED)))


def _criterion_values(c: Criterion | dict) -> tuple:
    if isinstance(c, dict):
        return (c["key"], c["name"], c.get("description", ""), float(c["weight"]), c["min_score"], c["max_score"])
    return (c.key, c.name, c.description, float(c.weight), c.min_score, c.max_score)


def replace_rubric(call: Call, criteria: list[dict]) -> None:
    """Make the call's rubric exactly `criteria` (dicts of key, name, description, weight, min_score,
    max_score, in order). Refused (409) once a review of the call is submitted."""
    current = [_criterion_values(c) for c in call.criteria]
    wanted = [_criterion_values(c) for c in criteria]
    if current == wanted:
        return
    if call.id is not None and has_submitted_reviews(call):
        raise Refused("The rubric cannot change: reviews against it have been submitted.")
    by_key = {c.key: c for c in call.criteria}
    keep = []
    for position, values in enumerate(criteria, start=1):
        criterion = by_key.pop(values["key"], None) or Criterion(key=values["key"])
        criterion.position = position
        criterion.name, criterion.description = values["name"], values.get("description", "")
        criterion.weight, criterion.min_score, criterion.max_score = (
            float(values["weight"]), values["min_score"], values["max_score"])
        keep.append(criterion)
    call.criteria = keep
    db.session.flush()


def extend_call(call: Call, closes_at: dt.datetime) -> None:
    if closes_at <= call.closes_at:
        raise Refused("Choose a closing time after the present one: a call can only be extended.", field="closes_on")
    call.closes_at = closes_at
    db.session.flush()


def window_refusal(call: Call, at: dt.datetime) -> Optional[str]:
    """Why the call takes no submission or edit at `at`, or None."""
    if at < call.opens_at:
        return f"The call opens on {format_group_time(call.opens_at)}; submissions are accepted from then."
    if at >= call.closes_at:
        return (f"The call closed on {format_group_time(call.closes_at)}. Submissions and changes are no longer "
                f"accepted; write to the chairs if you believe this is a mistake.")
    return None


def format_group_time(value: dt.datetime) -> str:
    """“30 June 2014, 23:59 CEST (Europe/Zurich)”: the call's times are the group's."""
    zone = clock.group_zone()
    local = value.astimezone(zone)
    return f"{local.day} {local:%B %Y, %H:%M} {local.tzname()} ({zone.key})"


# --- outside submitters --------------------------------------------------------

def external_agency() -> Agency:
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == EXTERNAL_AGENCY_CODE))
    if agency is None:
        agency = Agency(code=EXTERNAL_AGENCY_CODE, name="Outside the group (registered submitters)",
                        kind=AgencyKind.OTHER)
        db.session.add(agency)
        db.session.flush()
    return agency


def organisation_of(user: User) -> str:
    """The organisation a new case is from: the registered one for outside people, else the agency's name."""
    if is_external(user):
        account = db.session.scalar(sa.select(SubmitterAccount).where(SubmitterAccount.user_id == user.id))
        return account.organisation if account else ""
    return user.agency.name


def is_external(user: User) -> bool:
    return user.agency is not None and user.agency.code == EXTERNAL_AGENCY_CODE


# --- submissions ---------------------------------------------------------------

COUNTRIES = sorted(((c.alpha_3, c.name) for c in pycountry.countries), key=lambda pair: pair[1])
COUNTRY_NAMES = dict(COUNTRIES)


def country_names(codes: Iterable[str]) -> list[str]:
    return [COUNTRY_NAMES.get(code, code) for code in codes]


@dataclass
class SubmissionData:
    title: str
    organisation: str = ""
    countries: list[str] = field(default_factory=list)
    data_kinds: list[str] = field(default_factory=list)
    summary: str = ""
    method: str = ""
    innovation: str = ""
    replication: str = ""
    gender: str = ""
    contact_email: str = ""
    coauthors: list[tuple[str, str]] = field(default_factory=list)  # (name, e-mail)

    TEXTS = ("title", "organisation", "summary", "method", "innovation", "replication", "gender", "contact_email")


def _check_window(call: Call) -> None:
    reason = window_refusal(call, clock.now())
    if reason:
        raise Refused(reason)


def _apply_submission(submission: Submission, data: SubmissionData) -> None:
    unknown = [c for c in data.countries if c not in COUNTRY_NAMES]
    if unknown:
        raise Invalid(f"Unknown country code(s): {', '.join(unknown)}.", field="countries")
    kinds = {k.value for k in DataKind}
    if any(k not in kinds for k in data.data_kinds):
        raise Invalid("Choose kinds of data from the list.", field="data_kinds")
    for name in SubmissionData.TEXTS:
        setattr(submission, name, (getattr(data, name) or "").strip())
    submission.contact_email = submission.contact_email.lower()
    submission.countries = list(dict.fromkeys(data.countries))
    submission.data_kinds = [k.value for k in DataKind if k.value in data.data_kinds]
    submission.coauthors = [CoAuthor(position=i, name=name.strip(), email=email.strip().lower())
                            for i, (name, email) in enumerate(data.coauthors, start=1)]


def create_submission(call: Call, submitter: User, data: SubmissionData, uploads: Iterable[Upload] = ()) -> Submission:
    """A draft case study; refused outside the call's window."""
    _check_window(call)
    submission = Submission(call=call, submitter=submitter, status=SubmissionStatus.DRAFT,
                            agency_id=None if is_external(submitter) else submitter.agency_id)
    _apply_submission(submission, data)
    db.session.add(submission)
    _attach(submission, uploads)
    return submission


def update_submission(submission: Submission, data: SubmissionData, uploads: Iterable[Upload] = ()) -> Submission:
    """Change a draft or a submitted case (a submitted one is submitted again: a new version)."""
    _check_window(submission.call)
    if submission.status == SubmissionStatus.WITHDRAWN:
        raise Refused("This case was withdrawn and cannot be changed.")
    if submission.decision_released:
        raise Refused("The decision on this case has been released; it can no longer be changed.")
    _apply_submission(submission, data)
    _attach(submission, uploads)
    if submission.status == SubmissionStatus.SUBMITTED:
        _snapshot(submission)
    return submission


def _attach(submission: Submission, uploads: Iterable[Upload]) -> None:
    submission.attachments.extend(store_uploads(
        uploads, lambda stored, name: SubmissionAttachment(stored_file=stored, filename=name)))


REQUIRED_TO_SUBMIT = {
    "title": "a title", "organisation": "the organisation", "summary": "a summary", "method": "the method",
    "innovation": "what is innovative", "replication": "how it can be replicated", "contact_email": "a contact e-mail",
}


def missing_for_submission(submission: Submission) -> list[str]:
    missing = [text for name, text in REQUIRED_TO_SUBMIT.items() if not getattr(submission, name)]
    if not submission.countries:
        missing.append("at least one country")
    if not submission.data_kinds:
        missing.append("at least one kind of data")
    return missing


def submission_snapshot(submission: Submission) -> dict:
    return {
        "title": submission.title, "organisation": submission.organisation, "countries": list(submission.countries),
        "data_kinds": list(submission.data_kinds), "summary": submission.summary, "method": submission.method,
        "innovation": submission.innovation, "replication": submission.replication, "gender": submission.gender,
        "contact_email": submission.contact_email,
        "coauthors": [{"name": c.name, "email": c.email} for c in submission.coauthors],
        "attachments": [{"filename": a.filename, "sha256": a.stored_file.sha256} for a in submission.attachments],
    }


def _snapshot(submission: Submission) -> SubmissionVersion:
    number = len(submission.versions) + 1
    version = SubmissionVersion(number=number, snapshot=submission_snapshot(submission), submitted_at=clock.now())
    submission.versions.append(version)
    submission.submitted_at = version.submitted_at
    db.session.flush()
    return version


def submit_case(submission: Submission) -> SubmissionVersion:
    """Submit (or submit again): refused outside the window or when required parts are missing."""
    _check_window(submission.call)
    if submission.status == SubmissionStatus.WITHDRAWN:
        raise Refused("This case was withdrawn and cannot be submitted again. Start a new submission.")
    missing = missing_for_submission(submission)
    if missing:
        raise Invalid("Before submitting, add " + ", ".join(missing) + ".")
    submission.status = SubmissionStatus.SUBMITTED
    return _snapshot(submission)


def withdraw_case(submission: Submission) -> None:
    if submission.status == SubmissionStatus.WITHDRAWN:
        raise Refused("This case is already withdrawn.")
    if submission.decision is not None and submission.decision.released_at is not None:
        raise Refused("The decision on this case has been released; write to the chairs to withdraw it.")
    submission.status = SubmissionStatus.WITHDRAWN
    submission.withdrawn_at = clock.now()
    db.session.flush()


def list_own_submissions(user: User) -> list[Submission]:
    return list(db.session.scalars(
        sa.select(Submission).where(Submission.submitter_id == user.id)
        .options(selectinload(Submission.call), selectinload(Submission.decision))
        .order_by(Submission.created_at.desc(), Submission.id.desc())))


def get_submission(submission_id: int) -> Optional[Submission]:
    return db.session.scalar(
        sa.select(Submission).where(Submission.id == submission_id)
        .options(selectinload(Submission.call).selectinload(Call.criteria), selectinload(Submission.coauthors),
                 selectinload(Submission.attachments), selectinload(Submission.versions),
                 selectinload(Submission.decision), selectinload(Submission.submitter)))


def get_attachment(attachment_id: int) -> Optional[SubmissionAttachment]:
    return db.session.get(SubmissionAttachment, attachment_id)


# --- reviewers and conflicts -----------------------------------------------------

def get_profile(user: User) -> Optional[ReviewerProfile]:
    return db.session.scalar(sa.select(ReviewerProfile).where(ReviewerProfile.user_id == user.id))


def save_reviewer_profile(user: User, keywords: str, expertise: str) -> ReviewerProfile:
    profile = get_profile(user) or ReviewerProfile(user=user)
    db.session.add(profile)
    words = [k.strip() for k in keywords.replace(";", ",").split(",") if k.strip()]
    profile.keywords, profile.expertise = ", ".join(dict.fromkeys(words))[:500], expertise.strip()
    db.session.flush()
    return profile


def list_reviewers() -> list[User]:
    """Active users with the reviewer role, with their agency."""
    from gmgportal.auth.models import UserRole

    return list(db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.roles.any(UserRole.role == Role.REVIEWER))
        .options(selectinload(User.agency)).order_by(User.name, User.id)))


def count_reviewers() -> int:
    """How many active users have the reviewer role (what `list_reviewers` would list)."""
    from gmgportal.auth.models import UserRole

    return db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.active.is_(True), User.roles.any(UserRole.role == Role.REVIEWER))) or 0


def declare_conflict(user: User, submission: Submission, reason: str = "") -> DeclaredConflict:
    existing = db.session.scalar(sa.select(DeclaredConflict).where(
        DeclaredConflict.user_id == user.id, DeclaredConflict.submission_id == submission.id))
    if existing is not None:
        return existing
    conflict = DeclaredConflict(user=user, submission=submission, reason=reason.strip()[:500])
    db.session.add(conflict)
    db.session.flush()
    return conflict


def authorship_pairs(call_id: int, user_ids: Iterable[int] | None = None) -> set[tuple[int, int]]:
    """(user id, case id) for every submitter and every co-author matched to an account by e-mail,
    whatever the account's state (unconfirmed, inactive)."""
    pairs = {tuple(row) for row in db.session.execute(
        sa.select(Submission.submitter_id, Submission.id).where(Submission.call_id == call_id))}
    coauthors = db.session.execute(
        sa.select(User.id, CoAuthor.submission_id).join(CoAuthor, sa.func.lower(CoAuthor.email) == User.email)
        .join(Submission, Submission.id == CoAuthor.submission_id)
        .where(Submission.call_id == call_id, CoAuthor.email != ""))
    pairs.update(tuple(row) for row in coauthors)
    if user_ids is not None:
        wanted = set(user_ids)
        pairs = {p for p in pairs if p[0] in wanted}
    return pairs


def declared_pairs(call_id: int) -> set[tuple[int, int]]:
    return {tuple(row) for row in db.session.execute(
        sa.select(DeclaredConflict.user_id, DeclaredConflict.submission_id)
        .join(Submission, Submission.id == DeclaredConflict.submission_id)
        .where(Submission.call_id == call_id))}


def conflict_reason(user: User, submission: Submission,
                    explicit: dict[tuple[int, int], str] | None = None) -> Optional[str]:
    """Why `user` may not review `submission`, or None. `explicit` (from `explicit_conflicts`) saves the
    queries when many pairs are checked at once."""
    if submission.agency_id is not None and submission.agency_id == user.agency_id:
        return f"{user.name} belongs to {user.agency.code}, the agency that submitted this case."
    if explicit is None:
        explicit = explicit_conflicts(submission.call_id, [user.id])
    kind = explicit.get((user.id, submission.id))
    if kind == "author":
        return f"{user.name} is an author of this case."
    if kind == "declared":
        return f"{user.name} declared a conflict of interest with this case."
    return None


def explicit_conflicts(call_id: int, user_ids: Iterable[int] | None = None) -> dict[tuple[int, int], str]:
    """(user id, case id) -> "author" or "declared", for the call's cases."""
    found = {pair: "declared" for pair in declared_pairs(call_id)}
    found.update({pair: "author" for pair in authorship_pairs(call_id, user_ids)})
    if user_ids is not None:
        wanted = set(user_ids)
        found = {pair: kind for pair, kind in found.items() if pair[0] in wanted}
    return found


def current_loads(call_id: int, case_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Cases per reviewer in the call (only among `case_ids` when given); a case whose review they declined
    (conflict declared) does not count."""
    query = (sa.select(Assignment.reviewer_id, sa.func.count(Assignment.id)).join(Assignment.submission)
             .outerjoin(Review, Review.assignment_id == Assignment.id)
             .where(Submission.call_id == call_id,
                    sa.or_(Review.state.is_(None), Review.state != ReviewState.CONFLICT))
             .group_by(Assignment.reviewer_id))
    if case_ids is not None:
        query = query.where(Assignment.submission_id.in_(list(case_ids)))
    return {reviewer_id: count for reviewer_id, count in db.session.execute(query)}


def shown_loads(viewer: User, call_id: int, candidates: list["Candidate"]) -> dict[int, int]:
    """The loads to show `viewer` beside candidates' names: without the assignments to the cases `viewer`
    reviews and has not submitted a review of, which would tell who else reviews those cases."""
    hidden = pending_case_ids(viewer, call_id)
    if not hidden:
        return {c.user.id: c.load for c in candidates}
    on_hidden = current_loads(call_id, hidden)
    return {c.user.id: c.load - on_hidden.get(c.user.id, 0) for c in candidates}


def active_assignments(submission: Submission) -> list[Assignment]:
    """The case's reviewers who have not declined it (a declared conflict frees the place)."""
    return [a for a in submission.assignments if a.review is None or a.review.state != ReviewState.CONFLICT]


@dataclass
class Candidate:
    """A reviewer who may take an open place on a case: no conflict, not assigned, under the cap."""

    user: User
    match: float
    load: int


def eligible_reviewers(submission: Submission) -> list[Candidate]:
    """Reviewers who may be assigned to `submission` now, best match first (TF-IDF cosine of their stated
    expertise with the case, as the automatic assignment scores it)."""
    from gmgportal.cases import matching
    from gmgportal.cases.assignment import case_text, reviewer_text

    call = submission.call
    explicit, loads = explicit_conflicts(call.id), current_loads(call.id)
    taken = {a.reviewer_id for a in submission.assignments}
    people = [u for u in list_reviewers() if u.id not in taken and loads.get(u.id, 0) < call.max_load
              and conflict_reason(u, submission, explicit) is None]
    profiles = {p.user_id: p for p in db.session.scalars(
        sa.select(ReviewerProfile).where(ReviewerProfile.user_id.in_([u.id for u in people])))}
    scores = matching.similarity([reviewer_text(profiles.get(u.id)) for u in people], [case_text(submission)])
    found = [Candidate(u, round(float(scores[i, 0]), 4), loads.get(u.id, 0)) for i, u in enumerate(people)]
    return sorted(found, key=lambda c: (-c.match, c.load, c.user.name, c.user.id))


def assign_reviewer(submission: Submission, reviewer: User, match_score: float | None = None,
                    automatic: bool = False, explicit: dict | None = None,
                    loads: dict[int, int] | None = None) -> Assignment:
    """Assign by hand (or confirm one automatic pair): refuses conflicts, repeats and loads over the cap.

    Callers assigning many pairs pass `explicit` (explicit_conflicts) and `loads` (current_loads, kept
    up to date here) so that each pair costs no query."""
    call = submission.call
    if submission.status != SubmissionStatus.SUBMITTED:
        raise Refused(f"{submission.ref} is not submitted ({submission.status.label.lower()}); it cannot be assigned.")
    if not reviewer.has_role(Role.REVIEWER):
        raise Refused(f"{reviewer.name} is not a reviewer.", field="reviewer_id")
    reason = conflict_reason(reviewer, submission, explicit)
    if reason:
        raise Refused(f"Conflict of interest: {reason}", field="reviewer_id")
    if any(a.reviewer_id == reviewer.id for a in submission.assignments):
        raise Refused(f"{reviewer.name} already reviews {submission.ref}.", field="reviewer_id")
    loads = current_loads(call.id) if loads is None else loads
    if loads.get(reviewer.id, 0) >= call.max_load:
        raise Refused(f"{reviewer.name} already has {call.max_load} cases, the most a reviewer may have.",
                      field="reviewer_id")
    assignment = Assignment(submission=submission, reviewer=reviewer, match_score=match_score, automatic=automatic)
    db.session.add(assignment)
    loads[reviewer.id] = loads.get(reviewer.id, 0) + 1
    if explicit is None:  # one pair at a time (many pairs: the caller flushes once)
        db.session.flush()
    return assignment


def remove_assignment(assignment: Assignment) -> None:
    if assignment.review is not None and assignment.review.state == ReviewState.SUBMITTED:
        raise Refused("This reviewer has submitted a review of the case; the assignment stays.")
    db.session.delete(assignment)
    db.session.flush()


# --- reviews -----------------------------------------------------------------------

def get_assignment(assignment_id: int) -> Optional[Assignment]:
    return db.session.scalar(
        sa.select(Assignment).where(Assignment.id == assignment_id)
        .options(selectinload(Assignment.submission).selectinload(Submission.call).selectinload(Call.criteria),
                 selectinload(Assignment.review), selectinload(Assignment.reviewer).selectinload(User.agency)))


def can_review(user: User, assignment: Assignment) -> bool:
    """The assigned reviewer, with no conflict of interest with the case."""
    return (user.is_authenticated and assignment.reviewer_id == user.id
            and conflict_reason(user, assignment.submission) is None
            and assignment.submission.status != SubmissionStatus.WITHDRAWN)


def review_for(assignment: Assignment) -> Review:
    """The assignment's review, started (and added to the session) if there is none yet."""
    if assignment.review is None:
        review = Review(state=ReviewState.DRAFT)
        db.session.add(review)
        assignment.review = review
    return assignment.review


@dataclass
class ReviewData:
    scores: dict[int, Optional[int]]
    comments_for_authors: str = ""
    confidential_comments: str = ""
    recommendation: Optional[str] = None


def save_review(assignment: Assignment, data: ReviewData, submit: bool = False) -> Review:
    """Save a draft or submit; a submitted review is locked. Scores must lie in their criterion's range."""
    state = assignment.review.state if assignment.review is not None else ReviewState.DRAFT
    if state == ReviewState.SUBMITTED:
        raise Refused("This review was submitted and is locked. A chair can unlock it if it must change.")
    if state == ReviewState.CONFLICT:
        raise Refused("You declared a conflict of interest with this case; it cannot be reviewed by you.")
    criteria = assignment.submission.call.criteria
    known = {c.id for c in criteria}
    if set(data.scores) - known:
        raise Invalid("A score was given for a criterion this call does not have.")
    for criterion in criteria:
        score = data.scores.get(criterion.id)
        if score is not None and not criterion.min_score <= score <= criterion.max_score:
            raise Invalid(f"“{criterion.name}” is scored from {criterion.min_score} to {criterion.max_score}; "
                          f"{score} is outside that range.", field=f"score_{criterion.id}")
    if data.recommendation is not None and data.recommendation not in {r.value for r in Recommendation}:
        raise Invalid("Choose accept, reject or discuss.", field="recommendation")
    if submit:
        missing = [c.name for c in criteria if data.scores.get(c.id) is None]
        if missing:
            raise Invalid("To submit, score every criterion. Missing: " + ", ".join(missing) + ".")
        if not data.recommendation:
            raise Invalid("To submit, choose a recommendation.", field="recommendation")
    review = review_for(assignment)
    by_criterion = {s.criterion_id: s for s in review.scores}
    for criterion in criteria:
        score = data.scores.get(criterion.id)
        existing = by_criterion.get(criterion.id)
        if score is None and existing is not None:
            review.scores.remove(existing)
        elif score is not None and existing is None:
            review.scores.append(ReviewScore(criterion_id=criterion.id, score=score))
        elif score is not None:
            existing.score = score
    review.comments_for_authors = data.comments_for_authors.strip()
    review.confidential_comments = data.confidential_comments.strip()
    review.recommendation = Recommendation(data.recommendation) if data.recommendation else None
    if submit:
        review.state, review.submitted_at = ReviewState.SUBMITTED, clock.now()
    db.session.flush()
    return review


def unlock_review(review: Review) -> None:
    if review.state != ReviewState.SUBMITTED:
        raise Refused("Only a submitted review can be unlocked.")
    review.state, review.submitted_at = ReviewState.DRAFT, None
    db.session.flush()


def declare_review_conflict(assignment: Assignment, reason: str) -> Review:
    if assignment.review is not None and assignment.review.state == ReviewState.SUBMITTED:
        raise Refused("This review was submitted; ask a chair to unlock it before declaring a conflict.")
    review = review_for(assignment)
    review.state, review.conflict_reason = ReviewState.CONFLICT, reason.strip()[:500]
    declare_conflict(assignment.reviewer, assignment.submission, reason)
    return review


def has_submitted_own(user: User, submission: Submission) -> bool:
    return any(a.reviewer_id == user.id and a.review is not None and a.review.is_submitted
               for a in submission.assignments)


def may_see_reviews(user: User, submission: Submission) -> bool:
    """Whether `user` may read the reviews (scores, comments, recommendations), the names of the other
    reviewers and the discussion of `submission`.

    The one rule, for reviewers and chairs alike: whoever is assigned to review the case sees the others'
    reviews only once their own is submitted (never while it is a draft, never after declaring a conflict),
    even when they are also a chair. Chairs who do not review the case see everything; nobody else does."""
    from gmgportal.cases.models import is_chair

    mine = next((a for a in submission.assignments if a.reviewer_id == user.id), None)
    if mine is not None:
        return mine.review is not None and mine.review.is_submitted
    return is_chair(user)


def pending_case_ids(user: User, call_id: int) -> set[int]:
    """The call's cases `user` is assigned to and has not submitted a review of: their reviews are hidden
    from `user` (see `may_see_reviews`)."""
    return set(db.session.scalars(
        sa.select(Assignment.submission_id).join(Assignment.submission)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(Submission.call_id == call_id, Assignment.reviewer_id == user.id,
               sa.or_(Review.state.is_(None), Review.state != ReviewState.SUBMITTED))))


def reviews_of(submission_id: int) -> list[Assignment]:
    """The case's assignments in a fixed order (“Reviewer 1, 2, …”), with reviews and scores."""
    return list(db.session.scalars(
        sa.select(Assignment).where(Assignment.submission_id == submission_id)
        .options(selectinload(Assignment.review), selectinload(Assignment.reviewer).selectinload(User.agency))
        .order_by(Assignment.id)))


def visible_reviews(user: User, submission: Submission) -> list[tuple[str, Review]]:
    """Other reviewers' submitted reviews as (“Reviewer n”, review), for those `may_see_reviews` allows."""
    if not may_see_reviews(user, submission):
        return []
    assignments = reviews_of(submission.id)
    numbered = [(f"Reviewer {i}", a) for i, a in enumerate(assignments, start=1)]
    return [(label, a.review) for label, a in numbered
            if a.review is not None and a.review.is_submitted and a.reviewer_id != user.id]


def can_discuss(user: User, submission: Submission) -> bool:
    """The discussion follows the reviews: never submitters, a reviewer (chair or not) once their review is in."""
    return may_see_reviews(user, submission)


def add_discussion_comment(submission: Submission, author: User, body: str) -> DiscussionComment:
    if not body.strip():
        raise Invalid("Write a comment.", field="body")
    comment = DiscussionComment(submission_id=submission.id, author=author, body=body.strip())
    db.session.add(comment)
    db.session.flush()
    return comment


def discussion(submission: Submission) -> list[DiscussionComment]:
    return list(db.session.scalars(
        sa.select(DiscussionComment).where(DiscussionComment.submission_id == submission.id)
        .options(selectinload(DiscussionComment.author)).order_by(DiscussionComment.created_at,
                                                                  DiscussionComment.id)))


def reviewer_assignments(user: User, call: Call | None = None) -> list[Assignment]:
    query = (sa.select(Assignment).join(Assignment.submission).where(Assignment.reviewer_id == user.id)
             .options(selectinload(Assignment.review), selectinload(Assignment.submission).selectinload(Submission.call))
             .order_by(Submission.id))
    if call is not None:
        query = query.where(Submission.call_id == call.id)
    return list(db.session.scalars(query))


# --- decisions ------------------------------------------------------------------------

def decide_case(submission: Submission, outcome: Outcome, note: str, chair: User) -> Decision:
    if submission.status != SubmissionStatus.SUBMITTED:
        raise Refused(f"{submission.ref} is {submission.status.label.lower()}; only submitted cases are decided.")
    if submission.decision_released:
        raise Refused(f"The decision on {submission.ref} has been released and cannot change.")
    chair_id = chair.id
    decision = submission.decision
    if decision is None:
        decision = Decision(outcome=outcome, note=note.strip(), decided_by_id=chair_id)
        db.session.add(decision)
        submission.decision = decision
    decision.outcome, decision.note, decision.decided_by_id = outcome, note.strip(), chair_id
    db.session.flush()
    return decision


def release_decisions(call: Call) -> int:
    """E-mail every submitter with an unreleased decision: the decision, the note, and the comments meant for
    authors (never confidential comments, never reviewer names). Returns how many were released."""
    from gmgportal.cases.notify import decision_mail

    now = clock.now()
    decisions = list(db.session.scalars(
        sa.select(Decision).join(Decision.submission)
        .where(Submission.call_id == call.id, Decision.released_at.is_(None))
        .options(selectinload(Decision.submission).selectinload(Submission.submitter))))
    if not decisions:
        raise Refused("There is no decision waiting to be released.")
    for decision in decisions:
        decision.released_at = now
        decision_mail(decision, reviews_of(decision.submission_id))
    call.decisions_released_at = now
    db.session.flush()
    return len(decisions)


def today() -> dt.date:
    return clock.today()


def due_text(call: Call) -> str:
    return format_date(call.review_due) if call.review_due else "the date the chairs set"


def send_review_reminders(call: Call, on: dt.date) -> int:
    """E-mail every reviewer with open reviews of the call (due date passed or within 7 days) their list.
    Returns how many reviewers were written to."""
    from gmgportal.cases.notify import reminder_mail

    if call.review_due is None or on < call.review_due - dt.timedelta(days=7):
        raise Refused("Reminders go out from 7 days before the reviews are due; no due date is near.")
    open_by_reviewer: dict[int, list[Assignment]] = {}
    for assignment in db.session.scalars(
            sa.select(Assignment).join(Assignment.submission).where(Submission.call_id == call.id,
                                                                     Submission.status == SubmissionStatus.SUBMITTED)
            .options(selectinload(Assignment.review), selectinload(Assignment.reviewer),
                     selectinload(Assignment.submission)).order_by(Assignment.id)):
        if assignment.review is None or assignment.review.state == ReviewState.DRAFT:
            open_by_reviewer.setdefault(assignment.reviewer_id, []).append(assignment)
    for assignments in open_by_reviewer.values():
        reminder_mail(assignments[0].reviewer, call, assignments, late=on > call.review_due)
    return len(open_by_reviewer)


def may_see_attachment(attachment: SubmissionAttachment, user: Any) -> bool:
    """The case's attachment rule: those who may see the case, and reviewers it is assigned to."""
    submission = attachment.submission
    assigned = next((a for a in submission.assignments if a.reviewer_id == user.id), None)
    return submission.can_view(user) or bool(assigned and can_review(user, assigned))
