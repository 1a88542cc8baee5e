"""Throughput of every page against a bare Flask endpoint, in one run (`make bench`, `python -m bench throughput`).

Starts, one after the other, on 127.0.0.1 only:
- a bare Flask app returning a fixed string (bench/_bare.py),
- the portal in production config (generated SECRET_KEY, gunicorn, 2 sync workers) on a temporary
  SQLite database migrated with `flask db upgrade` and loaded with `flask gmg load-content --demo-accounts`,
  then the same plus a large programme (50 outputs, 1,000 activities, 50,000 updates);
- the same two on PostgreSQL when TEST_DATABASE_URL is set (a database created and dropped here).

Logs in as the demo administrator (posting the login form with its CSRF token), then drives each page
with wrk (16 connections, BENCH_SECONDS seconds each, default 5) and prints req/s, p50, p95 (from wrk's
own latency histogram, through a Lua `done` hook) and the ratio to the bare endpoint.
Production config sets secure cookies; over loopback http the bench sends the cookie itself.
"""
from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = 2
WRK = os.environ.get("WRK", "/usr/bin/wrk")
START_TIMEOUT = 60
STEP_TIMEOUT = 600  # seconds for one setup command (migrate, load, large data)
DEMO_PASSWORD = "gmg-demo-2014"
USER = "admin@example.org"
LARGE = {"outputs": 50, "activities": 1_000, "updates": 50_000}

# page -> (throughput ratio target, p95 target in ms)
TARGETS = {"overview": (0.25, 100), "login": (0.50, 50)}
DEFAULT_TARGET = (0.10, 100)

LUA_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d errors=%d status=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    bad_status: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _python() -> str:
    return sys.executable


