"""The generated May 2014 report of TWG1 against the seed, section by section, and the as-of rule."""
from __future__ import annotations

import datetime as dt
import difflib
import re

import pytest

from gmgportal.programme.models import Status
from gmgportal.programme.queries import Period
from gmgportal.reports.assemble import SECTION_KEYS, assemble_report
from gmgportal.reports.render import ReportDocument, report_markdown
from tests.reports.conftest import MAY_13, SEED_NARRATIVE, SEED_PERIOD_START, split_seed

SEED_PERIOD = Period(SEED_PERIOD_START, MAY_13)


def words(text: str) -> str:
    """Text without Markdown marks, quotes and extra spaces, lower case, for comparing wording."""
    text = re.sub(r"[*_`‘’'\"]", "", text).replace("–", "-").replace("Program ", "Programme ")
    return " ".join(text.split()).lower().rstrip(".")


def similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, words(a), words(b)).ratio()


def bullets(body: str) -> list[str]:
    return [line.strip()[2:] for line in body.splitlines() if line.startswith("- ")]


def paragraphs(body: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip()]


@pytest.fixture
def report(seed_progress):
    return assemble_report(seed_progress, SEED_PERIOD)


@pytest.fixture
def seed(seed_text):
    return {number: (title, body) for number, title, body in split_seed(seed_text)}


def test_sections_are_the_seeds_in_the_seeds_order(report, seed):
    assert [s.number for s in report.sections] == sorted(seed) == list(range(1, 8))
    assert [s.key for s in report.sections] == list(SECTION_KEYS)
    for section in report.sections:
        assert words(section.title) == words(seed[section.number][0])


def test_header_names_group_title_date_and_chairs(report, seed_text):
    head = seed_text.split("**1.")[0]
    assert "Thematic Working Group 1: Data on Migration and Remittance Flows" in report.header
    assert "**Progress Report**" in report.header and "**Progress Report**" in head
    assert "13 May 2014" in report.header  # the seed's "May 13, 2014" in the portal's date style
    assert "Chair: Bela Hovy, UN/DESA" in report.header and "Chair: Bela Hovy, UN/DESA" in head
    assert "Co-Chair: Frank Laczko, IOM" in report.header and "Co-Chair: Frank Laczko, IOM" in head


def test_objectives_are_the_seeds(report, seed):
    assert [words(b) for b in bullets(report.section("objectives").body)] == [
        words(b) for b in bullets(seed[1][1])]


def test_highlights_have_the_seeds_outputs_and_activities(report, seed):
    seed_outputs = re.findall(r"^- \*\*Output ([\d.]+):\*\* \*(.+?)\*$", seed[2][1], re.M)
    assert [(o.code, words(o.title)) for o in report.outputs] == [(c, words(t)) for c, t in seed_outputs]
    seed_activities = re.findall(r"^\s+- \((\d)\) (.+)$", seed[2][1], re.M)
    ours = [a for o in report.outputs for a in o.activities]
    assert [a.number for a in ours] == [int(n) for n, _ in seed_activities]
    for activity, (_, seed_line) in zip(ours, seed_activities):
        assert words(seed_line).startswith(words(activity.title)[:40])
    body = report.section("highlights").body
    assert "- **Output 1.2:** *Tools, guidelines" in body and "    - (1) Handbook" in body
    assert SEED_NARRATIVE in body
    assert ours[0].status is Status.ON_TRACK and ours[0].narratives == (SEED_NARRATIVE,)
    assert ours[3].status is Status.NOT_STARTED and "Status: Not started" in body


def test_key_findings_are_the_seeds_with_what_the_data_shows(report, seed):
    ours = paragraphs(report.section("findings").body)
    for seed_paragraph in paragraphs(seed[3][1]):
        assert max(similar(seed_paragraph, p) for p in ours) > 0.9, seed_paragraph
    assert "No milestone was overdue on 13 May 2014." in ours
    silent = next(p for p in ours if p.startswith("Agencies that logged no progress"))
    assert silent == ("Agencies that logged no progress between 1 January 2014 and 13 May 2014: "
                      "ILO, OECD, UNICEF, World Bank.")


def test_outcomes_are_the_seeds(report, seed):
    (ours,) = paragraphs(report.section("outcomes").body)
    (theirs,) = paragraphs(seed[4][1])
    assert similar(ours, theirs) > 0.95


