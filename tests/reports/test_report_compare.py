"""Comparing a frozen report with the group's previous one: periods that do not follow each other, no
previous report, long sections."""
from __future__ import annotations

import datetime as dt

import pytest

from gmgportal.programme.models import Status
from gmgportal.reports.services import CONTEXT_LINES, diff_lines
from tests.reports.conftest import SEED_NARRATIVE, freeze, generate, report_id


@pytest.fixture
def as_chair(auth, people, frozen_clock):
    auth.login(people["chair"].email)
    return auth


def frozen(client, auth, start: str, end: str) -> int:
    rid = report_id(generate(client, auth, start=start, end=end))
    assert freeze(client, auth, rid).status_code == 302
    return rid


def test_the_first_frozen_report_says_there_is_nothing_to_compare_it_with(client, as_chair, twg1):
    first = frozen(client, as_chair, "2014-01-01", "2014-03-31")
    response = client.get(f"/reports/{first}/compare")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "TWG1 progress report 1 is the group&#39;s first frozen report: there is nothing to compare it with." in html
    assert f'href="/reports/{first}/compare"' not in client.get(f"/reports/{first}").get_data(as_text=True)


def test_a_previous_report_of_a_period_with_a_gap_before_this_one(
        client, as_chair, twg1, people, activity_by_ref, log_update):
    frozen(client, as_chair, "2014-01-01", "2014-02-28")
    log_update(activity_by_ref("1.2 (1)"), people["chair"], dt.date(2014, 4, 30), Status.ON_TRACK, 20, SEED_NARRATIVE)
    second = frozen(client, as_chair, "2014-04-01", "2014-05-13")
    assert f'href="/reports/{second}/compare"' in client.get(f"/reports/{second}").get_data(as_text=True)
    html = client.get(f"/reports/{second}/compare").get_data(as_text=True)
    assert "Report 1 covers 1 January 2014 to 28 February 2014; report 2 covers 1 April 2014 to 13 May 2014." in html
    assert "Neither report covers 1 March 2014 to 31 March 2014: what happened then is in no frozen report." in html
    header = html.split('id="compare-header"')[1].split("</section>")[0]
    assert "Removed: </span>28 February 2014" in header and "Added: </span>13 May 2014" in header
    highlights = html.split('id="compare-highlights"')[1].split("</section>")[0]
    assert f"<li class=\"diff-added depth-2\"><ins><span class=\"diff-mark\">Added: </span>{SEED_NARRATIVE}" in highlights


def test_a_previous_report_whose_period_overlaps_or_lies_inside_this_one(client, as_chair, twg1):
    frozen(client, as_chair, "2014-03-01", "2014-04-30")
    overlapping = frozen(client, as_chair, "2014-04-01", "2014-05-13")
    html = client.get(f"/reports/{overlapping}/compare").get_data(as_text=True)
    assert "The periods overlap: what happened between 1 April 2014 and 30 April 2014 is in both." in html
    wider = frozen(client, as_chair, "2014-01-01", "2014-05-13")
    html = client.get(f"/reports/{wider}/compare").get_data(as_text=True)
    assert "<h1>TWG1 progress report 3 compared with report 2</h1>" in html
    assert "Report 3&#39;s period includes all of report 2&#39;s." in html
    objectives = html.split('id="compare-objectives"')[1].split("</section>")[0]
    assert "Unchanged" in objectives and "Word for word as in report 2." in objectives


def test_long_runs_of_unchanged_lines_are_counted_not_shown():
    old = "\n".join(f"line {n}" for n in range(100))
    new = old.replace("line 50", "line fifty")
    lines = diff_lines(old, new)
    assert ("removed", "line 50") in lines and ("added", "line fifty") in lines
    skipped = [int(text) for kind, text in lines if kind == "skipped"]
    assert skipped == [50 - CONTEXT_LINES, 49 - CONTEXT_LINES]
    assert len([1 for kind, _ in lines if kind == "same"]) == 2 * CONTEXT_LINES
    assert diff_lines("a\nb", "a\nb\nc") == [("same", "a"), ("same", "b"), ("added", "c")]


def test_two_reports_of_thousands_of_lines_compare_quickly():
    import time

    old = "\n\n".join(f"        Update {n}: work continued as planned." for n in range(12_000))
    new = "\n\n".join(f"        Update {n}: work continued as planned." for n in range(6_000, 18_000))
    started = time.process_time()
    lines = diff_lines(old, new)
    assert time.process_time() - started < 5  # (line-by-line ndiff took minutes on these)
    assert sum(1 for kind, _ in lines if kind == "added") == 12_000  # 6,000 updates and a blank line each