def _bin(name: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


@contextmanager
def gunicorn(app_path: str, env: dict[str, str], cwd: Path) -> Iterator[int]:
    port = _free_port()
    process = subprocess.Popen(
        [_bin("gunicorn"), "--workers", str(WORKERS), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "--timeout", "60", app_path],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app_path} exited: {process.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {app_path} did not start in {START_TIMEOUT} s")
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


class Browser:
    """A minimal cookie-keeping HTTP client for loopback (ignores the Secure flag on purpose)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, body: Optional[dict] = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie_header} if self.cookies else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    cookie_value = rest.split(";", 1)[0]
                    if cookie_value:
                        self.cookies[name.strip()] = cookie_value
                    else:
                        self.cookies.pop(name.strip(), None)
            return response.status, text
        finally:
            conn.close()

    def login(self, email: str, password: str) -> None:
        status, html = self.request("GET", "/login")
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        if status != 200 or not match:
            raise RuntimeError(f"bench: no login form (status {status})")
        status, _ = self.request("POST", "/login", {"email": email, "password": password,
                                                    "csrf_token": match.group(1)})
        if status != 302:
            raise RuntimeError(f"bench: login as {email} failed (status {status})")
        # The first page after login puts a fresh CSRF token in the session: keep that cookie.
        self.request("GET", "/")


def wrk(port: int, path: str, cookie: str = "") -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA_DONE)
    try:
        command = [WRK, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "10s", "-s", script.name]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        command.append(f"http://127.0.0.1:{port}{path}")
        output = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 60).stdout
    finally:
        os.unlink(script.name)
    line = next((l for l in output.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"bench: wrk printed no summary for {path}: {output[-500:]}")
    v = {k: int(x) for k, x in (item.split("=") for item in line.split()[1:])}
    return Result(v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p95_us"] / 1000,
                  v["p99_us"] / 1000, v["errors"], v["status"])


def _portal_env(database_url: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GMG_", "DATABASE_URL", "REDIS_URL"))}
    env.update({
        "GMG_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database_url,
        "GMG_INSTANCE_DIR": str(folder), "UPLOAD_FOLDER": str(folder / "uploads"),
        "JOBS_QUEUE_FILE": str(folder / "queue.sqlite3"), "MAIL_BACKEND": "console", "FLASK_APP": "wsgi:app",
        "PYTHONPATH": str(ROOT),
    })
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"bench: {' '.join(command)} failed: {done.stderr[-2000:]}")


def prepare_database(env: dict[str, str], large: bool) -> None:
    _run([_bin("flask"), "db", "upgrade"], env)
    _run([_bin("flask"), "gmg", "load-content", "--demo-accounts"], env)
    if large:
        _run([_python(), "-m", "bench.throughput", "--seed-large"], env)


def seed_large() -> None:
    """In a subprocess with the portal's environment: add the large sample programme."""
    import sqlalchemy as sa

    from gmgportal import create_app
    from gmgportal.auth.models import Agency, User
    from gmgportal.core.uow import unit_of_work
    from gmgportal.extensions import db
    from gmgportal.programme.sampledata import create_sample_programme

    app = create_app()
    with app.app_context(), unit_of_work():
        agencies = list(db.session.scalars(sa.select(Agency).order_by(Agency.id)))
        author = db.session.scalar(sa.select(User).where(User.email == USER))
        create_sample_programme(author, agencies, **LARGE)


def _ids(env: dict[str, str], slug: str) -> dict[str, str]:
    """Ids the page addresses need, read in a subprocess with the portal's environment."""
    code = (
        "import sqlalchemy as sa\n"
        "from gmgportal import create_app\n"
        "from gmgportal.extensions import db\n"
        "from gmgportal.programme.models import Activity, Output, WorkingGroup\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    g = db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == {slug!r}))\n"
        "    a = db.session.scalar(sa.select(sa.func.min(Activity.id)).join(Activity.output)"
        ".where(Output.group_id == g.id))\n"
        "    print(a)\n")
    done = subprocess.run([_python(), "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"bench: reading ids failed: {done.stderr[-1000:]}")
    return {"activity": done.stdout.strip().splitlines()[-1]}


def pages(slug: str, activity_id: str) -> dict[str, str]:
    return {
        "login": "/login",
        "home": "/",
        "overview": f"/programme/{slug}/",
        "activity page": f"/programme/activities/{activity_id}",
        "timeline": f"/programme/{slug}/timeline",
        "engagement": f"/programme/{slug}/engagement",
        "findings": f"/programme/{slug}/findings",
        "jobs list": "/jobs/",
        "account": "/account",
        "admin users": "/admin/users",
        "audit log": "/admin/audit",
    }


LARGE_PAGES = ("home", "overview", "activity page", "timeline", "engagement", "findings")


def _row(name: str, result: Result, bare: float) -> tuple[str, bool]:
    ratio = result.rps / bare if bare else 0.0
    ratio_target, p95_target = TARGETS.get(name, DEFAULT_TARGET)
    ok = ratio >= ratio_target and result.p95_ms < p95_target and not result.errors and not result.bad_status
    problems = []
    if result.errors or result.bad_status:
        problems.append(f"{result.errors} errors, {result.bad_status} non-2xx/3xx")
    if ratio < ratio_target:
        problems.append(f"ratio < {ratio_target:.2f}")
    if result.p95_ms >= p95_target:
        problems.append(f"p95 >= {p95_target} ms")
    verdict = "ok" if ok else "MISS (" + "; ".join(problems) + ")"
    return (f"  {name:<14} {result.rps:8.0f} {result.p50_ms:7.1f} {result.p95_ms:7.1f} {ratio:6.2f}"
            f"  ≥{ratio_target:.2f} <{p95_target}ms  {verdict}"), ok


HEADER = f"  {'page':<14} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'ratio':>6}  target"


def measure_portal(label: str, database_url: str, folder: Path, large: bool, bare: float) -> tuple[list[str], int]:
    env = _portal_env(database_url, folder)
    started = time.perf_counter()
    prepare_database(env, large)
    slug = "sample" if large else "twg1"
    ids = _ids(env, slug)
    lines = [f"{label}: prepared in {time.perf_counter() - started:.0f} s"]
    lines.append(HEADER)
    missed = 0
    with gunicorn("wsgi:app", env, ROOT) as port:
        browser = Browser(port)
        browser.login(USER, DEMO_PASSWORD)
        for name, path in pages(slug, ids["activity"]).items():
            if large and name not in LARGE_PAGES:
                continue
            anonymous = name == "login"
            status, _ = (Browser(port) if anonymous else browser).request("GET", path)
            if status != 200:
                raise RuntimeError(f"bench: {path} answered {status}")
            result = wrk(port, path, "" if anonymous else browser.cookie_header)
            line, ok = _row(name, result, bare)
            missed += not ok
            lines.append(line)
    return lines, missed


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    import sqlalchemy as sa

    from config import normalise_database_url

    name = f"gmg_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalise_database_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(normalise_database_url(server_url)).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def measure_bare() -> Result:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with gunicorn("bench._bare:app", env, ROOT) as port:
        return wrk(port, "/")


def _bare_line(bare: Result) -> str:
    return f"bare Flask endpoint: {bare.rps:.0f} req/s, p50 {bare.p50_ms:.1f} ms, p95 {bare.p95_ms:.1f} ms"


def run() -> Iterator[str]:
    """Yields the table line by line. The bare endpoint is measured again before each variant and
    that variant's ratios use it: on a shared machine the bare figure itself moves."""
    if not Path(WRK).exists():
        yield f"wrk not found at {WRK}: install it (apt-get install wrk) to measure throughput"
        return
    yield (f"wrk, {CONNECTIONS} connections, {SECONDS} s per page, gunicorn {WORKERS} sync workers, "
           f"production config, logged in as {USER}; p95 from wrk's latency histogram")
    missed = 0
    variants = [("SQLite, demo content", False), ("SQLite, 50 outputs / 1,000 activities / 50,000 updates", True)]
    server = os.environ.get("TEST_DATABASE_URL", "")
    plan = [(label, large, None) for label, large in variants]
    if server:
        plan += [(label.replace("SQLite", "PostgreSQL"), large, server) for label, large in variants]
    for label, large, pg in plan:
        bare = measure_bare()
        yield _bare_line(bare)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            if pg:
                with postgres_database(pg) as url:
                    more, miss = measure_portal(label, url, folder, large, bare.rps)
            else:
                more, miss = measure_portal(label, f"sqlite:///{folder / 'bench.sqlite3'}", folder, large, bare.rps)
        missed += miss
        yield from more
    if not server:
        yield "PostgreSQL: skipped (set TEST_DATABASE_URL to measure it too)"
    yield _bare_line(measure_bare()) + " (at the end)"
    yield "every target met" if not missed else f"{missed} targets missed"


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed-large"]:
        seed_large()
    else:
        for out in run():
            print(out, flush=True)
