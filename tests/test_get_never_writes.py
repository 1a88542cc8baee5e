"""A GET never writes to the database, on any page without URL parameters."""
from __future__ import annotations

from gmgportal.core.permissions import Role

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def test_no_get_page_writes_to_the_database(app, auth, make_user, client, count_queries):
    make_user("everyone@example.org", roles=tuple(Role))
    auth.login("everyone@example.org")
    visited = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments or rule.endpoint == "static":
            continue
        with count_queries() as queries:
            with client.get(rule.rule) as response:
                assert response.status_code < 500, rule.rule
        writes = [s for s in queries.statements if s.lstrip().upper().startswith(WRITES)]
        assert writes == [], f"GET {rule.rule} wrote: {writes}"
        visited.append(rule.rule)
    assert "/" in visited and "/admin/users" in visited and "/admin/audit" in visited
