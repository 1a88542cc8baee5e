"""The handbook's board and a chapter page, in-process (test client, SQLite): time and queries for a chapter
with few and with many versions and comments (target of the speed issue: p95 under 100 ms; the query
count must not grow with the data)."""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.handbook import _chapter
from bench.programme import _app, _login

RUNS = 30
CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"


def _grow(chapter, writer, editor, versions: int, comments: int) -> None:
    from gmgportal.extensions import db
    from gmgportal.handbook import services

    for i in range(versions):
        text = _chapter(10_000, seed=i + chapter.latest_version_number)
        services.save_chapter_version(chapter, writer, text, f"Round {i}", chapter.latest_version_number)
    latest = services.latest_version(chapter)
    for i in range(comments):
        parent = services.add_comment(chapter, editor, latest, i % 20, f"Comment {i}, @author please look.")
        services.add_comment(chapter, writer, latest, i % 20, "Done.", parent)
    db.session.commit()


def _measure(client, path: str, mode: str) -> tuple[float, float, int]:
    """mode: "cold" (page and Markdown caches empty: the first view in a fresh process), "rendered" (the
    page rendered, its paragraphs' HTML known: a view after any write), "cached" (from the page cache)."""
    from gmgportal.core.markdown import forget_rendered
    from gmgportal.extensions import db
    from gmgportal.handbook.models import _render_chapter

    cache = client.application.extensions["gmg_page_cache"]
    client.get(path)
    times, statements = [], []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(RUNS):
            if mode != "cached":
                cache.clear()
            if mode == "cold":
                forget_rendered()
                _render_chapter.cache_clear()
            statements.clear()
            started = time.perf_counter()
            assert client.get(path).status_code == 200, path
            times.append((time.perf_counter() - started) * 1000)
        queries = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], queries


def run() -> list[str]:
    from gmgportal.auth import services as auth_services
    from gmgportal.auth.models import Agency
    from gmgportal.core.content import load_content
    from gmgportal.core.permissions import Role
    from gmgportal.extensions import db
    from gmgportal.handbook.models import Chapter, ChapterComment

    lines = [f"handbook pages in-process, SQLite, median and p95 of {RUNS}, a 10,000-word chapter:"]
    with tempfile.TemporaryDirectory(prefix="bench-handbook-") as tmp:
        app = _app(Path(tmp))
        with app.app_context():
            db.create_all()
            load_content(CONTENT_DIR)
            db.session.commit()
            agencies = {a.code: a for a in db.session.scalars(sa.select(Agency))}
            writer = auth_services.create_user("author@example.org", "Author", agencies["World Bank"],
                                               "bench-password-1", [Role.FOCAL_POINT])
            editor = auth_services.create_user("editor@example.org", "Editor", agencies["UN/DESA"],
                                               "bench-password-1", [Role.HANDBOOK_EDITOR])
            db.session.commit()
            chapter = db.session.scalar(sa.select(Chapter).where(Chapter.number == 3))
            client = app.test_client()
            _login(client, "editor@example.org", "bench-password-1")
            for versions, comments in ((1, 5), (29, 55)):
                _grow(chapter, writer, editor, versions, comments)
                total = db.session.scalar(sa.select(sa.func.count()).select_from(ChapterComment))
                for name, path in (("board", "/handbook/"), ("chapter page", f"/handbook/chapters/{chapter.id}")):
                    for mode in ("cold", "rendered", "cached"):
                        median, p95, queries = _measure(client, path, mode)
                        verdict = "OK" if p95 < 100 else "TOO SLOW"
                        lines.append(f"  {name} ({mode}), {chapter.latest_version_number} versions, {total} comments: "
                                     f"{median:.0f} ms median, {p95:.0f} ms p95, {queries} queries "
                                     f"[target p95 < 100 ms: {verdict}]")
    return lines
