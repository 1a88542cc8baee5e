"""SQLite runs as a sound embedded database: WAL, foreign keys, and no
"database is locked" when two worker processes write at once."""
from __future__ import annotations

import multiprocessing

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_DATABASE_URL, make_config

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite behaviour; the run is on PostgreSQL")


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(db):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def _worker(database_url: str, upload_dir: str, worker: int, rounds: int, queue) -> None:
    from gmgportal import create_app
    from gmgportal.auth.models import Agency, AgencyKind
    from gmgportal.extensions import db

    app = create_app(make_config(database_url, upload_dir))
    errors = []
    with app.app_context():
        for i in range(rounds):
            try:
                # Read first, then write: the pattern that fails without BEGIN IMMEDIATE.
                db.session.scalar(sa.select(sa.func.count()).select_from(Agency))
                db.session.add(Agency(code=f"W{worker}-{i}", name="x", kind=AgencyKind.OTHER))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 (reported to the parent)
                db.session.rollback()
                errors.append(repr(error))
    queue.put(errors)


def test_two_processes_writing_at_once_do_not_fail_with_database_is_locked(app, db, database_url, tmp_path):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_worker, args=(database_url, str(tmp_path), n, 60, queue)) for n in range(2)]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert results == [[], []]
    from gmgportal.auth.models import Agency

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == 120


def test_a_new_database_folder_is_made_so_the_first_upgrade_can_open_the_file(tmp_path):
    from gmgportal import create_app

    folder = tmp_path / "new" / "instance"
    create_app(make_config(f"sqlite:///{folder / 'gmgportal.db'}", tmp_path / "uploads"))
    assert folder.is_dir()