def test_synergies_give_each_seed_theme_with_what_is_tagged(report, seed):
    ours = bullets(report.section("synergies").body)
    assert len(ours) == len(bullets(seed[5][1])) == 4
    for seed_bullet, our_bullet in zip(bullets(seed[5][1]), ours):
        description = words(seed_bullet.split(":**", 1)[1])
        assert description in words(our_bullet)
    gender = next(t for t in report.synergies if t.name == "Gender")
    assert gender.activity_refs == ("1.2 (1)", "1.2 (2)", "1.3 (1)")
    assert any("sex-disaggregated" in text for text in gender.findings)


def test_partnerships_are_the_seeds_members_and_collaborators(report, seed):
    members_line, collaboration_line = bullets(seed[6][1])
    seed_members = [m.strip() for m in members_line.split(":", 1)[1].rstrip(".").split(",")]
    assert list(report.members) == seed_members
    assert report.collaborators == ("OECD",) and "OECD" in collaboration_line
    assert bullets(report.section("partnerships").body) == [
        "Working group members: UN/DESA, IOM, ILO, UNICEF, World Bank.", "Collaborators: OECD."]


def test_next_steps_have_the_seeds_milestones_and_dates(report, seed):
    seed_steps = [re.match(r"(.+), (\w+ \d{4})$", item.strip().rstrip(".")).groups()
                  for line in bullets(seed[7][1]) for item in line.split(";")]
    ours = [(m.title, f"{m.due_date:%B %Y}") for m in report.next_steps]
    assert sorted(d for _, d in ours) == sorted(d for _, d in seed_steps)
    for title, date in seed_steps:
        assert any(d == date and similar(t, title) > 0.7 for t, d in ours), (title, date)
    body = report.section("next_steps").body
    assert "- 1.2 (1): Draft handbook, August 2014; Final handbook, December 2014." in body
    assert "Mapping of migration data availability, September 2014" in body


def test_markdown_document_has_header_then_numbered_sections_in_order(report):
    text = report_markdown(ReportDocument(report.title, report.header, report.sections))
    headings = re.findall(r"^## (\d)\. ", text, re.M)
    assert headings == [str(n) for n in range(1, 8)]
    assert text.startswith("**Thematic Working Group 1")


# --- as of the end date -------------------------------------------------------------

def test_an_update_and_a_completion_dated_after_the_end_change_nothing(
        db, seed_progress, report, people, activity_by_ref, log_update):
    handbook = activity_by_ref("1.2 (1)")
    log_update(handbook, people["unicef"], dt.date(2014, 5, 14), Status.DELAYED, 30, "Chapters are late.")
    draft = next(m for m in handbook.milestones if m.title == "Draft handbook")
    draft.done_date = dt.date(2014, 5, 20)
    db.session.commit()
    assert assemble_report(seed_progress, SEED_PERIOD) == report


def test_an_update_and_a_completion_dated_before_the_end_appear(
        db, seed_progress, report, people, activity_by_ref, log_update):
    handbook = activity_by_ref("1.2 (1)")
    log_update(handbook, people["unicef"], dt.date(2014, 5, 12), Status.DELAYED, 30, "Chapters are late.")
    draft = next(m for m in handbook.milestones if m.title == "Draft handbook")
    draft.done_date = dt.date(2014, 5, 13)
    db.session.commit()
    after = assemble_report(seed_progress, SEED_PERIOD)
    line = after.outputs[0].activities[0]
    assert line.status is Status.DELAYED and line.narratives[-1] == "Chapters are late."
    assert "Draft handbook" not in [m.title for m in after.next_steps]
    assert "UNICEF" not in after.silent_agencies and "UNICEF" in report.silent_agencies
    assert "Status: Delayed, 30 % complete" in after.section("highlights").body


def test_an_update_before_the_period_gives_the_status_but_not_the_narrative(
        seed_progress, people, activity_by_ref, log_update):
    survey = activity_by_ref("1.3 (1)")
    log_update(survey, people["unicef"], dt.date(2013, 12, 20), Status.AT_RISK, 5, "Funding unclear.")
    line = assemble_report(seed_progress, SEED_PERIOD).outputs[1].activities[0]
    assert line.status is Status.AT_RISK and line.narratives == ()


def test_a_milestone_open_and_past_due_at_the_end_is_overdue_in_findings_and_next_steps(
        db, seed_progress, activity_by_ref):
    handbook = activity_by_ref("1.2 (1)")
    draft = next(m for m in handbook.milestones if m.title == "Draft handbook")
    draft.due_date = dt.date(2014, 5, 1)
    db.session.commit()
    report = assemble_report(seed_progress, SEED_PERIOD)
    assert "- 1.2 (1): Draft handbook, due 1 May 2014." in report.section("findings").body
    assert "Draft handbook, May 2014 (overdue)" in report.section("next_steps").body
