"""Security headers, CSRF on every state-changing route, error pages, production config."""
from __future__ import annotations

import pytest

from gmgportal.core.permissions import Role

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _dummy_url(rule) -> str:
    values = dict(rule.defaults or {})
    for name, converter in rule._converters.items():
        values[name] = 1 if type(converter).__name__ in ("IntegerConverter", "NumberConverter") else "x"
    return rule.build(values, append_unknown=False)[1]


def test_csrf_less_posts_are_refused_on_every_state_changing_route(app, auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN, Role.CHAIR))
    auth.login("admin@example.org")
    checked = []
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & STATE_CHANGING
        if not methods or rule.endpoint == "static":
            continue
        url = _dummy_url(rule)
        for method in methods:
            response = client.open(url, method=method, data={"anything": "1"})
            assert response.status_code == 400, f"{method} {url} answered {response.status_code}"
            checked.append(url)
    assert "/logout" in checked and "/admin/users/new" in checked and "/login" in checked


def assert_security_headers(response, kind: str) -> None:
    from gmgportal.core.security import CONTENT_SECURITY_POLICY

    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp == CONTENT_SECURITY_POLICY, kind
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, kind
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp, kind
    assert headers.get("X-Content-Type-Options") == "nosniff", kind
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", kind
    assert headers.get("X-Frame-Options") == "DENY", kind
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", kind
    assert "Strict-Transport-Security" not in headers, kind  # only in production


def test_every_kind_of_response_has_the_security_headers(app, db, client, auth, make_user):
    """HTML pages, error pages (HTML and JSON), JSON, a file download, redirects and static files."""
    from gmgportal.jobs import run_job_inline, start_job

    chair = make_user("chair@example.org", roles=(Role.CHAIR,))
    other = make_user("other.chair@example.org", roles=(Role.CHAIR,))
    job = start_job("audit_export", chair, enqueue=False)
    others_job = start_job("audit_export", other, enqueue=False)
    db.session.commit()
    run_job_inline(job)

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: dict[str, tuple[int, str]] = {}

    def check(kind: str, response, status: int, content_type: str) -> None:
        with response:
            assert response.status_code == status, f"{kind}: {response.status_code}"
            assert response.mimetype == content_type, f"{kind}: {response.mimetype}"
            assert_security_headers(response, kind)
            seen[kind] = (response.status_code, response.headers.get("Content-Disposition", ""))

    check("redirect to log in", client.get("/jobs/"), 302, "text/html")
    check("form page", client.get("/login"), 200, "text/html")
    check("static file", client.get("/static/portal.css"), 200, "text/css")
    check("static script", client.get("/static/jobs.js"), 200, "text/javascript")
    check("404 page", client.get("/no-such-page"), 404, "text/html")
    check("405 page", client.get("/logout"), 405, "text/html")
    check("400 page (no CSRF token)", client.post("/login", data={"email": "x"}), 400, "text/html")
    check("JSON error", client.get("/api/v1/nothing-here"), 404, "application/json")
    check("500 page", client.get("/boom-for-test"), 500, "text/html")
    check("redirect after logging in", auth.login(chair.email), 302, "text/html")
    check("HTML page", client.get("/"), 200, "text/html")
    check("page with a table", client.get("/jobs/?scope=all"), 200, "text/html")
    check("JSON", client.get(f"/jobs/{job.id}/status"), 200, "application/json")
    check("file download", client.get(f"/jobs/{job.id}/download"), 200, "text/csv")
    check("redirect after a POST", client.post(f"/jobs/{others_job.id}/cancel",
                                               data={"csrf_token": auth.csrf_token(f"/jobs/{others_job.id}/cancel")}),
          303, "text/html")
    make_user("fp@example.org")
    auth.logout()
    auth.login("fp@example.org")
    check("403 page", client.get(f"/jobs/{job.id}"), 403, "text/html")
    assert seen["file download"][1].startswith("attachment")
    assert len(seen) == 16  # every check above ran


