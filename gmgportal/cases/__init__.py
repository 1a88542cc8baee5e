"""The expert group meeting's call for case studies: submissions, reviewer assignment, review, results,
decisions."""


def register_cases(app) -> None:
    """Content loader, home sections, navigation link, the assignment job, the CLI command, and the call's
    figures on the programme page of the activity it belongs to."""
    from gmgportal.cases.assignment import assign_task
    from gmgportal.cases.cli import assign_reviewers_command
    from gmgportal.cases.content import register_cases_content
    from gmgportal.cases.figures import activity_call_figures
    from gmgportal.cases.home import register_cases_home
    from gmgportal.cli import gmg
    from gmgportal.core.navigation import add_nav_link
    from gmgportal.cases.models import SubmissionAttachment
    from gmgportal.cases.services import may_see_attachment
    from gmgportal.core.attachments import register_attachment_rule
    from gmgportal.jobs import add_tasks

    register_cases_content(app)
    add_tasks(app, assign_task)
    register_attachment_rule(app, SubmissionAttachment, may_see_attachment)
    register_cases_home(app)
    # templates/cases/_activity_summary.html, included by the activity page as the handbook's summary is
    app.context_processor(lambda: {"call_figures_for": activity_call_figures})
    add_nav_link(app, "Case studies", "cases.index", lambda user: True, order=30)
    if "assign-reviewers" not in gmg.commands:
        gmg.add_command(assign_reviewers_command)
