"""The work programme's pages with 50 outputs, 1,000 activities and 50,000 progress updates (SQLite)."""
from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

from config import TestingConfig

OUTPUTS, ACTIVITIES, UPDATES = 50, 1_000, 50_000
RUNS = 25
TARGET_MS = 100


def _app(folder: Path):
    from gmgportal import create_app

    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
        "UPLOAD_FOLDER": str(folder / "uploads"),
    })
    return create_app(config)


def _login(client, email: str, password: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, "bench login failed"


def _median_ms(client, url: str) -> tuple[float, int]:
    client.get(url)  # warm caches and templates
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
    return statistics.median(times), len(response.data)


def bench_schema_and_user(*roles):
    """A fresh schema with the five member agencies and the bench's user (bench@example.org) holding `roles`."""
    from gmgportal.auth import services as auth_services
    from gmgportal.auth.models import Agency
    from gmgportal.extensions import db

    db.create_all()
    agencies = [Agency(code=c, name=c) for c in ("UN/DESA", "IOM", "ILO", "UNICEF", "World Bank")]
    db.session.add_all(agencies)
    db.session.commit()
    user = auth_services.create_user("bench@example.org", "Bench", agencies[0], "bench-password-1", list(roles))
    db.session.commit()
    return user, agencies


def run() -> list[str]:
    from gmgportal.core.permissions import Role
    from gmgportal.extensions import db
    from gmgportal.programme.sampledata import create_sample_programme

    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        with app.app_context():
            user, agencies = bench_schema_and_user(Role.CHAIR, Role.FOCAL_POINT)
            started = time.perf_counter()
            group = create_sample_programme(user, agencies, outputs=OUTPUTS, activities=ACTIVITIES, updates=UPDATES)
            db.session.commit()
            lines.append(f"data: {OUTPUTS} outputs, {ACTIVITIES} activities, {UPDATES} updates "
                         f"({time.perf_counter() - started:.1f} s to create)")
            slug = group.slug
            activity_id = db.session.scalar(db.select(db.func.min(db.text("id"))).select_from(db.text("activity")))
            client = app.test_client()
            _login(client, "bench@example.org", "bench-password-1")
            pages = {"overview": f"/programme/{slug}/", "activity page": f"/programme/activities/{activity_id}",
                     "timeline": f"/programme/{slug}/timeline", "engagement": f"/programme/{slug}/engagement"}
            for name, url in pages.items():
                median, size = _median_ms(client, url)
                verdict = "ok" if median < TARGET_MS else f"OVER {TARGET_MS} ms"
                lines.append(f"{name:<14} median {median:6.1f} ms over {RUNS} runs ({size // 1024} KB)  {verdict}")
            db.session.remove()
            db.engine.dispose()
    return lines
