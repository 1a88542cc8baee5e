"""`flask gmg ...` commands."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from gmgportal.core.content import ContentError, load_content
from gmgportal.core.errors import Refused
from gmgportal.core.uow import unit_of_work

gmg = AppGroup("gmg", help="GMG Portal commands.")

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


@gmg.command("load-content")
@click.option("--content-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CONTENT_DIR,
              show_default=True, help="Folder with the content files.")
@click.option("--demo-accounts/--no-demo-accounts", default=None,
              help="Load the demo accounts (default: on in development only).")
@click.option("--force", is_flag=True,
              help="Apply every file even if unchanged since the last load (overwrites edits made in the portal).")
def load_content_command(content_dir: Path, demo_accounts: bool | None, force: bool) -> None:
    """Load agencies, the work programme and (in development) demo accounts. Safe to re-run:
    a file unchanged since the last load is skipped, so edits made in the portal are kept."""
    if demo_accounts is None:
        demo_accounts = bool(current_app.config.get("DEMO_ACCOUNTS"))
    try:
        with unit_of_work():
            summaries = load_content(content_dir, demo_accounts=demo_accounts, force=force)
    except ContentError as error:
        raise click.ClickException(f"{error} (nothing was loaded)") from error
    for line in summaries:
        click.echo(line)


@gmg.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--agency", "agency_code", required=True, help="Agency short code, e.g. UN/DESA.")
@click.option("--role", "roles", multiple=True, help="admin, chair, focal_point, handbook_editor, reviewer (repeatable).")
@click.password_option(help="Prompted for when not given.")
def create_user_command(email: str, name: str, agency_code: str, roles: tuple[str, ...], password: str) -> None:
    """Create a user, e.g. the first administrator."""
    from gmgportal.auth import services
    from gmgportal.core.permissions import Role

    agency = services.get_agency_by_code(agency_code)
    if agency is None:
        codes = ", ".join(a.code for a in services.list_agencies()) or "none: run `flask gmg load-content` first"
        raise click.ClickException(f"Unknown agency {agency_code!r}. Known agencies: {codes}.")
    valid_roles = {r.value for r in Role}
    unknown = [r for r in roles if r not in valid_roles]
    if unknown:
        raise click.ClickException(f"Unknown role(s) {', '.join(unknown)}. Use: {', '.join(sorted(valid_roles))}.")
    try:
        with unit_of_work():
            user = services.create_user(email, name, agency, password, [Role(r) for r in roles])
    except Refused as refusal:
        raise click.ClickException(refusal.message) from refusal
    click.echo(f"Created {user.email} ({agency.code}) with roles: {', '.join(roles) or 'none'}.")


@gmg.command("send-reminders")
@click.option("--on", "--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this date (YYYY-MM-DD); default: today.")
def send_reminders_command(on) -> None:
    """E-mail lead agencies' focal points about milestones due in 14 days or overdue. Safe to run daily."""
    from gmgportal.core.clock import today
    from gmgportal.programme.reminders import send_milestone_reminders

    with unit_of_work():
        lines = send_milestone_reminders(on.date() if on else today())
    for line in lines:
        click.echo(line)


def register_commands(app: Flask) -> None:
    from gmgportal.jobs.cli import jobs_group, worker_command

    gmg.add_command(jobs_group)
    gmg.add_command(worker_command)
    app.cli.add_command(gmg)
