"""Pages of the call for case studies: the call, registration, submissions, reviews, and the chairs' pages."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from gmgportal.auth.models import User
from gmgportal.cases import assignment as auto
from gmgportal.cases import registration, results, services
from gmgportal.cases.forms import (DATA_KIND_LABELS, AssignForm, CommentForm, ConfirmSubmitForm, ConflictForm,
                                   DecisionForm, ExtendForm, ProfileForm, RegisterForm, SubmissionForm, WithdrawForm,
                                   parse_coauthors, read_score, review_form_class)
from gmgportal.cases.models import (AssignmentProposal, Call, Outcome, ProposalStatus, Submission, SubmissionStatus,
                                    is_chair)
from gmgportal.core import clock
from gmgportal.core.attachments import DOCUMENT_KINDS, allowed_kinds_hint, send_attachment
from gmgportal.core.errors import Refused, abort_with
from gmgportal.core.filters import parse_filters
from gmgportal.core.forms import ConfirmForm, save_with_uploads, select_choices, show_refusal
from gmgportal.core.pagecache import cacheable
from gmgportal.programme.forms import MARKDOWN_HINT
from gmgportal.core.permissions import Role, authorize, has_role
from gmgportal.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, to_csv, to_xlsx
from gmgportal.core.tables import Sort
from gmgportal.core.uow import attempt
from gmgportal.extensions import db, login_manager

bp = Blueprint("cases", __name__, url_prefix="/cases")
PUBLIC_ENDPOINTS = {"cases.register", "cases.registered", "cases.confirm"}


@bp.before_request
def require_login():
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.app_context_processor
def cases_helpers():
    return {"group_time": services.format_group_time, "data_kind_labels": DATA_KIND_LABELS,
            "country_names": services.country_names, "is_chair": is_chair}


def _call_or_404(slug: str) -> Call:
    return services.get_call(slug) or abort_with(404, "There is no call for case studies at this address.")


def _own_submission_or_404(submission_id: int) -> Submission:
    """A submission its submitter (or a chair) may see; anyone else gets 404, as if it did not exist."""
    submission = services.get_submission(submission_id)
    if submission is None or not submission.can_view(current_user):
        abort_with(404, "There is no case study of yours at this address.")
    return submission


def _require_chair() -> None:
    authorize(is_chair(current_user))


# --- the call --------------------------------------------------------------------

@bp.get("/")
def index():
    calls = services.list_calls()
    if len(calls) == 1:
        return redirect(url_for("cases.call", slug=calls[0].slug))
    return render_template("cases/index.html", calls=calls)


@bp.get("/<slug>/")
def call(slug: str):
    call = _call_or_404(slug)
    now = clock.now()
    return render_template("cases/call.html", call=call, is_open=call.is_open(now),
                           window_message=services.window_refusal(call, now),
                           mine=services.list_own_submissions(current_user),
                           assignments=services.reviewer_assignments(current_user, call))


@bp.route("/<slug>/extend", methods=["GET", "POST"])
def extend(slug: str):
    _require_chair()
    call = _call_or_404(slug)
    form = ExtendForm()
    if not form.is_submitted():
        local = call.closes_at.astimezone(clock.group_zone())
        form.closes_on.data, form.closes_time.data = local.date(), local.time().replace(second=0, microsecond=0)
    if form.validate_on_submit():
        closes = dt.datetime.combine(form.closes_on.data, form.closes_time.data, clock.group_zone())
        try:
            with attempt():
                services.extend_call(call, closes.astimezone(dt.timezone.utc))
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"The call now closes on {services.format_group_time(call.closes_at)}.", "success")
            return redirect(url_for("cases.call", slug=call.slug))
    return render_template("cases/extend.html", call=call, form=form)


# --- registration of people from outside the group --------------------------------

@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            registration.register_submitter(form.email.data, form.name.data, form.organisation.data,
                                            form.password.data)
        except registration.Throttled as refusal:
            form.form_errors.append(refusal.message)
            return render_template("cases/register.html", form=form), 429, {"Retry-After": str(refusal.retry_after)}
        return redirect(url_for("cases.registered"))
    return render_template("cases/register.html", form=form)


@bp.get("/register/sent")
def registered():
    return render_template("cases/registered.html")


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button (a GET never writes: mail scanners open links); POST confirms."""
    form = ConfirmForm()
    valid = registration.read_token(token) is not None
    if valid and form.validate_on_submit():
        try:
            registration.confirm_registration(token)
        except Refused as refusal:
            return render_template("cases/confirm.html", form=form, valid=False, message=refusal.message), \
                refusal.status
        flash("Your e-mail address is confirmed. Log in to submit your case study.", "success")
        return redirect(url_for("auth.login"))
    return render_template("cases/confirm.html", form=form, valid=valid), 200 if valid else 400


