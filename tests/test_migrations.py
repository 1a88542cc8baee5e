"""`flask db upgrade` on an empty database gives exactly the models' schema."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from gmgportal import create_app
from gmgportal.extensions import db
from tests.conftest import TEST_DATABASE_URL, _create_postgres_database, _drop_postgres_database, make_config


def _upgrade_and_compare(url: str, uploads) -> list:
    app = create_app(make_config(url, uploads))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        downgrade(revision="base")
        with db.engine.connect() as conn:
            remaining = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert remaining == set(), f"downgrade left tables: {remaining}"
    return diff


def test_upgrade_on_empty_sqlite_matches_models(tmp_path):
    assert _upgrade_and_compare(f"sqlite:///{tmp_path}/m.db", tmp_path) == []


@pytest.mark.postgres
def test_upgrade_on_empty_postgresql_matches_models(tmp_path):
    if not TEST_DATABASE_URL:
        from tests.conftest import skip_or_fail

        skip_or_fail("TEST_DATABASE_URL is not set")
    name, url = _create_postgres_database(TEST_DATABASE_URL)
    try:
        assert _upgrade_and_compare(url, tmp_path) == []
    finally:
        _drop_postgres_database(TEST_DATABASE_URL, name)


def test_every_constraint_is_named(app):
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
