"""The chairs' pages: generate, edit a section, freeze, compare, publish; members read published reports."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from gmgportal.programme.models import Status
from gmgportal.reports.models import FrozenReportChanged, Report, ReportStatus, SnapshotSection
from tests.reports.conftest import MAY_13, SEED_NARRATIVE, freeze, generate, report_id, save_section, token


@pytest.fixture
def as_chair(auth, people):
    auth.login(people["chair"].email)
    return auth


@pytest.fixture
def draft(client, as_chair, seed_progress, frozen_clock):
    return report_id(generate(client, as_chair))


def test_chair_generates_the_may_2014_draft_with_the_seeds_sections(client, draft):
    html = client.get(f"/reports/{draft}").get_data(as_text=True)
    assert "<h1>Draft TWG1 progress report, 13 May 2014</h1>" in html
    assert "<title>Draft TWG1 progress report, 13 May 2014 – GMG Portal</title>" in html
    headings = re.findall(r'<h2 id="heading-[a-z_]+">(\d)\. ', html)
    assert headings == [str(n) for n in range(1, 8)]
    assert SEED_NARRATIVE in html and "Chair: Bela Hovy, UN/DESA" in html


def test_generate_form_offers_the_day_after_the_last_frozen_report(client, as_chair, twg1, frozen_clock):
    html = client.get("/reports/new").get_data(as_text=True)
    assert "TWG1: 1 January 2014" in html and 'value="2014-05-13"' in html
    rid = report_id(generate(client, as_chair, start="2014-01-01", end="2014-03-31"))
    freeze(client, as_chair, rid)
    assert "TWG1: 1 April 2014" in client.get("/reports/new").get_data(as_text=True)
    response = generate(client, as_chair, start="")
    from gmgportal.extensions import db

    created = db.session.get(Report, report_id(response))
    assert (created.period_start, created.period_end) == (dt.date(2014, 4, 1), MAY_13)


def test_a_period_ending_before_it_starts_is_refused_on_the_form(client, as_chair, twg1):
    response = generate(client, as_chair, start="2014-05-13", end="2014-01-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "The end of the period must be on or after its start." in html


def test_edit_a_section_with_preview_then_save_keeps_it_across_regeneration(
        client, as_chair, draft, people, activity_by_ref, log_update):
    text = "The handbook needs **more chapters** from the members."
    preview = save_section(client, as_chair, draft, "findings", text, preview="Preview")
    assert "<strong>more chapters</strong>" in preview.get_data(as_text=True)
    assert text not in client.get(f"/reports/{draft}").get_data(as_text=True)  # a preview saves nothing
    response = save_section(client, as_chair, draft, "findings", text, submit="Save the section")
    assert response.status_code == 302
    html = client.get(f"/reports/{draft}").get_data(as_text=True)
    assert "<strong>more chapters</strong>" in html and "Edited" in html
    assert "data under this section changed" not in html
    log_update(activity_by_ref("1.3 (1)"), people["unicef"], dt.date(2014, 5, 10), Status.ON_TRACK, 5, "Started.")
    html = client.get(f"/reports/{draft}").get_data(as_text=True)
    assert "<strong>more chapters</strong>" in html  # the chair's text is kept
    assert html.count("The data under this section changed since it was edited.") == 1
    reset = client.post(f"/reports/{draft}/sections/findings/reset",
                        data={"csrf_token": token(as_chair, f"/reports/{draft}")})
    assert reset.status_code == 302
    html = client.get(f"/reports/{draft}").get_data(as_text=True)
    assert "more chapters" not in html and "ILO, OECD, World Bank." in html


def test_an_empty_section_text_is_refused_with_the_reason(client, as_chair, draft):
    html = save_section(client, as_chair, draft, "outcomes", "  ", submit="Save").get_data(as_text=True)
    assert "Write the section&#39;s text, or reset it to the generated text." in html


def test_freezing_numbers_the_report_and_nothing_changes_it_after(
        db, client, as_chair, draft, people, activity_by_ref, log_update):
    page = client.get(f"/reports/{draft}/freeze").get_data(as_text=True)
    assert "<h1>Freeze this report?</h1>" in page and "nobody can change it" in page
    assert freeze(client, as_chair, draft).status_code == 302
    report = db.session.get(Report, draft)
    assert (report.status, report.number, report.frozen_by_id) == (ReportStatus.FROZEN, 1, people["chair"].id)
    before = client.get(f"/reports/{draft}/report.md").get_data(as_text=True)
    log_update(activity_by_ref("1.3 (1)"), people["unicef"], dt.date(2014, 5, 10), Status.DELAYED, 5, "Late.")
    assert client.get(f"/reports/{draft}/report.md").get_data(as_text=True) == before
    assert save_section(client, as_chair, draft, "findings", "New text", submit="Save").status_code == 409
    assert client.get(f"/reports/{draft}/sections/findings").status_code == 409
    assert client.post(f"/reports/{draft}/sections/findings/reset",
                       data={"csrf_token": token(as_chair, "/reports/")}).status_code == 409
    assert freeze(client, as_chair, draft).status_code == 409


def test_a_frozen_snapshot_refuses_changes_even_outside_the_services(db, client, as_chair, draft):
    freeze(client, as_chair, draft)
    section = db.session.scalar(sa.select(SnapshotSection).where(SnapshotSection.report_id == draft).limit(1))
    section.markdown = "tampered"
    with pytest.raises(FrozenReportChanged):
        db.session.flush()
    db.session.rollback()
    report = db.session.get(Report, draft)
    report.period_end = dt.date(2014, 6, 1)
    with pytest.raises(FrozenReportChanged):
        db.session.flush()
    db.session.rollback()


def test_compare_a_frozen_report_with_the_previous_one_section_by_section(
        client, as_chair, twg1, people, activity_by_ref, log_update, frozen_clock):
    first = report_id(generate(client, as_chair, end="2014-03-31"))
    freeze(client, as_chair, first)
    assert client.get(f"/reports/{first}/compare").status_code == 404  # nothing before the first
    log_update(activity_by_ref("1.2 (1)"), people["chair"], dt.date(2014, 4, 30), Status.ON_TRACK, 20, SEED_NARRATIVE)
    second = report_id(generate(client, as_chair, start="2014-04-01"))
    assert client.get(f"/reports/{second}/compare").status_code == 409  # a draft
    freeze(client, as_chair, second)
    html = client.get(f"/reports/{second}/compare").get_data(as_text=True)
    assert "<h1>TWG1 progress report 2 compared with report 1</h1>" in html
    highlights = html.split('id="compare-highlights"')[1].split("</section>")[0]
    assert "Changed" in highlights and "Added: </span>" in highlights and SEED_NARRATIVE in highlights
    objectives = html.split('id="compare-objectives"')[1].split("</section>")[0]
    assert "Unchanged" in objectives


def test_members_read_only_published_reports_and_chairs_only_change_them(
        client, auth, as_chair, draft, people):
    freeze(client, as_chair, draft)
    auth.logout()
    auth.login(people["unicef"].email)
    assert client.get(f"/reports/{draft}").status_code == 403
    assert "No report has been published yet" in client.get("/reports/").get_data(as_text=True)
    for path in ("/reports/new", f"/reports/{draft}/freeze", f"/reports/{draft}/sections/findings",
                 f"/reports/{draft}/compare"):
        assert client.get(path).status_code == 403, path
    csrf = token(auth, "/reports/")
    for path in ("/reports/new", f"/reports/{draft}/publish", f"/reports/{draft}/freeze",
                 f"/reports/{draft}/sections/findings/reset"):
        assert client.post(path, data={"csrf_token": csrf}).status_code == 403, path
    auth.logout()
    auth.login(people["chair"].email)
    response = client.post(f"/reports/{draft}/publish", data={"csrf_token": token(auth, f"/reports/{draft}")})
    assert response.status_code == 302
    auth.logout()
    auth.login(people["unicef"].email)
    assert "TWG1 progress report 1" in client.get("/reports/").get_data(as_text=True)
    html = client.get(f"/reports/{draft}").get_data(as_text=True)
    assert SEED_NARRATIVE in html and "Edit<span" not in html and "Publish to members" not in html
    auth.logout()
    assert client.get(f"/reports/{draft}").status_code == 302  # to the login page: not public


def test_a_draft_cannot_be_published_and_a_public_report_is_read_without_login(client, auth, as_chair, draft):
    csrf = token(auth, f"/reports/{draft}")
    assert client.post(f"/reports/{draft}/publish", data={"csrf_token": csrf}).status_code == 409
    freeze(client, as_chair, draft)
    client.post(f"/reports/{draft}/publish", data={"csrf_token": token(auth, f"/reports/{draft}"), "public": "y"})
    auth.logout()
    response = client.get(f"/reports/{draft}")
    assert response.status_code == 200 and SEED_NARRATIVE in response.get_data(as_text=True)
    assert client.get(f"/reports/{draft}/report.md").status_code == 200
    assert client.get("/reports/").status_code == 302


def test_downloads_are_the_markdown_and_the_print_ready_html(client, draft):
    md = client.get(f"/reports/{draft}/report.md")
    assert md.mimetype == "text/markdown"
    assert 'filename="twg1-progress-report-2014-05-13-draft.md"' in md.headers["Content-Disposition"]
    assert md.get_data(as_text=True).startswith("**Thematic Working Group 1")
    html = client.get(f"/reports/{draft}/report.html").get_data(as_text=True)
    assert "@media print" in html and "<h2>7. Next Steps</h2>" in html


def test_unknown_report_and_section_give_404(client, draft):
    assert client.get("/reports/999999").status_code == 404
    assert client.get(f"/reports/{draft}/sections/nonsense").status_code == 404


def test_the_draft_page_reads_the_same_number_of_queries_whatever_the_data(
        client, draft, count_queries, people, activity_by_ref, log_update):
    with count_queries() as few:
        client.get(f"/reports/{draft}")
    for ref in ("1.2 (1)", "1.2 (2)", "1.3 (1)", "1.3 (2)"):
        for day in (3, 4, 5):
            log_update(activity_by_ref(ref), people["chair"], dt.date(2014, 5, day), Status.ON_TRACK, 10, f"On {day}.")
    with count_queries() as more:
        client.get(f"/reports/{draft}")
    assert more.count <= few.count  # (one query fewer once every activity has an update)


def test_chairs_home_shows_each_groups_next_period_and_open_drafts(client, as_chair, draft, auth, people):
    html = client.get("/").get_data(as_text=True)
    assert "Next TWG1 report: from 1 January 2014" in html and "No report frozen yet" in html
    assert f'href="/reports/{draft}"' in html and "Draft TWG1 progress report, 13 May 2014" in html
    assert 'href="/reports/new?group=twg1"' in html
    assert '<option selected value="twg1">' in client.get("/reports/new?group=twg1").get_data(as_text=True)
    freeze(client, as_chair, draft)
    html = client.get("/").get_data(as_text=True)
    assert "Next TWG1 report: from 14 May 2014" in html and "Draft TWG1" not in html
    assert "Last frozen: report 1, ending 13 May 2014" in html
    auth.logout()
    auth.login(people["unicef"].email)
    assert "Next TWG1 report" not in client.get("/").get_data(as_text=True)
