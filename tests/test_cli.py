"""`flask gmg` commands: content loading and user creation."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gmgportal.auth import services
from gmgportal.auth.models import Agency, User
from gmgportal.core.permissions import Role

CONTENT = Path(__file__).resolve().parent.parent / "content"


def test_load_content_is_idempotent(db, runner):
    first = runner.invoke(args=["gmg", "load-content", "--demo-accounts"])
    assert first.exit_code == 0, first.output
    assert "agencies: 6 created" in first.output
    second = runner.invoke(args=["gmg", "load-content", "--demo-accounts"])
    assert second.exit_code == 0, second.output
    assert "agencies: unchanged since the last load" in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == 6
    codes = set(db.session.scalars(sa.select(Agency.code)))
    assert {"UN/DESA", "IOM", "ILO", "UNICEF", "World Bank", "OECD"} <= codes
    chair = services.get_user_by_email("chair@example.org")
    assert chair.role_set == {Role.CHAIR}


def test_reload_keeps_agency_edits_unless_the_file_changed_or_forced(db, runner):
    assert runner.invoke(args=["gmg", "load-content"]).exit_code == 0
    iom = services.get_agency_by_code("IOM")
    services.save_agency(iom, "IOM", "IOM – UN Migration", iom.kind)
    assert runner.invoke(args=["gmg", "load-content"]).exit_code == 0
    db.session.expire_all()
    assert services.get_agency_by_code("IOM").name == "IOM – UN Migration"
    forced = runner.invoke(args=["gmg", "load-content", "--force"])
    assert forced.exit_code == 0 and "agencies: 0 created, 1 updated" in forced.output
    db.session.expire_all()
    assert services.get_agency_by_code("IOM").name == "International Organization for Migration"


def test_demo_accounts_are_not_loaded_unless_asked(db, runner):
    result = runner.invoke(args=["gmg", "load-content"])  # TestingConfig has DEMO_ACCOUNTS off
    assert result.exit_code == 0, result.output
    assert "demo accounts: skipped" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_content_errors_name_file_and_line_and_load_nothing(db, runner, tmp_path):
    for path in CONTENT.iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
        else:
            import shutil

            shutil.copytree(path, tmp_path / path.name)
    (tmp_path / "agencies.yaml").write_text(
        "agencies:\n  - code: IOM\n    name: International Organization for Migration\n"
        "  - code: XYZ\n    name: Bad kind\n    kind: planet\n")
    result = runner.invoke(args=["gmg", "load-content", "--content-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "agencies.yaml:4: 'kind' must be one of 'member', 'collaborator' or 'other'" in result.output
    assert "nothing was loaded" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == 0


def test_content_yaml_syntax_error_names_the_line(db, runner, tmp_path):
    (tmp_path / "agencies.yaml").write_text("agencies:\n  - code: IOM\n   name: [unclosed\n")
    result = runner.invoke(args=["gmg", "load-content", "--content-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "agencies.yaml:" in result.output and "not valid YAML" in result.output


def test_create_user_makes_the_first_admin(db, runner, make_agency):
    make_agency("UN/DESA")
    result = runner.invoke(args=["gmg", "create-user", "--email", "Root@Example.org", "--name", "First Admin",
                                 "--agency", "UN/DESA", "--role", "admin", "--password", "a long admin password"])
    assert result.exit_code == 0, result.output
    user = services.get_user_by_email("root@example.org")
    assert user.has_role(Role.ADMIN) and user.agency.code == "UN/DESA"


def test_create_user_reports_bad_input_in_one_line(db, runner, make_agency):
    make_agency("IOM")
    cases = [
        (["--agency", "NOPE", "--role", "admin", "--password", "a long admin password"], "Unknown agency 'NOPE'"),
        (["--agency", "IOM", "--role", "boss", "--password", "a long admin password"], "Unknown role(s) boss"),
        (["--agency", "IOM", "--role", "admin", "--password", "short"], "at least 10 characters"),
    ]
    for extra, message in cases:
        result = runner.invoke(args=["gmg", "create-user", "--email", "x@example.org", "--name", "X", *extra])
        assert result.exit_code != 0 and message in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