# --- submissions ----------------------------------------------------------------

def _submission_data(form: SubmissionForm) -> services.SubmissionData:
    return services.SubmissionData(
        title=form.title.data, organisation=form.organisation.data or "", countries=form.countries.data or [],
        data_kinds=form.data_kinds.data or [], summary=form.summary.data or "", method=form.method.data or "",
        innovation=form.innovation.data or "", replication=form.replication.data or "", gender=form.gender.data or "",
        contact_email=form.contact_email.data or "", coauthors=parse_coauthors(form.coauthors.data))


def _preview(form: SubmissionForm) -> SimpleNamespace | None:
    """What the case page will show of the typed texts (the same template macro and Markdown sanitiser),
    when the Preview button was pressed; nothing is saved."""
    if not (form.is_submitted() and form.preview.data):
        return None
    data = _submission_data(form)
    return SimpleNamespace(**{name: getattr(data, name) for name in (
        "organisation", "countries", "data_kinds", "summary", "method", "innovation", "replication", "gender")})


def _submission_form_page(form, call, submission, status=200):
    limit = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    return render_template("cases/submission_form.html", form=form, call=call, submission=submission,
                           preview=_preview(form), markdown_hint=MARKDOWN_HINT,
                           window_message=services.window_refusal(call, clock.now()),
                           file_hint=allowed_kinds_hint(DOCUMENT_KINDS, limit) + " each; you can choose several."
                           ), status


def _save_submission(form: SubmissionForm, save):
    return save_with_uploads(form, lambda uploads: save(_submission_data(form), uploads))


@bp.route("/<slug>/submissions/new", methods=["GET", "POST"])
def new_submission(slug: str):
    call = _call_or_404(slug)
    form = SubmissionForm()
    if not form.is_submitted():
        form.contact_email.data = current_user.email
        form.organisation.data = services.organisation_of(current_user)
    status = 200
    if form.preview.data:
        pass  # shown with its preview below, nothing saved
    elif form.validate_on_submit():
        submission, status = _save_submission(form, lambda data, files: services.create_submission(
            call, current_user, data, files))
        if submission is not None:
            flash("Draft saved. Check it, then submit it before the call closes.", "success")
            return redirect(url_for("cases.submission", submission_id=submission.id))
    elif form.is_submitted():
        status = 422
    return _submission_form_page(form, call, None, status)


@bp.route("/submissions/<int:submission_id>/edit", methods=["GET", "POST"])
def edit_submission(submission_id: int):
    submission = _own_submission_or_404(submission_id)
    authorize(submission.is_own(current_user))
    form = SubmissionForm(obj=submission)
    if not form.is_submitted():
        form.coauthors.data = "\n".join(f"{c.name}, {c.email}" if c.email else c.name for c in submission.coauthors)
    status = 200
    if form.preview.data:
        pass  # shown with its preview below, nothing saved
    elif form.validate_on_submit():
        saved, status = _save_submission(form, lambda data, files: services.update_submission(
            submission, data, files))
        if saved is not None:
            again = " and submitted again (a new version is kept)" if saved.status == SubmissionStatus.SUBMITTED else ""
            flash(f"{saved.ref} saved{again}.", "success")
            return redirect(url_for("cases.submission", submission_id=saved.id))
    elif form.is_submitted():
        status = 422
    return _submission_form_page(form, submission.call, submission, status)


@bp.get("/submissions/<int:submission_id>")
def submission(submission_id: int):
    submission = _own_submission_or_404(submission_id)
    released = submission.decision if submission.decision and submission.decision.released_at else None
    author_comments = []
    if released is not None and submission.is_own(current_user):
        author_comments = [a.review.comments_for_authors for a in services.reviews_of(submission.id)
                           if a.review and a.review.is_submitted and a.review.comments_for_authors]
    return render_template("cases/submission.html", submission=submission, call=submission.call,
                           can_edit=submission.can_edit(current_user, clock.now()), released=released,
                           author_comments=author_comments, missing=services.missing_for_submission(submission),
                           window_message=services.window_refusal(submission.call, clock.now()))


