"""E-mail reminders to lead agencies' focal points about milestones due soon or overdue."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from gmgportal.auth.models import User, UserRole
from gmgportal.core.formatting import format_date
from gmgportal.core.mail import send_mail
from gmgportal.core.permissions import Role
from gmgportal.extensions import db
from gmgportal.jobs import Progress, register_task
from gmgportal.programme.models import Activity, Milestone, Output, ReminderSent, can_manage_programme
from gmgportal.core.clock import today
from gmgportal.programme.queries import DUE_SOON_DAYS


def milestones_needing_reminder(on: dt.date) -> list[Milestone]:
    """Open milestones due within DUE_SOON_DAYS or overdue, not yet reminded about on `on`."""
    reminded = sa.select(ReminderSent.milestone_id).where(ReminderSent.sent_on == on)
    return list(db.session.scalars(
        sa.select(Milestone)
        .where(Milestone.done_date.is_(None), Milestone.due_date <= on + dt.timedelta(days=DUE_SOON_DAYS),
               Milestone.id.not_in(reminded))
        .options(joinedload(Milestone.activity).joinedload(Activity.output).joinedload(Output.group),
                 joinedload(Milestone.activity).joinedload(Activity.lead_agency))
        .order_by(Milestone.due_date, Milestone.id)))


def focal_points_by_agency(agency_ids: set[int]) -> dict[int, list[User]]:
    users = db.session.scalars(
        sa.select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.agency_id.in_(agency_ids), User.active.is_(True), UserRole.role == Role.FOCAL_POINT)
        .order_by(User.email))
    result: dict[int, list[User]] = defaultdict(list)
    for user in users:
        result[user.agency_id].append(user)
    return result


def _claim(milestones: list[Milestone], on: dt.date, recipients: list[str]) -> list[Milestone]:
    """Record the reminders before sending; a concurrent run that claimed one first wins."""
    claimed = []
    for milestone in milestones:
        try:
            with db.session.begin_nested():
                db.session.add(ReminderSent(milestone_id=milestone.id, sent_on=on, recipients=", ".join(recipients)))
            claimed.append(milestone)
        except IntegrityError:
            continue
    return claimed


def _body(agency_code: str, milestones: list[Milestone], on: dt.date) -> str:
    lines = [f"Milestones of activities {agency_code} leads that need attention (as of {format_date(on)}):", ""]
    for m in milestones:
        state = "OVERDUE, was due" if m.due_date < on else "due"
        link = url_for("programme.activity", activity_id=m.activity_id, _external=True)
        lines.append(f"- {m.activity.ref} {m.title}: {state} {format_date(m.due_date)}\n  {link}")
    lines += ["", "Log progress on the activity page, or ask a chair to record the milestone as done.",
              "", "You receive this because you are a focal point of the lead agency."]
    return "\n".join(lines)


def send_milestone_reminders(on: dt.date) -> list[str]:
    """Mail each lead agency's focal points once a day about its due and overdue milestones."""
    if has_request_context():
        return _send_milestone_reminders(on)
    # From the command line: links point at PORTAL_URL (the address people use).
    with current_app.test_request_context(base_url=current_app.config["PORTAL_URL"]):
        return _send_milestone_reminders(on)


def _send_milestone_reminders(on: dt.date) -> list[str]:
    by_agency: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in milestones_needing_reminder(on):
        by_agency[milestone.activity.lead_agency_id].append(milestone)
    recipients = focal_points_by_agency(set(by_agency))
    summary = []
    for agency_id, milestones in by_agency.items():
        code = milestones[0].activity.lead_agency.code
        emails = [u.email for u in recipients.get(agency_id, [])]
        if not emails:
            summary.append(f"{code}: {len(milestones)} milestone(s) but no active focal point to remind")
            continue
        claimed = _claim(milestones, on, emails)
        if not claimed:
            continue
        overdue = sum(1 for m in claimed if m.due_date < on)
        subject = f"GMG Portal: {len(claimed)} milestone(s) of {code} due soon or overdue"
        send_mail(emails, subject, _body(code, claimed, on))  # leaves when the reminders are saved
        summary.append(f"{code}: reminded {len(emails)} focal point(s) about {len(claimed)} milestone(s), "
                       f"{overdue} overdue")
    return summary or ["No milestones need a reminder today."]


@register_task("send_reminders", title="Send milestone reminders", may_start=can_manage_programme,
               start_label="Send reminders now",
               description="E-mail the focal points of lead agencies about milestones due in the next "
                           f"{DUE_SOON_DAYS} days or overdue. Each milestone is mailed about at most once a day.")
def send_reminders_task(progress: Progress, params: dict):
    on = dt.date.fromisoformat(params["on"]) if params.get("on") else today()
    progress.update(5, "Finding milestones due soon or overdue")

    def apply() -> None:
        lines = send_milestone_reminders(on)
        progress.final_message = " ".join(line.rstrip(".") + "." for line in lines)

    return apply
