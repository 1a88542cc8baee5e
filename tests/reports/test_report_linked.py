"""Section 2 draws on the handbook (activity 1.2 (1)) and the call for case studies (1.2 (3)) as of the
report's end date, found through their link to an activity; the activity page shows the call's figures."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from gmgportal.cases.figures import call_figures
from gmgportal.handbook.models import ChapterStatus, Handbook
from gmgportal.programme.queries import Period
from gmgportal.reports.assemble import assemble_report
from gmgportal.reports.linked import handbook_figures


def highlights_of(group, end: str, start: str = "2014-01-01") -> str:
    return assemble_report(group, Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))) \
        .section("highlights").body


def activity_block(body: str, number: int) -> str:
    """The lines of activity (`number`) of output 1.2 in the highlights' Markdown."""
    block = body.split("- **Output 1.2:**")[1].split("- **Output 1.3:**")[0]
    return block.split(f"    - ({number}) ")[1].split("    - (")[0]


def test_handbook_figures_follow_its_history_as_of_the_end_date(db, twg1, handbook_history):
    handbook = db.session.scalar(sa.select(Handbook))
    total = len(handbook.chapters)
    before = handbook_figures([handbook], dt.date(2014, 5, 9))[handbook.id]
    assert (before.versions, before.words, before.by_status) == (0, 0, ((ChapterStatus.NOT_STARTED, total),))
    may = handbook_figures([handbook], dt.date(2014, 5, 13))[handbook.id]
    assert may.by_status == ((ChapterStatus.NOT_STARTED, total - 1), (ChapterStatus.DRAFTING, 1))
    assert (may.versions, may.words, may.submitted_or_accepted) == (1, 5, 0)
    june = handbook_figures([handbook], dt.date(2014, 6, 30))[handbook.id]
    assert june.by_status == ((ChapterStatus.NOT_STARTED, total - 1), (ChapterStatus.SUBMITTED, 1))
    assert (june.versions, june.words, june.submitted_or_accepted, june.overdue) == (2, 8, 1, 0)
    # After the draft's due date (31 August) every chapter due then and not submitted is overdue.
    due_in_august = sum(1 for c in handbook.chapters if c.due_date and c.due_date < dt.date(2014, 9, 30))
    assert handbook_figures([handbook], dt.date(2014, 9, 30))[handbook.id].overdue == due_in_august - 1


def test_highlights_carry_the_handbooks_figures_of_the_period_and_not_later_ones(twg1, handbook_history):
    may = activity_block(highlights_of(twg1, "2014-05-13"), 1)
    assert "*Handbook, as of 13 May 2014:*" in may
    assert "1 drafting" in may and "1 version saved, 5 of" in may and "0 of 9 submitted or accepted" in may
    assert "submitted or accepted" in may and "1 submitted" not in may
    june = activity_block(highlights_of(twg1, "2014-06-30", start="2014-05-14"), 1)
    assert "*Handbook, as of 30 June 2014:*" in june
    assert "1 submitted" in june and "2 versions saved, 8 of" in june and "1 of 9 submitted or accepted" in june
    # Only the activity the handbook belongs to carries it.
    body = highlights_of(twg1, "2014-06-30")
    assert body.count("*Handbook, as of") == 1 and "*Handbook" not in activity_block(body, 2)


def test_call_figures_count_only_what_was_done_by_the_end_of_the_day(db, call_history):
    figures = lambda day: call_figures(call_history, dt.date.fromisoformat(day))  # noqa: E731
    counts = lambda f: (f.submitted, f.reviews_assigned, f.reviews_done, f.decided, f.accepted)  # noqa: E731
    assert counts(figures("2014-06-01")) == (0, 0, 0, 0, 0)
    # The second case was withdrawn on 20 July: it counts as submitted until the day before.
    assert counts(figures("2014-06-02")) == (2, 0, 0, 0, 0)
    assert counts(figures("2014-07-09")) == (2, 2, 0, 0, 0)
    assert counts(figures("2014-07-10")) == (2, 2, 1, 0, 0)
    assert counts(figures("2014-07-19")) == (2, 2, 1, 0, 0)
    assert counts(figures("2014-07-20")) == (1, 2, 1, 1, 1)
    assert counts(figures("2014-07-31")) == (1, 2, 1, 1, 1)
    assert figures("2014-05-01").window == "opens on 5 May 2014"
    assert figures("2014-06-30").window == "open until 30 June 2014"
    assert figures("2014-07-31").window == "closed on 30 June 2014"


def test_highlights_carry_the_calls_figures_of_the_period_and_not_later_ones(twg1, call_history):
    may = activity_block(highlights_of(twg1, "2014-05-31"), 3)
    assert "as of 31 May 2014 (open until 30 June 2014):* 0 cases submitted." in may
    july = activity_block(highlights_of(twg1, "2014-07-31", start="2014-06-01"), 3)
    assert "as of 31 July 2014 (closed on 30 June 2014):* 1 case submitted; 1 of 2 reviews done; " \
           "1 decided, 1 accepted." in july
    body = highlights_of(twg1, "2014-07-31")
    assert body.count("cases submitted") + body.count("case submitted") == 1  # only on 1.2 (3)


