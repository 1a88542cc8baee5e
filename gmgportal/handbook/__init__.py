"""The handbook: chapters written by the member agencies, versions, comments, a workflow."""


def register_handbook(app) -> None:
    """Content loader (after the programme), home sections, the compile job and the navigation link."""
    from gmgportal.core.navigation import add_nav_link
    from gmgportal.core.permissions import is_member
    from gmgportal.handbook.compile import compile_handbook
    from gmgportal.handbook.docx_import import import_docx_job
    from gmgportal.core.attachments import register_attachment_rule
    from gmgportal.handbook.models import ChapterImage
    from gmgportal.jobs import add_tasks
    from gmgportal.handbook.content import register_handbook_content
    from gmgportal.handbook.home import register_handbook_home

    register_handbook_content(app)
    register_handbook_home(app)
    add_tasks(app, compile_handbook, import_docx_job)
    register_attachment_rule(app, ChapterImage, lambda image, user: is_member(user))
    add_nav_link(app, "Handbook", "handbook.board", is_member, order=20)
