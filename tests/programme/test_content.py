import textwrap

import pytest
import sqlalchemy as sa

from gmgportal.core.content import ContentError, load_content
from gmgportal.programme.models import Activity, Finding, Milestone, Objective, Output, Status, WorkingGroup
from tests.conftest import CONTENT_DIR


def counts(db):
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (WorkingGroup, Objective, Output, Activity, Milestone, Finding)}


def test_twg1_programme_loads_from_the_seed(db, twg1, activity_by_ref):
    assert twg1.chair_person == "Bela Hovy" and twg1.chair_agency.code == "UN/DESA"
    assert twg1.co_chair_person == "Frank Laczko" and twg1.co_chair_agency.code == "IOM"
    assert [o.code for o in twg1.outputs] == ["1.2", "1.3"]
    assert len(twg1.objectives) == 3
    handbook = activity_by_ref("1.2 (1)")
    assert "Practical Guide" in handbook.title
    assert "concept note" in handbook.description  # from the Markdown file
    assert [m.title for m in handbook.milestones] == ["Draft handbook", "Final handbook"]
    assert {t.slug for t in handbook.themes} >= {"gender", "capacity-building"}
    assert "IOM" in {a.code for a in handbook.partners}
    finding = db.session.scalar(sa.select(Finding).where(Finding.content_key == "sex-disaggregated-census-data"))
    assert "78 percent" in finding.text and finding.theme.slug == "gender"


def test_reloading_unchanged_content_keeps_edits_made_in_the_portal(db, twg1, activity_by_ref):
    before = counts(db)
    handbook = activity_by_ref("1.2 (1)")
    handbook.title = "Changed in the portal"
    db.session.commit()
    summaries = load_content(CONTENT_DIR)  # what a second `make run` does
    assert counts(db) == before
    assert any("unchanged since the last load" in line for line in summaries)
    db.session.refresh(handbook)
    assert handbook.title == "Changed in the portal"


def test_forced_reload_applies_the_file_without_duplicating(db, twg1, activity_by_ref):
    before = counts(db)
    handbook = activity_by_ref("1.2 (1)")
    handbook.status = Status.DELAYED  # as if logged by an agency since
    handbook.title = "Changed in the portal"
    db.session.commit()
    load_content(CONTENT_DIR, force=True)
    assert counts(db) == before
    db.session.refresh(handbook)
    assert "Practical Guide" in handbook.title  # the file's text wins
    assert handbook.status == Status.DELAYED  # but the logged status is kept


def test_a_changed_file_is_applied_on_the_next_load(db, tmp_path, activity_by_ref, twg1):
    import shutil

    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    yaml_path = tmp_path / "content" / "programme" / "twg1.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("Mapping migration data", "Mapping the migration data"))
    load_content(tmp_path / "content")
    assert activity_by_ref("1.2 (2)").title.startswith("Mapping the migration data")


def write_programme(tmp_path, body: str):
    (tmp_path / "agencies.yaml").write_text((CONTENT_DIR / "agencies.yaml").read_text())
    (tmp_path / "programme").mkdir()
    (tmp_path / "programme" / "bad.yaml").write_text(textwrap.dedent(body))
    return tmp_path


GROUP = """\
group:
  slug: bad
  short_name: BAD
  name: A bad programme
outputs:
  - code: "9.1"
    title: An output
    activities:
"""


@pytest.mark.parametrize("activity, line, message", [
    ("      - number: 1\n        title: x\n        lead: NOPE\n", 9, "unknown agency 'NOPE'"),
    ("      - number: 1\n        title: x\n        lead: IOM\n        due: 2014-13-45\n", 9, "'due' must be a date"),
    ("      - number: 1\n        title: x\n        lead: IOM\n        status: finished\n", 9, "'status' must be one of"),
    ("      - number: 1\n        title: x\n        lead: IOM\n        themes: [astrology]\n", 9, "unknown theme"),
    ("      - title: x\n        lead: IOM\n", 9, "missing 'number'"),
])
def test_content_errors_name_file_and_line_and_load_nothing(db, tmp_path, activity, line, message):
    folder = write_programme(tmp_path, GROUP + activity)
    with pytest.raises(ContentError) as raised:
        load_content(folder)
    assert str(raised.value).startswith(f"bad.yaml:{line}: ")
    assert message in str(raised.value)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkingGroup)) == 0
    assert db.session.scalar(sa.text("select count(*) from agency")) == 0  # all or nothing


def test_load_content_command_reports_errors_with_file_and_line(runner, tmp_path):
    folder = write_programme(tmp_path, GROUP + "      - number: 1\n        title: x\n        lead: NOPE\n")
    result = runner.invoke(args=["gmg", "load-content", "--content-dir", str(folder), "--no-demo-accounts"])
    assert result.exit_code != 0
    assert "bad.yaml:9: unknown agency 'NOPE'" in result.output and "nothing was loaded" in result.output


def test_load_content_command_loads_the_programme(runner, db):
    result = runner.invoke(args=["gmg", "load-content", "--content-dir", str(CONTENT_DIR), "--no-demo-accounts"])
    assert result.exit_code == 0, result.output
    assert "programme TWG1: 2 outputs, 5 activities, 4 milestones, 5 findings" in result.output
