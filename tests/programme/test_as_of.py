"""The programme read for any date: what a page shows today, a report shows for its end date."""
from __future__ import annotations

import datetime as dt

import pytest

from gmgportal.programme import queries
from gmgportal.programme.models import Finding, FindingKind, ProgressUpdate, Status

MAY_13 = dt.date(2014, 5, 13)


@pytest.fixture
def log(db, people):
    def add(activity, as_of: dt.date, status: Status, percent: int, who: str = "iom") -> ProgressUpdate:
        user = people[who]
        update = ProgressUpdate(activity=activity, author=user, agency_id=user.agency_id, as_of=as_of, status=status,
                                percent_complete=percent, narrative=f"{status.value} on {as_of}")
        db.session.add(update)
        db.session.commit()
        return update

    return add


def test_an_update_dated_after_the_date_is_not_the_latest_as_of_that_date(log, activity_by_ref):
    handbook = activity_by_ref("1.2 (1)")
    early = log(handbook, dt.date(2014, 5, 1), Status.ON_TRACK, 10)
    late = log(handbook, dt.date(2014, 6, 1), Status.AT_RISK, 30)
    assert queries.latest_updates([handbook.id], MAY_13)[handbook.id].id == early.id
    assert queries.latest_updates([handbook.id], dt.date(2014, 6, 1))[handbook.id].id == late.id
    assert queries.latest_updates([handbook.id], dt.date(2014, 4, 30)) == {}


def test_activity_state_as_of_a_date_comes_from_the_update_of_that_date(log, activity_by_ref):
    handbook, mapping = activity_by_ref("1.2 (1)"), activity_by_ref("1.2 (2)")
    log(handbook, dt.date(2014, 6, 1), Status.DELAYED, 30)
    states = queries.activity_states([handbook, mapping], MAY_13)
    assert states[handbook.id].status is Status.NOT_STARTED and states[handbook.id].latest is None
    assert states[mapping.id].status is mapping.status  # never updated: the status the chairs set
    assert queries.activity_states([handbook], dt.date(2014, 6, 2))[handbook.id].status is Status.DELAYED


def test_a_milestone_done_after_the_date_is_still_open_and_overdue_then(db, twg1, activity_by_ref):
    handbook = activity_by_ref("1.2 (1)")
    draft = next(m for m in handbook.milestones if m.title == "Draft handbook")
    draft.done_date = dt.date(2014, 9, 10)
    db.session.commit()
    on_sept_5 = queries.overdue_milestones(twg1, dt.date(2014, 9, 5))
    assert draft in on_sept_5 and draft.state(dt.date(2014, 9, 5)) == "overdue"
    assert draft not in queries.overdue_milestones(twg1, dt.date(2014, 9, 10))
    assert draft.state(dt.date(2014, 9, 10)) == "completed"
    assert queries.next_milestones([handbook.id], dt.date(2014, 9, 5))[handbook.id].id == draft.id
    assert queries.next_milestones([handbook.id], dt.date(2014, 9, 10))[handbook.id].title == "Final handbook"


def test_open_milestones_as_of_the_seed_date_are_the_next_steps(twg1):
    titles = [(m.title, m.due_date) for m in queries.open_milestones(twg1, MAY_13)]
    assert ("Draft handbook", dt.date(2014, 8, 31)) in titles
    assert titles == sorted(titles, key=lambda t: t[1])
    assert queries.overdue_milestones(twg1, MAY_13) == []


def test_an_agency_is_silent_in_a_period_when_it_logged_nothing_dated_in_it(log, people, twg1, activity_by_ref):
    log(activity_by_ref("1.2 (1)"), dt.date(2014, 5, 2), Status.ON_TRACK, 10, who="iom")
    log(activity_by_ref("1.3 (1)"), dt.date(2014, 6, 2), Status.ON_TRACK, 10, who="unicef")
    period = queries.Period(dt.date(2014, 1, 1), MAY_13)
    silent = {a.code for a in queries.silent_agencies(twg1, period)}
    assert "IOM" not in silent and "UNICEF" in silent
    assert "UNICEF" not in {a.code for a in queries.silent_agencies(twg1, queries.Period(MAY_13, dt.date(2014, 7, 1)))}


def test_findings_can_be_read_for_a_period(db, twg1):
    db.session.add(Finding(group=twg1, kind=FindingKind.RISK, text="Later risk", noted_on=dt.date(2014, 7, 1)))
    db.session.commit()
    in_may = [f.text for f in queries.list_findings(twg1, period=queries.Period(dt.date(2014, 1, 1), MAY_13))]
    assert "Later risk" not in in_may and in_may
    assert "Later risk" in [f.text for f in queries.list_findings(twg1)]

