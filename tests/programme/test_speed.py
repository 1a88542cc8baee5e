"""Never stale, never leaked: the page cache and ETags (core/pagecache.py, core/dataversion.py).

Pages are served from a per-process cache keyed by the data version every write bumps, the user,
the address and the date. The `make_app` fixture stands for another worker process. No test here
asserts a timing.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from gmgportal.core.dataversion import read_version
from gmgportal.core.pagecache import page_cache
from gmgportal.core.permissions import Role

OVERVIEW = "/programme/twg1/"
PASSWORD = "correct horse battery"  # tests/conftest.py's DEMO_PASSWORD


class AuthActions:
    """tests/conftest.py's login helper, for clients of other app instances too."""

    def __init__(self, client):
        self.client = client

    def csrf_token(self, path: str = "/login") -> str:
        html = self.client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    def login(self, email: str):
        return self.client.post("/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": self.csrf_token()})

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf_token("/account")})


def _login(app, email):
    client = app.test_client()
    AuthActions(client).login(email)
    client.get("/")  # shows (and so clears) the welcome message
    return client


def test_a_page_is_served_from_the_cache_until_the_data_changes(app, db, people, client, auth):
    auth.login("chair@example.org")
    client.get("/")
    first = client.get(OVERVIEW)
    hits = page_cache(app).hits
    again = client.get(OVERVIEW)
    assert page_cache(app).hits == hits + 1
    def without_tokens(response):
        return re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))

    assert again.status_code == 200 and without_tokens(again) == without_tokens(first)
    assert first.headers["Cache-Control"] == "private, no-cache" and first.headers["ETag"]
    assert "Cookie" in again.headers["Vary"]


def test_a_write_in_another_worker_is_visible_on_the_next_request(app, db, people, make_app, twg1):
    here = _login(app, "focal.iom@example.org")
    assert "Renamed output for the test" not in here.get(OVERVIEW).get_data(as_text=True)
    here.get(OVERVIEW)  # now cached here
    other = make_app()
    chair = _login(other, "chair@example.org")
    output = twg1.outputs[0]
    path = f"/programme/twg1/outputs/{output.id}/edit"
    token = AuthActions(chair).csrf_token(path)
    response = chair.post(path, data={"code": output.code, "title": "Renamed output for the test",
                                      "description": "", "position": str(output.position), "csrf_token": token})
    assert response.status_code == 302
    assert "Renamed output for the test" in here.get(OVERVIEW).get_data(as_text=True)


def test_a_write_by_a_script_is_visible_on_the_next_request(app, db, people, twg1):
    client = _login(app, "focal.iom@example.org")
    client.get(OVERVIEW)
    before = read_version()
    twg1.outputs[0].title = "Changed outside any request"
    db.session.commit()
    assert read_version() > before
    assert "Changed outside any request" in client.get(OVERVIEW).get_data(as_text=True)


def test_a_page_cached_for_a_chair_is_never_served_to_a_focal_point(app, db, people):
    chair, focal = _login(app, "chair@example.org"), _login(app, "focal.iom@example.org")
    for _ in range(2):
        chair_page = chair.get(OVERVIEW)
        assert "Add an output" in chair_page.get_data(as_text=True)
        focal_page = focal.get(OVERVIEW)
        text = focal_page.get_data(as_text=True)
        assert "Add an output" not in text and "IOM Focal Point" in text and "Chair</a>" not in text
    # The chair's ETag is worthless to someone else.
    shown = focal.get(OVERVIEW, headers={"If-None-Match": chair_page.headers["ETag"]})
    assert shown.status_code == 200 and "Add an output" not in shown.get_data(as_text=True)
    assert focal_page.headers["ETag"] != chair_page.headers["ETag"]


def test_two_focal_points_of_one_agency_get_their_own_pages(app, db, people):
    first, second = _login(app, "focal.iom@example.org"), _login(app, "second.iom@example.org")
    first.get("/account"), first.get("/account")
    page = second.get("/account").get_data(as_text=True)
    assert "second.iom@example.org" in page and "focal.iom@example.org" not in page


