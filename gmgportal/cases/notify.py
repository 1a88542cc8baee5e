"""E-mails of the call: registration links, reviewer lists, decisions. Sent after the commit."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for

from gmgportal.auth.models import User
from gmgportal.cases.models import Assignment, Call, Decision, ReviewState
from gmgportal.core.mail import send_mail


def portal_url(endpoint: str, **values) -> str:
    """A link at PORTAL_URL (the address people use), from a request, a job or the command line."""
    base = current_app.config["PORTAL_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=base):
        return base + url_for(endpoint, **values)


def confirmation_mail(email: str, name: str, token: str) -> None:
    link = portal_url("cases.confirm", token=token)
    send_mail([email], "Confirm your e-mail address for the GMG Portal",
              f"Dear {name},\n\nTo finish registering for the GMG Portal's call for case studies, open this link "
              f"within 3 days and confirm:\n\n{link}\n\nIf you did not register, ignore this message: "
              f"nothing happens without the confirmation.\n")


def already_registered_mail(user: User) -> None:
    send_mail([user.email], "You already have a GMG Portal account",
              f"Dear {user.name},\n\nSomeone (perhaps you) tried to register this address for the GMG Portal. "
              f"You already have an account: log in at {portal_url('auth.login')}.\n\nIf you forgot your password, "
              f"ask the portal's administrators.\n")


def assignment_mail(reviewer: User, call: Call, assignments: list[Assignment]) -> None:
    from gmgportal.cases.services import due_text

    lines = "\n".join(f"- {a.submission.ref}: {a.submission.title}" for a in assignments)
    send_mail([reviewer.email], f"Cases for you to review: {call.title}",
              f"Dear {reviewer.name},\n\nYou have been asked to review these case studies:\n\n{lines}\n\n"
              f"Reviews are due by {due_text(call)}. Your list: {portal_url('cases.my_reviews')}\n")


def decision_mail(decision: Decision, assignments: list[Assignment]) -> None:
    """The decision, the chairs' note and the comments meant for the authors: never the confidential comments,
    never reviewer names."""
    submission = decision.submission
    comments = [a.review.comments_for_authors for a in assignments
                if a.review is not None and a.review.state == ReviewState.SUBMITTED and a.review.comments_for_authors]
    blocks = "\n\n".join(f"Reviewer {i}:\n{text}" for i, text in enumerate(comments, start=1)) or "None."
    note = f"\n\nA note from the chairs:\n{decision.note}" if decision.note else ""
    recipients = list(dict.fromkeys(e for e in [submission.submitter.email, submission.contact_email] if e))
    send_mail(recipients, f"Decision on your case study: {submission.title}",
              f"Dear {submission.submitter.name},\n\nThe chairs have decided on your case study "
              f"“{submission.title}”: {decision.outcome.label}.{note}\n\nComments from the reviewers:\n\n{blocks}\n\n"
              f"Your submission: {portal_url('cases.submission', submission_id=submission.id)}\n")


def reminder_mail(reviewer: User, call: Call, assignments: list[Assignment], late: bool) -> None:
    from gmgportal.cases.services import due_text

    lines = "\n".join(f"- {a.submission.ref}: {a.submission.title}" for a in assignments)
    when = f"were due on {due_text(call)}" if late else f"are due by {due_text(call)}"
    send_mail([reviewer.email], f"Reminder: {len(assignments)} review{'s' if len(assignments) != 1 else ''} "
                                f"{'overdue' if late else 'due soon'}",
              f"Dear {reviewer.name},\n\nThese reviews {when}:\n\n{lines}\n\nYour list: "
              f"{portal_url('cases.my_reviews')}\n")
