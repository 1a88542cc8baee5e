"""The report's pages read a fixed number of queries however large the programme, the handbook and the
call are, and a GET never writes."""
from __future__ import annotations

import datetime as dt

import pytest

from gmgportal.core.permissions import Role
from gmgportal.programme.sampledata import create_sample_programme
from tests.reports.conftest import freeze, generate, report_id, save_section

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture
def chair(auth, people):
    auth.login(people["chair"].email)
    return auth


def sample_group(db, people, slug: str, size: int):
    from gmgportal.auth.models import Agency
    import sqlalchemy as sa

    agencies = list(db.session.scalars(sa.select(Agency).order_by(Agency.code)))
    group = create_sample_programme(people["chair"], agencies, outputs=max(2, size // 10), activities=size * 3,
                                    updates=size * 40, slug=slug)
    db.session.commit()
    return group


def pages(rid: int) -> list[str]:
    return [f"/reports/{rid}", f"/reports/{rid}/report.md", f"/reports/{rid}/chart.svg",
            f"/reports/{rid}/sections/findings"]


def counted(client, count_queries, paths: list[str]) -> list[int]:
    counts = []
    for path in paths:
        with count_queries() as queries:
            response = client.get(path)
        assert response.status_code == 200, path
        writes = [s for s in queries.statements if s.lstrip().upper().startswith(WRITES)]
        assert writes == [], f"GET {path} wrote: {writes}"
        counts.append(queries.count)
    return counts


def draft_of(client, auth, slug: str, end: str = "2014-12-31") -> int:
    rid = report_id(generate(client, auth, start="2014-01-01", end=end, group=slug))
    assert save_section(client, auth, rid, "findings", "The chairs' own words.").status_code == 302
    return rid


def test_draft_pages_read_as_many_queries_for_a_small_and_a_large_programme(
        db, client, chair, people, twg1, count_queries, frozen_clock, make_user, request):
    small = draft_of(client, chair, sample_group(db, people, "small", 3).slug)
    few = counted(client, count_queries, pages(small))
    # Much more of everything: a programme twenty times larger, the handbook's and the call's history,
    # sections edited by another chair.
    large_group = sample_group(db, people, "large", 60)
    request.getfixturevalue("handbook_history")
    request.getfixturevalue("call_history")
    frozen_clock.freeze("2014-12-31")
    chair.logout()
    other = make_user("other.chair@example.org", roles=(Role.CHAIR,), agency="IOM")
    chair.login(other.email)
    large = draft_of(client, chair, large_group.slug)
    for key in ("objectives", "outcomes", "next_steps"):
        save_section(client, chair, large, key, f"Edited {key}.")
    assert counted(client, count_queries, pages(large)) == few
    assert counted(client, count_queries, pages(small)) == few
    assert max(few) <= 25, few


def test_frozen_report_and_compare_pages_read_a_fixed_number_of_queries_and_never_write(
        db, client, chair, people, twg1, count_queries, frozen_clock, seed_progress):
    first = report_id(generate(client, chair, start="2014-01-01", end="2014-03-31"))
    freeze(client, chair, first)
    second = report_id(generate(client, chair, start="2014-04-01", end="2014-05-13"))
    freeze(client, chair, second)
    before = counted(client, count_queries, [f"/reports/{second}", f"/reports/{second}/compare"])
    sample_group(db, people, "large", 60)  # the frozen reports' pages read their snapshots only
    after = counted(client, count_queries, [f"/reports/{second}", f"/reports/{second}/compare"])
    assert before == after and max(after) <= 20, after


def test_the_reports_column_reads_give_the_programmes_answers(db, people, twg1):
    """statuses_as_of and open_milestone_rows (columns) agree with activity_states and the milestone reads
    (objects) on a programme with every case: updates before, after and on the date, none at all."""
    from gmgportal.programme import queries

    for group in (sample_group(db, people, "check", 20), twg1):  # TWG1: activities never updated
        activities = queries.group_activities(group)
        rows = queries.activity_rows(group)
        assert [r.id for r in rows] == [a.id for a in activities]
        for day in (dt.date(2014, 1, 1), dt.date(2014, 3, 15), dt.date(2014, 12, 31)):
            states = queries.activity_states(activities, day)
            assert queries.statuses_as_of(group, rows, day) == {
                i: (s.status, s.percent_complete) for i, s in states.items()}
            lines = queries.open_milestone_rows(group, day)
            assert [(m.title, m.due_date, queries.activity_ref(m.output_code, m.number)) for m in lines] == [
                (m.title, m.due_date, m.activity.ref) for m in queries.open_milestones(group, day)]