def test_a_case_withdrawn_after_the_reports_end_is_in_its_figures_and_not_in_a_later_one(twg1, call_history):
    june = activity_block(highlights_of(twg1, "2014-06-30"), 3)
    assert "as of 30 June 2014 (open until 30 June 2014):* 2 cases submitted." in june
    july_19 = activity_block(highlights_of(twg1, "2014-07-19", start="2014-07-01"), 3)
    assert "as of 19 July 2014 (closed on 30 June 2014):* 2 cases submitted; 1 of 2 reviews done." in july_19
    july_20 = activity_block(highlights_of(twg1, "2014-07-20", start="2014-07-01"), 3)
    assert "* 1 case submitted; 1 of 2 reviews done; 1 decided, 1 accepted." in july_20


def test_withdrawing_records_the_clocks_time(db, call_history):
    from gmgportal.cases.models import Submission, SubmissionStatus
    from gmgportal.core import clock

    withdrawn = db.session.scalar(sa.select(Submission).where(Submission.status == SubmissionStatus.WITHDRAWN))
    assert withdrawn.withdrawn_at == clock.as_utc_instant("2014-07-20")  # noon in Geneva, when it was done
    assert db.session.scalar(sa.select(sa.func.count()).where(
        Submission.status == SubmissionStatus.SUBMITTED, Submission.withdrawn_at.is_not(None))) == 0


def test_a_case_withdrawn_without_a_date_is_left_out_of_every_dates_figures(db, call_history):
    """Rows withdrawn before withdrawals were dated (the migration leaves withdrawn_at NULL)."""
    from gmgportal.cases.models import Submission, SubmissionStatus

    withdrawn = db.session.scalar(sa.select(Submission).where(Submission.status == SubmissionStatus.WITHDRAWN))
    withdrawn.withdrawn_at = None
    db.session.commit()
    for day in ("2014-06-02", "2014-06-30", "2014-07-19", "2014-07-31"):
        assert call_figures(call_history, dt.date.fromisoformat(day)).submitted == 1, day


def test_a_frozen_report_keeps_the_figures_of_its_date(client, auth, people, twg1, call_history, frozen_clock):
    from tests.reports.conftest import freeze, generate, report_id

    frozen_clock.freeze("2014-08-01")
    auth.login(people["chair"].email)
    rid = report_id(generate(client, auth, start="2014-01-01", end="2014-06-30"))
    freeze(client, auth, rid)
    html = client.get(f"/reports/{rid}").get_data(as_text=True)
    # The case withdrawn on 20 July was still submitted on 30 June.
    assert "as of 30 June 2014 (open until 30 June 2014):</em> 2 cases submitted.</p>" in html


def test_the_activity_page_of_the_calls_activity_shows_its_figures_as_of_today(
        client, auth, people, activity_by_ref, call_history, frozen_clock):
    frozen_clock.freeze("2014-07-15")
    auth.login(people["iom"].email)
    html = client.get(f"/programme/activities/{activity_by_ref('1.2 (3)').id}").get_data(as_text=True)
    section = html.split('id="call-summary-title"')[1].split("</section>")[0]
    assert ">Call for case studies: innovative data practices on migration</a>: closed on 30 June 2014." in section
    assert "<dt>Cases submitted</dt><dd>2</dd>" in section and "<dd>1 of 2 assigned</dd>" in section
    assert "<dd>0 decided, 0 accepted</dd>" in section and "As of 15 July 2014." in section
    assert 'href="/cases/egm-2014/"' in section
    other = client.get(f"/programme/activities/{activity_by_ref('1.2 (2)').id}").get_data(as_text=True)
    assert 'id="call-summary-title"' not in other


def test_a_call_linked_to_no_activity_is_in_no_report(db, twg1, call_history):
    call_history.activity_ref = ""
    db.session.commit()
    assert "case submitted" not in highlights_of(twg1, "2014-07-31")


def test_a_calls_title_is_literal_text_in_the_figures_line():
    from gmgportal.cases.figures import CallFigures
    from gmgportal.core.markdown import render_markdown

    figures = CallFigures("c", "Big *data* and call_detail [records]", dt.date(2014, 6, 1), dt.date(2014, 5, 5),
                          dt.date(2014, 6, 30), 1, 0, 0, 0, 0)
    html = str(render_markdown(figures.sentence))
    assert "<em>Big *data* and call_detail [records], as of 1 June 2014 (open until 30 June 2014):</em>" in html
    assert html.endswith("1 case submitted.</p>")
