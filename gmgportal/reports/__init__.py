"""Progress reports: a group's report for a period assembled from the live data as of its end date,
edited by the chairs, frozen as numbered snapshots, compared, published and exported."""


def register_reports(app) -> None:
    """The navigation link (every logged-in user reads the published reports), the chairs' home section
    and the export task."""
    from gmgportal.core.navigation import add_nav_link
    from gmgportal.core.permissions import is_member
    from gmgportal.jobs import add_tasks
    from gmgportal.reports.exports import export_report
    from gmgportal.reports.home import register_reports_home

    add_nav_link(app, "Progress reports", "reports.index", is_member, order=40)
    register_reports_home(app)
    add_tasks(app, export_report)
