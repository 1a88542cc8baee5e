"""The chairs' manage page: submitted cases a page at a time, filtered by title and by open places,
in a fixed number of queries whatever the number of cases."""
from __future__ import annotations

import re

import pytest

from gmgportal.core.permissions import Role

PER_PAGE = 50


@pytest.fixture
def many_cases(db, call, make_user):
    """`add(n, title=...)` adds `n` submitted cases (rows written directly, as the benchmark does: fast)."""
    from gmgportal.cases.models import Submission, SubmissionStatus
    from gmgportal.core import clock

    submitter = make_user("many@example.org", roles=(Role.FOCAL_POINT,), agency="ILO")
    made = []

    def add(n: int, title: str = "Household survey") -> list:
        start = len(made)
        for i in range(n):
            made.append(Submission(call=call, submitter=submitter, agency_id=submitter.agency_id,
                                   title=f"{title} {start + i}", status=SubmissionStatus.SUBMITTED,
                                   submitted_at=clock.now()))
        db.session.add_all(made[start:])
        db.session.commit()
        return made[start:]

    return add


def rows_of(html: str) -> list[str]:
    """The case links of the table, in order ("Case 12: title")."""
    return re.findall(r'data-label="Case"><a href="/cases/submissions/\d+/reviewers">([^<]+)</a>', html)


def test_manage_shows_the_cases_a_page_at_a_time_with_the_total(client, auth, call, chair, many_cases):
    cases = many_cases(PER_PAGE + 5)
    auth.login(chair.email)
    first = client.get(f"/cases/{call.slug}/manage").get_data(as_text=True)
    assert len(rows_of(first)) == PER_PAGE and rows_of(first)[0] == f"{cases[0].ref}: {cases[0].title}"
    assert f"Page 1 of 2 ({PER_PAGE + 5} in all)" in first and "page=2" in first
    second = client.get(f"/cases/{call.slug}/manage?page=2").get_data(as_text=True)
    assert rows_of(second) == [f"{c.ref}: {c.title}" for c in cases[PER_PAGE:]]
    assert "Page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    # Past the end: the last page, not an empty one.
    assert rows_of(client.get(f"/cases/{call.slug}/manage?page=9").get_data(as_text=True)) == rows_of(second)


def test_manage_filters_by_title_and_keeps_the_filter_in_the_page_links(client, auth, call, chair, many_cases):
    many_cases(10, title="Household survey")
    census = many_cases(PER_PAGE + 2, title="Census round 2010")
    auth.login(chair.email)
    html = client.get(f"/cases/{call.slug}/manage?q=CENSUS").get_data(as_text=True)
    assert len(rows_of(html)) == PER_PAGE and all("Census round" in row for row in rows_of(html))
    assert f"({PER_PAGE + 2} in all)" in html and 'value="CENSUS"' in html
    assert re.search(r'href="/cases/egm-2014/manage\?[^"]*q=CENSUS[^"]*page=2|page=2[^"]*q=CENSUS', html)
    second = client.get(f"/cases/{call.slug}/manage?q=census&page=2").get_data(as_text=True)
    assert rows_of(second) == [f"{c.ref}: {c.title}" for c in census[PER_PAGE:]]
    none = client.get(f"/cases/{call.slug}/manage?q=satellite").get_data(as_text=True)
    assert rows_of(none) == [] and "No submitted case matches these filters" in none


def test_manage_filters_the_cases_that_need_a_reviewer(client, auth, call, chair, many_cases, make_reviewer, assign):
    full, short = many_cases(2)
    for agency in ("IOM", "UNICEF", "OECD"):
        assign(full, make_reviewer(agency=agency))
    assign(short, make_reviewer(agency="World Bank"))
    auth.login(chair.email)
    everything = rows_of(client.get(f"/cases/{call.slug}/manage").get_data(as_text=True))
    assert everything == [f"{full.ref}: {full.title}", f"{short.ref}: {short.title}"]
    html = client.get(f"/cases/{call.slug}/manage?needs=1").get_data(as_text=True)
    assert rows_of(html) == [f"{short.ref}: {short.title}"] and "1 of 3" in html
    assert 'id="needs" name="needs" value="1" checked' in html and "Clear the filters" in html
    many_cases(PER_PAGE)
    paged = client.get(f"/cases/{call.slug}/manage?needs=1&q=survey").get_data(as_text=True)
    assert re.search(r'href="/cases/egm-2014/manage\?q=survey&amp;needs=1&amp;page=2" rel="next"', paged)


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=-1", "needs=maybe", "q=" + "x" * 101])
def test_manage_refuses_a_filter_it_cannot_use(client, auth, call, chair, many_cases, query):
    many_cases(1)
    auth.login(chair.email)
    response = client.get(f"/cases/{call.slug}/manage?{query}")
    assert response.status_code == 400
    assert "This address has a filter the portal cannot use" in response.get_data(as_text=True)


def test_manage_is_for_chairs_only_and_for_calls_that_exist(client, auth, call, chair, make_reviewer, many_cases):
    many_cases(1)
    auth.login(make_reviewer("rev@example.org").email)
    assert client.get(f"/cases/{call.slug}/manage?page=1").status_code == 403
    auth.logout()
    auth.login(chair.email)
    assert client.get("/cases/no-such-call/manage?page=2").status_code == 404


def test_manage_without_submitted_cases_says_so(client, auth, call, chair):
    auth.login(chair.email)
    html = client.get(f"/cases/{call.slug}/manage").get_data(as_text=True)
    assert "No case is submitted yet." in html and 'class="filters"' not in html


def test_manage_runs_the_same_number_of_queries_for_few_and_many_cases(client, auth, call, chair, many_cases,
                                                                       make_reviewer, assign, count_queries):
    def counts() -> dict[str, int]:
        found = {}
        for path in ("manage", "manage?page=2", "manage?q=survey&needs=1&page=2"):
            with count_queries() as queries:
                assert client.get(f"/cases/{call.slug}/{path}").status_code == 200
            found[path] = queries.count
        return found

    few = many_cases(PER_PAGE + 3)  # a second page, as the large call has
    assign(few[0], make_reviewer(agency="IOM"))
    auth.login(chair.email)
    client.get(f"/cases/{call.slug}/manage")  # warm-up
    small = counts()
    more = many_cases(3 * PER_PAGE)
    for agency in ("UNICEF", "OECD", "World Bank"):
        reviewer = make_reviewer(agency=agency)
        for case in more[:10]:
            assign(case, reviewer)
    large = counts()
    assert small == large, (small, large)
    assert max(large.values()) <= 12, large