@bp.route("/submissions/<int:submission_id>/submit", methods=["GET", "POST"])
def submit_submission(submission_id: int):
    submission = _own_submission_or_404(submission_id)
    authorize(submission.is_own(current_user))
    form = ConfirmSubmitForm()
    if form.validate_on_submit():
        try:
            with attempt():
                version = services.submit_case(submission)
        except Refused as refusal:
            show_refusal(form, refusal)
            return render_template("cases/submit_confirm.html", submission=submission, form=form), refusal.status
        flash(f"{submission.ref} submitted (version {version.number}). You can change it until the call closes.",
              "success")
        return redirect(url_for("cases.submission", submission_id=submission.id))
    return render_template("cases/submit_confirm.html", submission=submission, form=form,
                           missing=services.missing_for_submission(submission))


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["GET", "POST"])
def withdraw_submission(submission_id: int):
    submission = _own_submission_or_404(submission_id)
    authorize(submission.is_own(current_user))
    form = WithdrawForm()
    if form.validate_on_submit():
        with attempt():
            services.withdraw_case(submission)
        flash(f"{submission.ref} withdrawn. It will not be reviewed.", "success")
        return redirect(url_for("cases.submission", submission_id=submission.id))
    return render_template("cases/withdraw_confirm.html", submission=submission, form=form)


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    return send_attachment(services.get_attachment(attachment_id), current_user)


# --- reviewers ----------------------------------------------------------------------

@bp.route("/expertise", methods=["GET", "POST"])
def expertise():
    authorize(has_role(current_user, Role.REVIEWER))
    profile = services.get_profile(current_user)
    form = ProfileForm(obj=profile)
    if form.validate_on_submit():
        services.save_reviewer_profile(current_user, form.keywords.data, form.expertise.data or "")
        flash("Your expertise is saved; the automatic assignment matches cases to it.", "success")
        return redirect(url_for("cases.my_reviews"))
    return render_template("cases/expertise.html", form=form)


@bp.get("/reviews")
def my_reviews():
    authorize(has_role(current_user, Role.REVIEWER))
    calls = services.list_calls()
    stats = {c.id: results.reviewer_progress(c, current_user.id) for c in calls}
    return render_template("cases/my_reviews.html", assignments=services.reviewer_assignments(current_user),
                           stats=stats, calls=calls, today=services.today(),
                           profile=services.get_profile(current_user))


def _assignment_for_reviewer(assignment_id: int):
    """The reviewer's own assignment; a case from their own agency or one they wrote is 404 even when assigned."""
    assignment = services.get_assignment(assignment_id)
    if assignment is None or not services.can_review(current_user, assignment):
        abort_with(404, "There is no case for you to review at this address.")
    return assignment


def _review_data(form, criteria) -> services.ReviewData:
    scores = {}
    for criterion in criteria:
        value = read_score(form[f"score_{criterion.id}"].data)
        if isinstance(value, str):
            raise services.Invalid(f"Scores are whole numbers; “{value[:20]}” is not.",
                                   field=f"score_{criterion.id}")
        scores[criterion.id] = value
    return services.ReviewData(scores, form.comments_for_authors.data or "", form.confidential_comments.data or "",
                               form.recommendation.data or None)


@bp.route("/reviews/<int:assignment_id>", methods=["GET", "POST"])
def review(assignment_id: int):
    assignment = _assignment_for_reviewer(assignment_id)
    submission, call = assignment.submission, assignment.submission.call
    existing = assignment.review
    form = review_form_class(call.criteria)(obj=existing)
    if not form.is_submitted() and existing is not None:
        form.recommendation.data = existing.recommendation.value if existing.recommendation else ""
        for criterion in call.criteria:
            score = existing.score_for(criterion.id)
            form[f"score_{criterion.id}"].data = "" if score is None else str(score)
    status = 200
    if form.validate_on_submit():
        submit = bool(form.submit.data)
        try:
            with attempt():
                services.save_review(assignment, _review_data(form, call.criteria), submit=submit)
        except Refused as refusal:
            show_refusal(form, refusal)
            status = refusal.status
        else:
            flash("Review submitted. You can now see the other reviews of this case." if submit
                  else "Draft saved. Submit it when every criterion is scored.", "success")
            return redirect(url_for("cases.review", assignment_id=assignment.id))
    elif form.is_submitted():
        status = 422
    return render_template("cases/review.html", assignment=assignment, submission=submission, call=call, form=form,
                           review=existing, others=services.visible_reviews(current_user, submission),
                           comments=services.discussion(submission) if services.can_discuss(current_user, submission)
                           else None, comment_form=CommentForm()), status


