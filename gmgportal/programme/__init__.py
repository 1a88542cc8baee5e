"""The work programme: groups, objectives, outputs, activities, milestones,
progress updates and findings."""


def register_programme(app) -> None:
    """Content loader (after agencies), home sections, the attachment rule, the navigation link and the reminders job."""
    from gmgportal.core.attachments import register_attachment_rule
    from gmgportal.core.navigation import add_nav_link
    from gmgportal.core.permissions import is_member
    from gmgportal.jobs import add_tasks
    from gmgportal.programme.content import register_programme_content
    from gmgportal.programme.demo import register_demo_progress
    from gmgportal.programme.home import register_programme_home
    from gmgportal.programme.reminders import send_reminders_task
    from gmgportal.programme.models import ProgressAttachment, can_read_programme

    register_programme_content(app)
    register_demo_progress(app)
    register_programme_home(app)
    add_tasks(app, send_reminders_task)
    register_attachment_rule(app, ProgressAttachment, lambda attachment, user: can_read_programme(user))
    add_nav_link(app, "Work programme", "programme.index", is_member, order=10)
