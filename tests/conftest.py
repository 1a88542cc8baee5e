"""Shared fixtures: app, db, client, runner, login helper, factories.

The database is SQLite in a temporary file, or a uniquely named database on
the PostgreSQL server at TEST_DATABASE_URL (created here and dropped at the
end). The schema is created once per run; every test starts from empty tables.
Under CI=true a test that would be skipped for lack of PostgreSQL, Redis or a
browser fails instead.
"""
from __future__ import annotations

import contextvars
import io
import itertools
import os
import re
import uuid
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient

from config import TestingConfig, normalise_database_url
from gmgportal import create_app
from gmgportal.core.permissions import Role
from gmgportal.core.uow import reading
from gmgportal.extensions import db as _db

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
DEMO_PASSWORD = "correct horse battery"
CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"


def skip_or_fail(reason: str) -> None:
    """Skip locally; in CI a missing service or browser is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run in CI)")
    pytest.skip(reason)


def form_labels(html: str) -> dict[str, str]:
    """Label (and legend) texts by their field id, whitespace collapsed."""
    found = {}
    for match in re.finditer(r'<label for="([^"]+)">(.*?)</label>|<legend>(.*?)</legend>', html, re.S):
        text = re.sub(r"<[^>]+>", "", match.group(2) or match.group(3))
        found[match.group(1) or text] = " ".join(text.split())
    return found


def zip_parts(parts: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP package of these parts (name: content), in this order, as a Word or Excel file is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return buffer.getvalue()


def _create_postgres_database(server_url: str) -> tuple[str, str]:
    name = f"gmg_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalise_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = sa.engine.make_url(normalise_database_url(server_url)).set(database=name)
    return name, url.render_as_string(hide_password=False)


def _drop_postgres_database(server_url: str, name: str) -> None:
    admin = sa.create_engine(normalise_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        name, url = _create_postgres_database(TEST_DATABASE_URL)
        yield url
        _drop_postgres_database(TEST_DATABASE_URL, name)
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def redis_prefix() -> str:
    return f"gmgtest-{uuid.uuid4().hex[:10]}"


def make_config(database_url: str, upload_dir: Path, **overrides) -> type[TestingConfig]:
    attrs = {"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": str(upload_dir)}
    attrs.update(overrides)
    return type("RunTestingConfig", (TestingConfig,), attrs)


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    app = create_app(make_config(database_url, tmp_path_factory.mktemp("uploads")))
    with app.app_context():
        _db.create_all()
    yield
    with app.app_context():
        _db.drop_all() if not TEST_DATABASE_URL else None
        _db.engine.dispose()


def _empty_all_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app_config(database_url, tmp_path):
    """The config class for this test; override attributes with `app_config_overrides`."""
    return make_config(database_url, tmp_path / "uploads")


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, as a real server would.

    The `app` fixture keeps an app context pushed for factories and asserts;
    without this, requests would share its `g` (cached current_user, CSRF
    token) and its database session, and tests could pass that real use fails.
    """

    def open(self, *args, **kwargs):
        # End the test's own transaction first, so that the request neither
        # waits for its locks nor misses what it wrote, and after, so that the
        # test reads what the request wrote.
        outer = has_app_context()  # redirects being followed come back in here
        if outer:
            _db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            if outer:
                _db.session.commit()


@pytest.fixture
def app(_schema, app_config):
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_all_tables()
        # The test's own reads must not take SQLite's write lock (see core/sqlite.py).
        with reading():
            yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def make_app(app_config):
    """Build more app instances (standing for more worker processes); disposed after."""
    apps = []

    def make(config=None):
        extra = create_app(config or app_config)
        extra.test_client_class = IsolatedClient
        apps.append(extra)
        return extra

    yield make
    for extra in apps:
        with extra.app_context():
            _db.engine.dispose()


@pytest.fixture
def queue_worker(app):
    """A job-queue consumer (one worker thread) on this test's queue, stopped after the test."""
    from gmgportal.jobs.queue import get_huey
    from gmgportal.jobs.worker import start_background_consumer

    consumer = start_background_consumer(app, workers=1)
    yield consumer
    consumer.shutdown()
    get_huey(app).storage.close()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture(autouse=True)
def _real_clock_after_each_test():
    yield
    from gmgportal.core import clock

    clock.unfreeze()