@bp.route("/reviews/<int:assignment_id>/conflict", methods=["GET", "POST"])
def declare_conflict(assignment_id: int):
    assignment = _assignment_for_reviewer(assignment_id)
    form = ConflictForm()
    if form.validate_on_submit():
        with attempt():
            services.declare_review_conflict(assignment, form.reason.data)
        flash(f"Conflict declared: {assignment.submission.ref} is no longer yours to review. The chairs will "
              f"assign another reviewer.", "success")
        return redirect(url_for("cases.my_reviews"))
    return render_template("cases/conflict.html", assignment=assignment, form=form)


@bp.post("/submissions/<int:submission_id>/discussion")
def add_comment(submission_id: int):
    submission = services.get_submission(submission_id) or abort_with(404, "There is no such case.")
    mine = next((a for a in submission.assignments if a.reviewer_id == current_user.id), None)
    allowed = services.can_discuss(current_user, submission) and (
        mine is None or services.can_review(current_user, mine))
    if not allowed:
        abort_with(404, "There is no such case.")
    form = CommentForm()
    if not form.validate_on_submit():
        abort_with(400, "Write a comment before adding it.")
    services.add_discussion_comment(submission, current_user, form.body.data)
    flash("Comment added; only reviewers of this case and the chairs see it.", "success")
    if mine is not None and not is_chair(current_user):
        return redirect(url_for("cases.review", assignment_id=mine.id) + "#discussion")
    return redirect(url_for("cases.case_admin", submission_id=submission.id) + "#discussion")


# --- chairs: cases, assignment ----------------------------------------------------

@bp.get("/<slug>/manage")
@cacheable
def manage(slug: str):
    _require_chair()
    call = _call_or_404(slug)
    filters = parse_filters(results.ManageFilters, request.args)
    page = results.managed_cases(call, filters, current_user)
    return render_template("cases/manage.html", call=call, rows=page.items, page=page, filters=filters,
                           args=filters.as_args(), reviewers=services.count_reviewers(),
                           proposal=auto.latest_proposal(call), counts=_status_counts(call))


def _status_counts(call: Call) -> dict:
    import sqlalchemy as sa

    rows = db.session.execute(sa.select(Submission.status, sa.func.count()).where(Submission.call_id == call.id)
                              .group_by(Submission.status))
    return {status.value: count for status, count in rows}


@bp.route("/submissions/<int:submission_id>/reviewers", methods=["GET", "POST"])
def case_admin(submission_id: int):
    """A case's reviewers and reviews; a chair assigns a reviewer, or a replacement for one who declined.

    A chair who reviews this case sees neither the other reviewers nor their reviews nor the discussion
    until their own review is submitted (`services.may_see_reviews`)."""
    _require_chair()
    submission = services.get_submission(submission_id) or abort_with(404, "There is no such case.")
    call = submission.call
    may_see = services.may_see_reviews(current_user, submission)
    # Who may still take the case leaves out who is on it: a chair who may not see its reviewers gets no
    # list and cannot assign (a refused choice would tell too); another chair assigns.
    may_assign = may_see and submission.status == SubmissionStatus.SUBMITTED
    candidates = services.eligible_reviewers(submission) if may_assign else []
    form = AssignForm()
    loads = services.shown_loads(current_user, call.id, candidates)
    form.reviewer_id.choices = select_choices(
        [("", "Choose a reviewer…")]
        + [(c.user.id, f"{c.user.name} ({c.user.agency.code}): match {c.match:.2f}, "
                       f"{loads[c.user.id]} of {call.max_load} cases") for c in candidates])
    status = 200
    if form.is_submitted() and not may_see:
        abort_with(403, "You review this case and have not submitted your review, so you cannot assign its "
                        "reviewers: the choice would show who already reviews it. Another chair can assign one.")
    if form.validate_on_submit():
        status = _assign_by_hand(form, submission, {c.user.id: c.match for c in candidates})
        if status is None:
            return redirect(url_for("cases.case_admin", submission_id=submission.id))
    elif form.is_submitted():
        status = 422
    active = services.active_assignments(submission)
    return render_template("cases/case_admin.html", submission=submission, call=call, form=form, may_see=may_see,
                           assignments=services.reviews_of(submission.id) if may_see else [],
                           active=len(active), declined=len(submission.assignments) - len(active),
                           candidates=len(candidates), comments=services.discussion(submission) if may_see else None,
                           comment_form=CommentForm(), criteria=call.criteria), status


