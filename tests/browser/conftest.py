"""Browser tests: a live server of the test app, Chromium through Playwright,
axe-core accessibility checks and screenshots.

Fixtures (other feature tests rely on these names):

- `live_server` – the `app` fixture served on 127.0.0.1 in a background
  thread; `.url` is its base URL. Data made with `db` and the factories is
  visible to it (same app, same database).
- `browser` – one headless system Chromium per test session.
- `page` – a fresh context and page per test (1280×900).
- `login_as(page, live_server, email, password=DEMO_PASSWORD)` – logs in through
  the form and waits for the home page.
- `check_a11y(page)` – axe-core, WCAG 2.0/2.1 A and AA; fails listing every violation.
- `screenshot(page, name)` – full-page PNG in test-artifacts/screenshots/<name>.png.

Every test in this folder is marked `browser`. While a live server runs, the
test's own database session starts read transactions without taking SQLite's
write lock, so reading test data never blocks the server; call
`db.session.rollback()` before reading what the server has changed since.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from gmgportal.core.permissions import Role
from tests.conftest import CONTENT_DIR, DEMO_PASSWORD, skip_or_fail

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    browser_dir = Path(__file__).parent
    for item in items:
        if browser_dir in item.path.parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    url: str
    errors: list[str] = field(default_factory=list)
    allow_errors: bool = False  # set True in a test that provokes a 500 on purpose


class _ErrorCollector(logging.Handler):
    def __init__(self, server: LiveServer) -> None:
        super().__init__(logging.ERROR)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        self.server.errors.append(self.format(record))


@pytest.fixture
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}")
    collector = _ErrorCollector(live)
    app.logger.addHandler(collector)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    # The test's own session reads in deferred transactions (the app fixture sees to it),
    # so it never holds the write lock the server needs.
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.logger.removeHandler(collector)
    if live.errors and not live.allow_errors:
        pytest.fail("The live server logged errors:\n" + "\n".join(live.errors))


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} is missing (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:  # a broken browser install, not a test failure
        playwright.stop()
        skip_or_fail(f"Chromium does not start: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


# Console messages that mean the page broke a rule (CSP) or its script failed.
_BAD_CONSOLE = re.compile(r"Refused to|Content Security Policy|Uncaught", re.IGNORECASE)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and _BAD_CONSOLE.search(msg.text) else None)
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    yield page
    context.close()
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems))


@pytest.fixture
def login_as():
    def login(page, live_server, email: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(f"{live_server.url}/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label(re.compile(r"^Password")).fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        page.get_by_role("heading", level=1, name="What needs you").wait_for()

    return login


def _describe(violation: dict) -> str:
    lines = [f"- {violation['id']} ({violation.get('impact')}): {violation['help']} [{violation.get('helpUrl', '')}]"]
    for node in violation["nodes"]:
        target = ", ".join(" ".join(t) if isinstance(t, list) else str(t) for t in node["target"])
        lines.append(f"    {target}    {node.get('html', '')[:160]}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        skip_or_fail("axe-playwright-python is not installed (pip install -e '.[test]')")
    return Axe()


@pytest.fixture
def check_a11y(_axe):
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}

    def check(page) -> None:
        results = _axe.run(page, options=options)
        violations = results.response["violations"]
        if violations:
            pytest.fail(f"axe found {len(violations)} accessibility problem(s) on {page.url}:\n"
                        + "\n".join(_describe(v) for v in violations))

    return check


@pytest.fixture
def screenshot():
    def take(page, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- data shared by several flows (listed before live_server in a test's parameters) ----------

@pytest.fixture
def everyone(db, runner, make_user):
    result = runner.invoke(args=["gmg", "load-content"])
    assert result.exit_code == 0, result.output
    from gmgportal.auth.services import get_agency_by_code

    return make_user("everyone@example.org", roles=tuple(Role), agency=get_agency_by_code("IOM"),
                     name="Every Role")


@pytest.fixture
def samples(db, frozen_clock, everyone, make_user, submitted_case):
    """A chapter with two versions and a compiled edition; a submitted case reviewed by `everyone`,
    and an open assignment proposal: so every handbook and case table has rows."""
    from gmgportal.cases import services as cases
    from gmgportal.cases.models import AssignmentProposal, Recommendation
    from gmgportal.handbook import services as handbook
    from gmgportal.handbook.models import Chapter, Handbook
    from gmgportal.jobs import run_job_inline, start_job

    frozen_clock.freeze("2014-06-02")  # inside the call's window
    chapter = db.session.scalar(sa.select(Chapter).order_by(Chapter.number))
    writer = make_user(agency=chapter.lead_agency, name="Chapter Writer")
    handbook.save_chapter_version(chapter, writer, "## Scope\n\nWhat the chapter covers.", "First draft", 0)
    handbook.save_chapter_version(chapter, writer, "## Scope\n\nWhat the chapter covers, and why.", "", 1)
    db.session.commit()
    job = start_job("handbook_compile", everyone, {"handbook_id": db.session.scalar(sa.select(Handbook.id)),
                                                   "mode": "latest"}, enqueue=False)
    db.session.commit()
    run_job_inline(job)

    call = cases.get_call("egm-2014")
    submitter = make_user(agency="ILO", name="Case Submitter")
    case = submitted_case(call, submitter, "Mobile phone records for migration flows",
                          summary="Call detail records measure migration.", method="Anonymised call records.",
                          innovation="New source", replication="Any operator", gender="Sex from subscriber data")
    assignment = cases.assign_reviewer(case, everyone)
    cases.save_review(assignment, cases.ReviewData(
        scores={c.id: c.max_score for c in call.criteria}, comments_for_authors="Clear and replicable.",
        confidential_comments="A strong case.", recommendation=Recommendation.ACCEPT.value), submit=True)
    proposal = AssignmentProposal(call_id=call.id, created_by_id=everyone.id, pairs=[[everyone.id, case.id, 0.5]],
                                  summary={"total": 0.5, "greedy_total": 0.5})
    db.session.add(proposal)
    db.session.commit()
    return {"chapter": chapter, "call": call, "case": case, "assignment": assignment, "proposal": proposal}


@pytest.fixture
def handbook_people(db, make_user):
    """The outline from content/, two World Bank authors, the editor and the chair. Listed before live_server."""
    from gmgportal.core.content import load_content

    load_content(CONTENT_DIR)
    db.session.commit()
    make_user("author.wb@example.org", agency="World Bank", name="Wanda Bank")
    make_user("second.wb@example.org", agency="World Bank", name="Walter Second")
    make_user("editor@example.org", roles=(Role.HANDBOOK_EDITOR,), agency="UN/DESA", name="Edith Editor")
    make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Bela Hovy")
