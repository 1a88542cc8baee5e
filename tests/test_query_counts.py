"""The pages that list things run the same number of SQL queries for little and much data."""
from __future__ import annotations

import pytest

from gmgportal.auth.models import Agency
from gmgportal.core.permissions import Role
from gmgportal.programme.sampledata import create_sample_programme


@pytest.fixture
def world(db, make_user):
    """Builds `n`-sized data: agencies, users, a programme (so audit events too)."""
    agencies = [Agency(code=c, name=c) for c in ("UN/DESA", "IOM", "ILO")]
    db.session.add_all(agencies)
    db.session.commit()
    boss = make_user("boss@example.org", roles=tuple(Role), agency=agencies[1])

    def build(size: int) -> str:
        for i in range(size):
            make_user(f"user{size}-{i}@example.org", roles=(Role.FOCAL_POINT, Role.REVIEWER),
                      agency=agencies[i % 3])
        group = create_sample_programme(boss, agencies, outputs=max(2, size // 10), activities=size * 3,
                                        updates=size * 20, slug=f"g{size}")
        return group.slug

    return build


PAGES = ["/", "/admin/users", "/admin/audit", "/admin/agencies", "/jobs/", "/jobs/?scope=all", "/programme/{slug}/engagement",
         "/programme/{slug}/findings"]


def _counts(client, count_queries, slug: str) -> dict[str, int]:
    counts = {}
    for template in PAGES:
        path = template.format(slug=slug)
        client.get(path)  # warm-up
        with count_queries() as queries:
            assert client.get(path).status_code == 200, path
        counts[template] = queries.count
    return counts


def test_list_pages_run_a_fixed_number_of_queries(auth, client, world, count_queries):
    small_slug = world(3)
    auth.login("boss@example.org")
    small = _counts(client, count_queries, small_slug)
    large_slug = world(60)
    large = _counts(client, count_queries, large_slug)
    assert small == large
    assert max(large.values()) <= 20, large