def _assign_by_hand(form: AssignForm, submission: Submission, matches: dict[int, float]) -> int | None:
    """Assign the chosen reviewer and e-mail them their case with the due date; None when done, else the
    status of the refusal (shown on the form)."""
    from gmgportal.cases.notify import assignment_mail

    reviewer = db.session.get(User, form.reviewer_id.data)
    try:
        if reviewer is None:
            raise Refused("Choose a reviewer from the list.", field="reviewer_id")
        with attempt():
            assignment = services.assign_reviewer(submission, reviewer, matches.get(reviewer.id))
    except Refused as refusal:
        show_refusal(form, refusal)
        return refusal.status
    assignment_mail(reviewer, submission.call, [assignment])
    flash(f"{reviewer.name} assigned to {submission.ref}; they get an e-mail with the case and the due date.",
          "success")
    return None


@bp.post("/reviews/<int:assignment_id>/unlock")
def unlock_review(assignment_id: int):
    _require_chair()
    assignment = services.get_assignment(assignment_id) or abort_with(404, "There is no such review.")
    if assignment.review is None:
        abort_with(404, "There is no such review.")
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort_with(400, "The form's security token was missing. Reload the page and try again.")
    services.unlock_review(assignment.review)
    flash(f"The review of {assignment.reviewer.name} is unlocked; they can change and submit it again.", "success")
    return redirect(url_for("cases.case_admin", submission_id=assignment.submission_id))


@bp.post("/<slug>/assign")
def start_assignment(slug: str):
    _require_chair()
    call = _call_or_404(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort_with(400, "The form's security token was missing. Reload the page and try again.")
    from gmgportal.jobs import start_job

    job = start_job("cases_assign", current_user, {"call_id": call.id})
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/proposals/<int:proposal_id>", methods=["GET", "POST"])
def proposal(proposal_id: int):
    _require_chair()
    found = db.session.get(AssignmentProposal, proposal_id) or abort_with(404, "There is no such proposal.")
    form = ConfirmForm()
    if form.validate_on_submit():
        with attempt():
            if request.form.get("action") == "discard":
                auto.discard_proposal(found)
                message = "Proposal discarded; nothing was assigned."
            else:
                made = auto.confirm_proposal(found)
                message = f"{len(made)} assignments made; each reviewer gets an e-mail with their list."
        flash(message, "success")
        return redirect(url_for("cases.manage", slug=found.call.slug))
    return render_template("cases/proposal.html", proposal=found, call=found.call, **_proposal_view(found))


def _proposal_view(found: AssignmentProposal) -> dict:
    import sqlalchemy as sa

    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({p[0] for p in found.pairs})))}
    cases = {s.id: s for s in db.session.scalars(sa.select(Submission).where(
        Submission.id.in_({p[1] for p in found.pairs})))}
    # A chair proposed for (or reviewing) a case does not see who else is on it: see services.may_see_reviews.
    # The others' pairs on those cases stay out of the loads too, or a reviewer's count beside their name,
    # against the cases they are named on, would tell who is on the hidden ones.
    own = ({case_id for reviewer_id, case_id, _ in found.pairs if reviewer_id == current_user.id}
           | services.pending_case_ids(current_user, found.call_id))
    loads: dict[int, list] = {}
    left_out = 0
    for reviewer_id, case_id, score in found.pairs:
        if case_id in own and reviewer_id != current_user.id:
            left_out += 1
        else:
            loads.setdefault(reviewer_id, []).append(score)
    by_case: dict[int, list] = {}
    for reviewer_id, case_id, score in found.pairs:
        user = users.get(reviewer_id)
        if reviewer_id == current_user.id:
            label = "You"
        elif case_id in own:
            label = "Another reviewer (hidden: you review this case)"
        else:
            label = user.name if user else "Removed user"
        by_case.setdefault(case_id, []).append((label, score))
    load_rows = sorted(((users.get(r), len(s), sum(s) / len(s)) for r, s in loads.items()),
                       key=lambda row: row[0].name if row[0] else "")
    return {"users": users, "cases": cases, "load_rows": load_rows, "left_out": left_out, "own_cases": len(own),
            "case_rows": sorted(by_case.items()), "is_open": found.status == ProposalStatus.PROPOSED}


