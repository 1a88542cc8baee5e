import csv
from html import unescape
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from gmgportal.auth.models import Agency
from gmgportal.core.permissions import Role
from gmgportal.programme import queries
from gmgportal.programme.models import Milestone, ProgressUpdate, Status
from gmgportal.programme.sampledata import create_sample_programme


def test_overview_shows_objectives_outputs_and_activities_with_status_lead_and_next_milestone(
        auth, client, people, twg1):
    auth.login("focal.iom@example.org")
    html = client.get("/programme/twg1/").get_data(as_text=True)
    assert "<h1>Work programme TWG1</h1>" in html
    assert "Enhancing the availability, accessibility and scope of data collection." in html
    assert "Output 1.2:" in html and "Output 1.3:" in html
    assert "<strong>1.2 (1)</strong>" in html and 'class="tag tag-on-track">On track' in html
    assert "Draft handbook" in html and "Overdue" in html  # 2014's milestones are long past


def test_overview_filters_by_output_agency_status_and_theme(auth, client, people, twg1):
    auth.login("focal.iom@example.org")
    unicef = next(a for a in queries.list_agencies() if a.code == "UNICEF")
    gender = queries.get_theme("gender")
    output_13 = next(o for o in twg1.outputs if o.code == "1.3")
    cases = {f"agency={unicef.id}": {"1.2 (1)", "1.3 (1)"}, f"output={output_13.id}": {"1.3 (1)", "1.3 (2)"},
             "status=at_risk": {"1.3 (2)"}, f"theme={gender.id}": {"1.2 (1)", "1.2 (2)", "1.3 (1)"}}
    every = {"1.2 (1)", "1.2 (2)", "1.2 (3)", "1.3 (1)", "1.3 (2)"}
    for query, expected in cases.items():
        html = client.get(f"/programme/twg1/?{query}").get_data(as_text=True)
        shown = {ref for ref in every if f"<strong>{ref}</strong>" in html}
        assert shown == expected, query


@pytest.mark.parametrize("query", ["output=abc", "status=finished", "agency=-1", "theme=99999999999999",
                                   "page=0", "page=abc", "page=99999999999"])
def test_malformed_filters_are_a_400_page_naming_the_argument(auth, client, people, twg1, query):
    auth.login("focal.iom@example.org")
    for path in ("/programme/twg1/", "/programme/twg1/timeline"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        assert f"'{query.split('=')[0]}'" in unescape(response.get_data(as_text=True))


def test_empty_filter_values_mean_no_filter(auth, client, people, twg1):
    auth.login("focal.iom@example.org")
    html = client.get("/programme/twg1/?output=&agency=&status=&theme=").get_data(as_text=True)
    assert "Clear filters" not in html and "1.3 (2)" in html


def test_timeline_draws_activities_milestones_and_marks_overdue_ones(auth, client, people, twg1):
    auth.login("chair@example.org")
    html = client.get("/programme/twg1/timeline").get_data(as_text=True)
    assert '<svg class="timeline timeline-wide"' in html and 'role="img"' in html and "<title id=\"tl-title\">" in html
    assert '<svg class="timeline timeline-phone"' in html  # the same chart laid out for a phone
    assert html.count('class="ms ms-overdue"') == 2 * 4 + 1  # four overdue markers in each layout, plus the legend
    assert "4 overdue milestones" in html
    assert "Draft handbook: overdue since 31 August 2014" in html
    assert "is after the period shown" in html  # today, in 2014's chart


def test_timeline_draws_a_today_line_within_the_period(auth, client, people, twg1, frozen_clock):
    frozen_clock.freeze("2014-09-15")
    auth.login("chair@example.org")
    html = client.get("/programme/twg1/timeline").get_data(as_text=True)
    assert '<line class="today-line"' in html and ">Today</text>" in html
    assert html.count('class="ms ms-overdue"') == 2 * 1 + 1  # only the draft handbook (31 August) is overdue


def test_engagement_page_counts_updates_and_flags_silent_agencies(db, auth, client, people, activity_by_ref,
                                                                  frozen_clock):
    handbook = activity_by_ref("1.2 (1)")
    iom = people["iom"]
    db.session.add(ProgressUpdate(activity=handbook, author=iom, agency_id=iom.agency_id, as_of=dt.date(2014, 5, 1),
                                  status=Status.ON_TRACK, percent_complete=10, narrative="Recent"))
    db.session.commit()
    auth.login("chair@example.org")
    rows = {e.agency.code: e for e in queries.agency_engagement(queries.get_group("twg1"), frozen_clock.today())}
    assert rows["IOM"].updates_30 == 1 and not rows["IOM"].silent
    assert rows["UNICEF"].silent and rows["UNICEF"].last_update is None
    assert rows["UN/DESA"].led == 2 and rows["IOM"].led == 1 and rows["IOM"].joined == 3
    html = client.get("/programme/twg1/engagement").get_data(as_text=True)
    assert "Silent over 60 days" in html and "13 May 2014" in html
    later = {e.agency.code: e for e in queries.agency_engagement(queries.get_group("twg1"), dt.date(2014, 7, 15))}
    assert later["IOM"].updates_30 == 0 and later["IOM"].updates_90 == 1 and later["IOM"].silent


def test_theme_page_lists_tagged_activities_and_findings(auth, client, people, twg1):
    auth.login("focal.iom@example.org")
    html = client.get("/programme/twg1/themes/gender").get_data(as_text=True)
    assert "<h1>Theme: Gender</h1>" in html
    assert "<strong>1.3 (1)</strong>" in html and "<strong>1.2 (3)</strong>" not in html
    assert "78 percent" in html
    assert client.get("/programme/twg1/themes/astrology").status_code == 404


def test_exports_have_the_filtered_activities_with_latest_progress(auth, client, people, twg1):
    auth.login("focal.iom@example.org")
    text = client.get("/programme/twg1/activities.csv?status=at_risk").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Output", "Activity", "Title"] and [r[1] for r in rows[1:]] == ["1.3 (2)"]
    response = client.get("/programme/twg1/activities.xlsx")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet["B"]][1:] == ["1.2 (1)", "1.2 (2)", "1.2 (3)", "1.3 (1)", "1.3 (2)"]


