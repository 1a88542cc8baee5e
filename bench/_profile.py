"""Where a request's time goes: `python -m bench._profile [page ...] [--cprofile] [--no-cache]`.

In-process (Flask test client, production-like config, demo content on a temporary SQLite file),
N requests per page (BENCH_REQUESTS, default 1000) as the demo administrator. Besides the pages, two
probes split the fixed part every page pays: `/_probe/user` (session cookie read + user loaded, returns
a string) and `/_probe/page` (that plus an empty page extending base.html: CSRF token, navigation,
template context, security headers).
"""
from __future__ import annotations

import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

N = int(os.environ.get("BENCH_REQUESTS", "1000"))


def build(folder: Path):
    from flask import render_template_string
    from flask_login import current_user

    from config import ProductionConfig
    from gmgportal import create_app
    from gmgportal.core.content import load_content
    from gmgportal.core.uow import unit_of_work
    from gmgportal.extensions import db
    from gmgportal.cli import DEFAULT_CONTENT_DIR

    config = type("ProfileConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'p.sqlite3'}", "UPLOAD_FOLDER": str(folder / "u"),
        "JOBS_QUEUE_FILE": str(folder / "q.sqlite3"), "SECRET_KEY": "x" * 40, "MAIL_BACKEND": "memory",
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False, "PREFERRED_URL_SCHEME": "http", "validate": classmethod(lambda c: None)})
    app = create_app(config)

    @app.get("/_probe/user")
    def probe_user():
        return f"user {current_user.id}"

    @app.get("/_probe/page")
    def probe_page():
        return render_template_string('{% extends "base.html" %}{% block heading %}Probe{% endblock %}')

    with app.app_context():
        db.create_all()
        with unit_of_work():
            load_content(DEFAULT_CONTENT_DIR, demo_accounts=True, force=False)
    return app


def login(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"email": "admin@example.org", "password": "gmg-demo-2014", "csrf_token": token})
    assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[-800:])
    client.get("/")


PAGES = {
    "probe: user": "/_probe/user", "probe: page": "/_probe/page", "login": "/login", "home": "/",
    "overview": "/programme/twg1/", "activity page": None, "timeline": "/programme/twg1/timeline",
    "engagement": "/programme/twg1/engagement", "findings": "/programme/twg1/findings", "jobs list": "/jobs/",
    "account": "/account", "admin users": "/admin/users", "audit log": "/admin/audit",
}


def bare_cpu_ms() -> float:
    from bench._bare import app as bare

    client = bare.test_client()
    client.get("/")
    cpu = time.process_time()
    for _ in range(N):
        client.get("/")
    return (time.process_time() - cpu) * 1000 / N


def main(args: list[str]) -> None:
    profile = "--cprofile" in args
    wanted = [a for a in args if not a.startswith("--")]
    with tempfile.TemporaryDirectory() as tmp:
        app = build(Path(tmp))
        from gmgportal.extensions import db
        import sqlalchemy as sa
        from gmgportal.programme.models import Activity

        with app.app_context():
            activity_id = db.session.scalar(sa.select(sa.func.min(Activity.id)))
        anon, client = app.test_client(), app.test_client()
        login(client)
        queries = {"n": 0}

        with app.app_context():
            engine = db.engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def count(*_):
            queries["n"] += 1

        bare_ms = bare_cpu_ms()
        print(f"{'bare Flask':<14} {bare_ms:6.2f} ms CPU/request (in-process, test client)")
        headers = {"Cache-Control": "no-cache"} if "--no-cache" in args else {}
        if "--no-cache" in args:
            app.config["PAGE_CACHE_BYPASS"] = True
        for name, url in PAGES.items():
            if wanted and name not in wanted:
                continue
            url = url or f"/programme/activities/{activity_id}"
            c = anon if name == "login" else client
            assert c.get(url).status_code == 200, (name, c.get(url).status_code)
            queries["n"] = 0
            profiler = cProfile.Profile() if profile else None
            started, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(N):
                c.get(url, headers=headers)
            if profiler:
                profiler.disable()
            ms = (time.perf_counter() - started) * 1000 / N
            cpu_ms = (time.process_time() - cpu) * 1000 / N
            print(f"{name:<14} {cpu_ms:6.2f} ms CPU/request ({ms:6.2f} wall)  {queries['n'] / N:5.1f} queries"
                  f"  ratio to bare ≈ {bare_ms / cpu_ms:4.2f}", flush=True)
            if profiler:
                pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(int(os.environ.get("BENCH_LINES", "35")))


if __name__ == "__main__":
    main(sys.argv[1:])