# --- chairs: results and decisions ---------------------------------------------------

@bp.get("/<slug>/ranking")
@cacheable
def ranking(slug: str):
    _require_chair()
    call = _call_or_404(slug)
    filters = parse_filters(results.RankingFilters, request.args)
    sort = Sort.parse(request.args, results.RANKING_SORTS, default="mean", default_descending=True)
    page = results.ranked_results(call, filters, sort, current_user, page=filters.page)
    return render_template("cases/ranking.html", call=call, rows=page.items, page=page, sort=sort, filters=filters,
                           args=request.args.to_dict(), form=DecisionForm(), accepted=results.accepted_count(call),
                           criteria=call.criteria, outcomes=list(Outcome), hidden_note=results.HIDDEN_NOTE)


@bp.get("/<slug>/ranking.<any(csv, xlsx):fmt>")
def export_ranking(slug: str, fmt: str):
    _require_chair()
    call = _call_or_404(slug)
    filters = parse_filters(results.RankingFilters, request.args)
    sort = Sort.parse(request.args, results.RANKING_SORTS, default="mean", default_descending=True)
    table = results.ranking_table(call, results.ranked_results(call, filters, sort, current_user).items)
    name = f"{call.slug}-ranking-{services.today().isoformat()}.{fmt}"
    body, mimetype = (to_csv(table), CSV_MIMETYPE) if fmt == "csv" else (to_xlsx(table), XLSX_MIMETYPE)
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<slug>/progress")
def progress(slug: str):
    _require_chair()
    call = _call_or_404(slug)
    return render_template("cases/progress.html", call=call, rows=results.reviewer_progress(call, viewer=current_user),
                           today=services.today(), open_places=auto.open_places(call),
                           hidden_cases=services.pending_case_ids(current_user, call.id))


@bp.post("/<slug>/reminders")
def send_reminders(slug: str):
    _require_chair()
    call = _call_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort_with(400, "The form's security token was missing. Reload the page and try again.")
    try:
        count = services.send_review_reminders(call, services.today())
    except Refused as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("cases.progress", slug=call.slug))
    flash(f"Reminders sent to {count} reviewer{'s' if count != 1 else ''} with open reviews." if count
          else "Every review is done or declined; nobody needed a reminder.", "success")
    return redirect(url_for("cases.progress", slug=call.slug))


@bp.post("/<slug>/decisions")
def decide(slug: str):
    _require_chair()
    call = _call_or_404(slug)
    form = DecisionForm()
    if not form.validate_on_submit() or not form.case_ids.data:
        flash("Choose at least one case, and a decision.", "error")
        return redirect(url_for("cases.ranking", slug=call.slug))
    cases = [services.get_submission(i) for i in form.case_ids.data]
    if any(c is None or c.call_id != call.id for c in cases):
        abort_with(404, "One of the chosen cases does not belong to this call.")
    try:
        with attempt():
            for case in cases:
                services.decide_case(case, Outcome(form.outcome.data), form.note.data or "", current_user)
    except Refused as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("cases.ranking", slug=call.slug))
    flash(f"Decision “{Outcome(form.outcome.data).label}” recorded for {len(cases)} case"
          f"{'s' if len(cases) != 1 else ''}. Nothing is sent until you release the decisions.", "success")
    return redirect(url_for("cases.ranking", slug=call.slug))


@bp.route("/<slug>/release", methods=["GET", "POST"])
def release(slug: str):
    _require_chair()
    call = _call_or_404(slug)
    form = ConfirmForm()
    pending = [r for r in results.case_results(call, current_user) if r.outcome and not r.case.released_at]
    if form.validate_on_submit():
        with attempt():
            count = services.release_decisions(call)
        flash(f"{count} decision{'s' if count != 1 else ''} released; each submitter gets an e-mail.", "success")
        return redirect(url_for("cases.ranking", slug=call.slug))
    return render_template("cases/release_confirm.html", call=call, form=form, pending=pending)


# --- the meeting programme ---------------------------------------------------------