@pytest.fixture
def frozen_clock():
    """The portal's clock stopped at 13 May 2014, 12:00 in Geneva (the seed report's date).

    `frozen_clock.freeze("2014-06-01")` moves it, `frozen_clock.advance(minutes=31)` runs it on;
    `frozen_clock.now()` and `.today()` read it. Unfrozen after the test.
    """
    from gmgportal.core import clock

    clock.freeze("2014-05-13")
    return clock


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def make_agency(db):
    from gmgportal.auth.models import Agency, AgencyKind

    def make(code: str | None = None, name: str | None = None, kind: AgencyKind = AgencyKind.MEMBER) -> Agency:
        code = code or f"AG{next(_counter)}"
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == code))
        if agency is None:
            agency = Agency(code=code, name=name or f"Agency {code}", kind=kind)
            db.session.add(agency)
            db.session.commit()
        return agency

    return make


@pytest.fixture
def make_user(db, make_agency):
    from gmgportal.auth import services
    from gmgportal.core.permissions import Role

    def make(email: str | None = None, roles=(Role.FOCAL_POINT,), agency=None, password: str = DEMO_PASSWORD,
             name: str | None = None, active: bool = True):
        agency = agency if agency is not None else make_agency()
        if isinstance(agency, str):
            agency = make_agency(agency)
        email = email or f"user{next(_counter)}@example.org"
        user = services.create_user(email, name or email.split("@")[0].title(), agency, password, roles,
                                    active=active)
        db.session.commit()
        return user

    return make


class AuthActions:
    def __init__(self, client):
        self.client = client

    def csrf_token(self, path: str = "/login") -> str:
        import re

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str = DEMO_PASSWORD, remember: bool = False, follow: bool = False):
        data = {"email": email, "password": password, "csrf_token": self.csrf_token("/login")}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data, follow_redirects=follow)

    def logout(self):
        token = self.csrf_token("/account")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def count_queries(db):
    """Context manager counting SQL statements: `with count_queries() as q: ...; q.count`."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        class Box:
            count = 0
            statements: list[str] = []

        box = Box()
        box.statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            # Transaction control (our SQLite BEGIN IMMEDIATE) is not a query.
            if statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
                return
            box.count += 1
            box.statements.append(statement)

        # Count what rendering the page costs, not a page served from the page cache.
        from flask import current_app

        cache = current_app.extensions.get("gmg_page_cache")
        if cache is not None:
            cache.clear()
        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield box
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counter


@pytest.fixture
def submitted_case(db):
    """Submits a case to a call: `submitted_case(call, submitter, title, **fields)`; `fields` replace the
    short placeholder answers (organisation, countries, data_kinds, summary, method, ...)."""
    from gmgportal.cases import services as cases

    def submit(call, submitter, title: str, **fields):
        answers = {"organisation": "Statistics office", "countries": ["SEN"], "data_kinds": ["mobile_phone_records"],
                   "summary": "Summary.", "method": "Method.", "innovation": "New.", "replication": "Anywhere.",
                   "gender": "By sex.", "contact_email": submitter.email, "coauthors": [], **fields}
        case = cases.create_submission(call, submitter, cases.SubmissionData(title=title, **answers))
        cases.submit_case(case)
        return case

    return submit


# --- the TWG1 programme from content/ and its people (programme and reports tests) -------------

@pytest.fixture
def twg1(db):
    """The TWG1 programme (and the agencies) loaded from content/."""
    from gmgportal.core.content import load_content
    from gmgportal.programme.queries import get_group

    load_content(CONTENT_DIR)
    return get_group("twg1")


@pytest.fixture
def activity_by_ref(db, twg1):
    from gmgportal.programme.models import Activity

    def find(ref: str) -> Activity:
        activities = db.session.scalars(sa.select(Activity)).all()
        return next(a for a in activities if a.ref == ref)

    return find


@pytest.fixture
def people(make_user, twg1):
    """One user per role the programme cares about, by short name."""
    return {
        "iom": make_user("focal.iom@example.org", agency="IOM", name="IOM Focal Point"),
        "iom2": make_user("second.iom@example.org", agency="IOM", name="Second IOM Focal Point"),
        "unicef": make_user("focal.unicef@example.org", agency="UNICEF"),
        "chair": make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Chair"),
        "reviewer": make_user("reviewer@example.org", roles=(Role.REVIEWER,), agency="OECD"),
    }