def test_templates_contain_no_inline_script_or_style(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "<style" not in html


@pytest.mark.parametrize("path,code,words", [
    ("/no-such-page", 404, "Page not found"),
    ("/logout", 405, "That action isn"),
])
def test_error_pages_are_html_in_the_portal_layout(client, path, code, words):
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert words in html and "GMG Portal" in html and "Traceback" not in html


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["status"] == 404


def test_unexpected_error_gives_500_page_without_traceback_and_rolls_back(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internal detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "secret internal detail" not in html and "Traceback" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_request_too_large_gets_the_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/login", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    from config import ProductionConfig
    from gmgportal import create_app

    for value in (None, "", "dev", "changeme", "short-secret", "a" * 32, "ab" * 20, "0123456789" * 4 + "0" * 20):
        if value is None:
            monkeypatch.delenv("SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("SECRET_KEY", value)
        with pytest.raises(RuntimeError, match="Refusing to start: set SECRET_KEY"):
            create_app(ProductionConfig)


def test_random_keys_have_enough_variety():
    import secrets

    from config import varied_enough

    assert all(varied_enough(secrets.token_hex(32)) and varied_enough(secrets.token_urlsafe(32)) for _ in range(200))
    assert not varied_enough("a" * 32) and not varied_enough("abcdefghi" * 4)


def test_production_start_with_a_bad_secret_prints_one_line_and_exits_non_zero(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "GMG_CONFIG": "production", "SECRET_KEY": "a" * 32, "GMG_INSTANCE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=root, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Refusing to start: set SECRET_KEY to a random value of at least 32 characters "
        "(python -c 'import secrets; print(secrets.token_hex(32))')."]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_production_sets_secure_cookies_and_hsts(monkeypatch, tmp_path):
    from config import ProductionConfig
    from gmgportal import create_app

    monkeypatch.setenv("SECRET_KEY", "3f9c1a7e5b2d8064c4e1f0a9b7d35e2c81f6a0d4c9b3e7f2")
    config = type("P", (ProductionConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_wsgi_entry_point_uses_the_environment_config(monkeypatch, tmp_path):
    monkeypatch.setenv("GMG_CONFIG", "nonsense")
    from config import config_from_env

    with pytest.raises(RuntimeError, match="Unknown GMG_CONFIG"):
        config_from_env()


HUGE = 99999999999999999999999


@pytest.mark.parametrize("number", [999999, HUGE, 2**63, -1])
def test_unknown_ids_and_junk_arguments_never_give_500(app, auth, make_user, client, number):
    """Every route with made-up, huge or negative IDs, and every page with junk query arguments:
    a clear 4xx, never a 500 (SQLite raises OverflowError for integers past 64 bits)."""
    make_user("admin@example.org", roles=tuple(Role))
    auth.login("admin@example.org")
    junk = {"page": str(number), "sort": "'; DROP TABLE x", "dir": "<script>", "agency": str(number),
            "status": "nope", "output": str(number), "theme": str(number), "date_from": "2014-13-45",
            "scope": "all", "role": "god", "per_page": str(number), "job": str(number)}
    checked, failures = 0, []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        values = dict(rule.defaults or {})
        for name, converter in rule._converters.items():
            kind = type(converter).__name__
            values[name] = 999999 if kind in ("IntegerConverter", "NumberConverter") else (
                "csv" if kind == "AnyConverter" else "no-such-thing")
        url = rule.build(values, append_unknown=False)[1].replace("999999", str(number))
        for query in (junk, {"page": str(number)}):
            with client.get(url, query_string=query) as response:
                if response.status_code >= 500:
                    failures.append(f"GET {url}?{'&'.join(query)} answered {response.status_code}")
        checked += 1
    assert not failures, "\n".join(failures)
    assert checked > 20


def test_huge_numbers_in_urls_are_404_and_in_query_arguments_are_400(auth, make_user, client):
    make_user("admin@example.org", roles=(Role.ADMIN, Role.CHAIR))
    auth.login("admin@example.org")
    for path in (f"/programme/activities/{HUGE}", f"/jobs/{HUGE}", f"/programme/attachments/{HUGE}",
                 f"/admin/users/{2**31}/edit"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/admin/users/{2**31 - 1}/edit").status_code == 404  # in range: simply not there
    for path in (f"/admin/audit?page={HUGE}", f"/admin/users?agency={HUGE}", f"/jobs/?page={2**62}",
                 "/programme/twg1/?page=-1"):
        assert client.get(path).status_code in (400, 404), path


def test_an_outside_submitter_sees_nothing_of_the_groups_work(app, auth, client, make_user):
    """People who registered to submit a case study hold no role: the programme, the handbook drafts and
    the reports are the members' (403), and the navigation does not offer them."""
    make_user("outsider@example.org", roles=())
    auth.login("outsider@example.org")
    for path in ("/programme/", "/handbook/", "/reports/"):
        assert client.get(path).status_code == 403, path
    home = client.get("/").get_data(as_text=True)
    assert "Work programme" not in home and "Progress reports" not in home and ">Handbook<" not in home