def _meeting_or_404(call: Call):
    from gmgportal.cases import meeting as meetings

    return meetings.get_meeting(call) or abort_with(404, "The meeting is not set up yet.")


@bp.get("/<slug>/meeting")
def meeting(slug: str):
    """The printable agenda; chairs also see the forms that build it."""
    from gmgportal.cases import meeting as meetings
    from gmgportal.cases.forms import MeetingForm, PlaceForm, SessionForm

    call = _call_or_404(slug)
    found = meetings.get_meeting(call)
    if found is None and not is_chair(current_user):
        abort_with(404, "The meeting's programme is not published yet.")
    place_form = PlaceForm()
    place_form.submission_id.choices = select_choices((s.id, f"{s.ref}: {s.title[:80]}")
                                                      for s in meetings.accepted_unplaced(call))
    return render_template("cases/meeting.html", call=call, meeting=found, meeting_form=MeetingForm(obj=found),
                           session_form=SessionForm(), place_form=place_form,
                           can_edit=is_chair(current_user), tz=clock.group_zone())


@bp.get("/<slug>/meeting.pdf")
def meeting_pdf(slug: str):
    """The printable agenda as a PDF, for whoever may read the agenda page."""
    from gmgportal.cases import meeting as meetings

    call = _call_or_404(slug)
    found = meetings.get_meeting(call) or abort_with(404, "The meeting's programme is not published yet.")
    return Response(meetings.agenda_pdf(found, clock.group_zone()), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{call.slug}-agenda.pdf"'})


@bp.post("/<slug>/meeting")
def save_meeting(slug: str):
    from gmgportal.cases import meeting as meetings
    from gmgportal.cases.forms import MeetingForm

    _require_chair()
    call = _call_or_404(slug)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            with attempt():
                meetings.save_meeting(call, form.title.data, form.starts_on.data, form.ends_on.data,
                                      form.venue.data or "")
        except Refused as refusal:
            flash(refusal.message, "error")
        else:
            flash("Meeting saved.", "success")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("cases.meeting", slug=call.slug))


@bp.post("/<slug>/meeting/sessions")
def add_session(slug: str):
    from gmgportal.cases import meeting as meetings
    from gmgportal.cases.forms import SessionForm

    _require_chair()
    call = _call_or_404(slug)
    found = _meeting_or_404(call)
    form = SessionForm()
    if form.validate_on_submit():
        starts = dt.datetime.combine(form.day.data, form.time.data, clock.group_zone()).astimezone(dt.timezone.utc)
        meetings.add_session(found, form.title.data, starts, form.chair_name.data or "")
        flash(f"Session “{form.title.data.strip()}” added.", "success")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("cases.meeting", slug=call.slug))


@bp.post("/<slug>/meeting/sessions/<int:session_id>/place")
def place_case(slug: str, session_id: int):
    from gmgportal.cases import meeting as meetings
    from gmgportal.cases.forms import PlaceForm
    from gmgportal.cases.models import MeetingSession

    _require_chair()
    call = _call_or_404(slug)
    session = db.session.get(MeetingSession, session_id)
    if session is None or session.meeting.call_id != call.id:
        abort_with(404, "There is no such session in this meeting.")
    form = PlaceForm()
    if not form.validate_on_submit():
        abort_with(400, "Choose an accepted case to place.")
    submission = services.get_submission(form.submission_id.data)
    if submission is None:
        abort_with(404, "There is no such case.")
    with attempt():
        meetings.place_case(session, submission)
    flash(f"{submission.ref} placed in “{session.title}”.", "success")
    return redirect(url_for("cases.meeting", slug=call.slug))


@bp.post("/<slug>/meeting/slots/<int:slot_id>/move")
def move_slot(slug: str, slot_id: int):
    from gmgportal.cases import meeting as meetings
    from gmgportal.cases.models import SessionSlot

    _require_chair()
    call = _call_or_404(slug)
    slot = db.session.get(SessionSlot, slot_id)
    if slot is None or slot.session.meeting.call_id != call.id:
        abort_with(404, "There is no such place in the programme.")
    direction = request.form.get("direction")
    if not ConfirmForm().validate_on_submit() or direction not in ("up", "down"):
        abort_with(400, "The form was incomplete. Reload the page and use the Up or Down button.")
    with attempt():
        meetings.move_slot(slot, -1 if direction == "up" else 1)
    return redirect(url_for("cases.meeting", slug=call.slug))