def test_304_while_unchanged_and_never_after_a_change(app, db, people, make_app, twg1):
    client = _login(app, "focal.iom@example.org")
    etag = client.get(OVERVIEW).headers["ETag"]
    unchanged = client.get(OVERVIEW, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert unchanged.headers["ETag"].strip('"') == etag.strip('"')

    other = make_app()
    with other.app_context():
        from gmgportal.extensions import db as other_db
        from gmgportal.programme.models import Output

        other_db.session.get(Output, twg1.outputs[0].id).title = "Changed in another worker"
        other_db.session.commit()
    changed = client.get(OVERVIEW, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Changed in another worker" in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag


def test_no_304_for_another_login_of_the_same_person(app, db, people):
    first, second = _login(app, "focal.iom@example.org"), _login(app, "focal.iom@example.org")
    etag = first.get(OVERVIEW).headers["ETag"]
    assert second.get(OVERVIEW, headers={"If-None-Match": etag}).status_code == 200


def test_logging_out_takes_effect_on_the_next_request(app, db, people):
    client = _login(app, "focal.iom@example.org")
    client.get(OVERVIEW), client.get(OVERVIEW)
    cookie = client.get_cookie("session").value
    etag = client.get(OVERVIEW).headers["ETag"]
    AuthActions(client).logout()
    assert client.get(OVERVIEW).status_code == 302
    # Even the old cookie, replayed, gets neither the cached page nor a 304.
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.get(OVERVIEW, headers={"If-None-Match": etag})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_losing_a_role_takes_effect_on_the_next_request(app, db, people, make_user, make_app):
    from gmgportal.auth import services
    from gmgportal.auth.models import User

    make_user("admin@example.org", roles=(Role.ADMIN, Role.CHAIR), agency="UN/DESA")
    client = _login(app, "admin@example.org")
    assert client.get("/admin/users").status_code == 200
    assert "Add an output" in client.get(OVERVIEW).get_data(as_text=True)
    client.get("/admin/users"), client.get(OVERVIEW)  # both cached now
    other = make_app()
    with other.app_context():
        from gmgportal.extensions import db as other_db

        user = other_db.session.scalar(sa.select(User).where(User.email == "admin@example.org"))
        services.set_roles(user, [Role.FOCAL_POINT])
        other_db.session.commit()
    assert client.get("/admin/users").status_code == 403
    assert "Add an output" not in client.get(OVERVIEW).get_data(as_text=True)


def test_a_deactivated_user_is_out_on_the_next_request(app, db, people):
    from gmgportal.auth.models import User

    client = _login(app, "focal.iom@example.org")
    client.get(OVERVIEW), client.get(OVERVIEW)
    db.session.scalar(sa.select(User).where(User.email == "focal.iom@example.org")).active = False
    db.session.commit()
    assert client.get(OVERVIEW).status_code == 302


def test_a_flashed_message_is_shown_once_not_replayed_from_the_cache(app, db, people, client, auth):
    auth.login("focal.iom@example.org")
    assert "Welcome" in client.get("/").get_data(as_text=True)
    assert "Welcome" not in client.get("/").get_data(as_text=True)
    assert "Welcome" not in client.get("/").get_data(as_text=True)


def test_a_form_on_a_cached_page_carries_a_working_csrf_token(app, db, people, client, auth):
    auth.login("focal.iom@example.org")
    client.get("/")
    client.get("/account")
    html = client.get("/account").get_data(as_text=True)  # from the cache
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/account", data={"name": "Renamed Person", "time_zone": "Africa/Nairobi",
                                             "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Renamed Person" in page and '<option selected value="Africa/Nairobi">' in page


def test_the_login_page_from_the_cache_gives_each_visitor_a_working_token(app, db, people):
    for _ in range(3):
        visitor = app.test_client()
        response = AuthActions(visitor).login("focal.iom@example.org")
        assert response.status_code == 302


def test_gets_write_nothing_and_leave_the_version_alone(app, db, people, count_queries):
    client = _login(app, "chair@example.org")
    before = read_version()
    with count_queries() as queries:
        for path in (OVERVIEW, OVERVIEW, "/", "/", "/account", "/account", "/login"):
            client.get(path)
    assert read_version() == before
    assert not [s for s in queries.statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def test_every_kind_of_write_bumps_the_version_and_a_rollback_undoes_it(app, db, twg1):
    from gmgportal.programme.models import Output

    db.session.commit()
    start = read_version()  # loading the content was a write
    assert start
    twg1.outputs[0].title = "Changed"
    db.session.flush()
    assert read_version() == start + 1
    db.session.rollback()
    assert read_version() == start
    db.session.execute(sa.update(Output).where(Output.id == twg1.outputs[0].id).values(title="Bulk"))
    db.session.commit()
    assert read_version() > start


def test_time_zones_offer_the_duty_stations_first_and_refuse_unknown_zones(app, db, people, client, auth):
    auth.login("focal.iom@example.org")
    html = client.get("/account").get_data(as_text=True)
    stations = html.index('<optgroup label="Duty stations">')
    assert stations < html.index("Nairobi (Africa/Nairobi)") < html.index('<optgroup label="All time zones">')
    assert html.index('<optgroup label="All time zones">') < html.index(">Pacific/Auckland<")
    assert '<option selected value="UTC">' in html
    token = AuthActions(client).csrf_token("/account")
    refused = client.post("/account", data={"name": "X", "time_zone": "Mars/Olympus_Mons", "csrf_token": token})
    assert refused.status_code == 200 and "Choose a time zone from the list." in refused.get_data(as_text=True)
    saved = client.post("/account", data={"name": "X", "time_zone": "Asia/Bangkok", "csrf_token": token})
    assert saved.status_code == 302


def test_the_jobs_list_from_the_cache_gives_each_showing_its_own_idempotency_keys(app, db, people):
    client = _login(app, "chair@example.org")
    keys = []
    for _ in range(3):
        html = client.get("/jobs/").get_data(as_text=True)
        found = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', html)
        assert found and len(set(found)) == len(found)
        keys += found
    assert len(set(keys)) == len(keys)
    assert "\x00" not in html
