"""The handbook: chapters written by the member agencies, versions, comments, a workflow."""


def register_handbook(app) -> None:
    """Content loader (after the programme), home sections and the navigation link."""
    from gmgportal.core.navigation import add_nav_link
    from gmgportal.handbook import compile  # noqa: F401 (registers the compile job)
    from gmgportal.handbook.content import register_handbook_content
    from gmgportal.handbook.home import register_handbook_home

    register_handbook_content(app)
    register_handbook_home(app)
    add_nav_link(app, "Handbook", "handbook.board", lambda user: True, order=20)
