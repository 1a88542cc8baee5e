"""The work programme: groups, objectives, outputs, activities, milestones,
progress updates and findings."""


def register_programme(app) -> None:
    """Content loader (after agencies), home sections, the attachment rule and the navigation link."""
    from gmgportal.core.attachments import register_attachment_rule
    from gmgportal.core.navigation import add_nav_link
    from gmgportal.programme.content import register_programme_content
    from gmgportal.programme.home import register_programme_home
    from gmgportal.programme.models import ProgressAttachment, can_read_programme
    from gmgportal.programme import reminders  # noqa: F401 (registers the reminders job)

    register_programme_content(app)
    register_programme_home(app)
    register_attachment_rule(app, ProgressAttachment, lambda attachment, user: can_read_programme(user))
    add_nav_link(app, "Work programme", "programme.index", lambda user: True, order=10)
