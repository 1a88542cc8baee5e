"""The call's part of the "What needs you" home page: reviews owed, drafts not submitted, cases to decide."""
from __future__ import annotations

from flask import url_for

from gmgportal.cases import services
from gmgportal.cases.models import ReviewState, SubmissionStatus, is_chair
from gmgportal.core.home import HomeItem, HomeSection, register_home_section
from gmgportal.core.permissions import Role


def reviewer_section(user) -> HomeSection | None:
    if not user.has_role(Role.REVIEWER):
        return None
    today = services.today()
    items = []
    for a in services.reviewer_assignments(user):
        if a.review is not None and a.review.state != ReviewState.DRAFT:
            continue
        due = a.submission.call.review_due
        late = due is not None and today > due
        items.append(HomeItem(f"{a.submission.ref}: {a.submission.title}",
                              url_for("cases.review", assignment_id=a.id),
                              f"{'Was due' if late else 'Due'} {services.due_text(a.submission.call)}",
                              tag="overdue" if late else None, tag_text="Late" if late else None))
    return HomeSection("Case studies to review", items, order=20, empty_text="No review is waiting for you.",
                       action_text="Your reviews", action_url=url_for("cases.my_reviews"))


def submitter_section(user) -> HomeSection | None:
    drafts = [s for s in services.list_own_submissions(user) if s.status == SubmissionStatus.DRAFT]
    if not drafts:
        return None
    items = [HomeItem(s.title, url_for("cases.submission", submission_id=s.id),
                      f"Draft: submit before {services.format_group_time(s.call.closes_at)}", tag="at_risk",
                      tag_text="Draft") for s in drafts]
    return HomeSection("Your case studies", items, order=25)


def chair_section(user) -> HomeSection | None:
    if not is_chair(user):
        return None
    items = [HomeItem(c.title, url_for("cases.manage", slug=c.slug), "Submissions, reviewers and decisions")
             for c in services.list_calls()]
    return HomeSection("Calls for case studies", items, order=40, empty_text="No call is loaded.")


def register_cases_home(app) -> None:
    register_home_section(app, reviewer_section)
    register_home_section(app, submitter_section)
    register_home_section(app, chair_section)