def test_get_requests_never_write(db, auth, client, people, twg1, count_queries):
    auth.login("chair@example.org")
    activity_id = twg1.outputs[0].activities[0].id
    with count_queries() as queries:
        for path in ("/programme/twg1/", "/programme/twg1/timeline", "/programme/twg1/engagement",
                     "/programme/twg1/themes/gender", f"/programme/activities/{activity_id}",
                     "/programme/twg1/findings", "/programme/twg1/activities.csv", "/"):
            assert client.get(path).status_code == 200, path
    writes = [s for s in queries.statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


@pytest.fixture
def sample(db, make_user):
    """Builds a sample programme of the given size and returns (slug, first activity id)."""
    agencies = [Agency(code=c, name=c) for c in ("UN/DESA", "IOM", "ILO")]
    db.session.add_all(agencies)
    db.session.commit()
    author = make_user("bench@example.org", roles=(Role.CHAIR, Role.FOCAL_POINT), agency=agencies[0])

    def build(outputs: int, activities: int, updates: int, slug: str):
        group = create_sample_programme(author, agencies, outputs=outputs, activities=activities, updates=updates,
                                        slug=slug)
        return group.slug, min(a.id for o in group.outputs for a in o.activities)

    return build


def test_query_counts_do_not_depend_on_the_amount_of_data(auth, client, sample, count_queries):
    small = sample(2, 4, 10, "small")
    large = sample(12, 300, 6000, "large")
    auth.login("bench@example.org")
    counts = {}
    for name, (slug, activity_id) in {"small": small, "large": large}.items():
        for page, path in {"overview": f"/programme/{slug}/", "activity": f"/programme/activities/{activity_id}",
                           "timeline": f"/programme/{slug}/timeline"}.items():
            client.get(path)  # warm up
            with count_queries() as queries:
                assert client.get(path).status_code == 200
            counts[(page, name)] = queries.count
    for page in ("overview", "activity", "timeline"):
        assert counts[(page, "small")] == counts[(page, "large")], (page, counts)
    assert counts[("overview", "large")] <= 16, counts


def test_latest_update_is_the_one_with_the_latest_as_of_date(db, people, activity_by_ref):
    handbook = activity_by_ref("1.2 (1)")
    iom = people["iom"]
    for day, status in ((10, Status.DELAYED), (20, Status.AT_RISK), (5, Status.COMPLETED)):
        db.session.add(ProgressUpdate(activity=handbook, author=iom, agency_id=iom.agency_id,
                                      as_of=dt.date(2014, 5, day), status=status, percent_complete=day, narrative="x"))
    db.session.commit()
    assert queries.latest_updates([handbook.id], dt.date(2014, 12, 31))[handbook.id].status == Status.AT_RISK


def test_home_page_shows_focal_points_and_chairs_what_needs_them(db, auth, client, people, activity_by_ref,
                                                                 frozen_clock):
    frozen_clock.freeze("2014-08-25")
    auth.login("focal.iom@example.org")
    html = client.get("/").get_data(as_text=True)
    assert "Work programme: IOM" in html
    assert "1.2 (1) Draft handbook" in html and "Due 31 August 2014" in html
    assert "No progress logged in 60 days" in html
    assert ">Due soon</span>" in html and ">No update</span>" in html and ">Delayed</span>" not in html
    auth.logout()
    frozen_clock.freeze("2014-10-01")
    auth.login("chair@example.org")
    html = client.get("/").get_data(as_text=True)
    assert "Work programme: overdue and silent" in html
    assert "Was due 31 August 2014" in html and "UNICEF has not logged progress" in html
    assert ">Overdue</span>" in html and ">Silent</span>" in html
    milestone_count = db.session.scalar(sa.select(sa.func.count()).select_from(Milestone))
    assert milestone_count == 4


def test_engagement_table_sorts_by_its_columns(auth, client, people, twg1):
    auth.login("chair@example.org")
    html = client.get("/programme/twg1/engagement?sort=led&dir=desc").get_data(as_text=True)
    body = html.split("<tbody>")[1]
    assert body.index("UN/DESA") < body.index("ILO")  # UN/DESA leads two activities, ILO none
    assert 'aria-sort="descending"' in html
    assert client.get("/programme/twg1/engagement?sort=nonsense").status_code == 200


def test_findings_page_names_each_kind_in_plain_english(auth, client, people, twg1):
    auth.login("chair@example.org")
    html = client.get("/programme/twg1/findings").get_data(as_text=True)
    for heading in ("Key findings", "Lessons learned", "Risks", "Dependencies", "Outcomes"):
        assert f"<h2>{heading}</h2>" in html
