import textwrap

import pytest
import sqlalchemy as sa

from gmgportal.core.content import ContentError, ContentVersion
from gmgportal.handbook.content import load_handbook_file
from gmgportal.handbook.models import Chapter, ChapterStatus, Handbook
from tests.conftest import CONTENT_DIR


def counts(db):
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Handbook, Chapter)}


def test_outline_loads_with_agencies_and_milestone_due_dates(db, handbook, chapter_by_number):
    assert "A Practical Guide" in handbook.title and handbook.activity_ref == "1.2 (1)"
    assert "active engagement" in handbook.concept_note
    assert "## Introduction" in handbook.chapter_template
    assert len(handbook.chapters) == 9
    remittances = chapter_by_number(5)
    assert "BPM6" in remittances.title and remittances.lead_agency.code == "World Bank"
    assert [a.code for a in remittances.contributing_agencies] == ["IOM"]
    assert remittances.due_date.isoformat() == "2014-08-31"  # the draft milestone
    assert chapter_by_number(9).due_date.isoformat() == "2014-12-31"  # the final one
    assert all(c.status is ChapterStatus.NOT_STARTED and c.target_words >= 1000 for c in handbook.chapters)


def test_a_second_load_changes_nothing(db, handbook, chapter_by_number):
    from gmgportal.core.content import load_content

    before = counts(db)
    digest = db.session.scalar(sa.select(ContentVersion.sha256).where(ContentVersion.key == "handbook/handbook.yaml"))
    chapter = chapter_by_number(2)
    chapter.title = "Renamed in the portal"
    db.session.commit()
    summaries = load_content(CONTENT_DIR)
    db.session.commit()
    assert any(s.startswith("handbook: unchanged") for s in summaries)
    assert counts(db) == before
    db.session.refresh(chapter)
    assert chapter.title == "Renamed in the portal"
    load_content(CONTENT_DIR, force=True)  # forced: the file applies again, in place
    db.session.commit()
    assert counts(db) == before and chapter_by_number(2).title == "Population censuses"
    assert digest


def _write(tmp_path, body: str, note: str = "Note.", template: str = "## Intro"):
    folder = tmp_path / "handbook"
    folder.mkdir(exist_ok=True)
    (folder / "concept-note.md").write_text(note)
    (folder / "chapter-template.md").write_text(template)
    path = folder / "handbook.yaml"
    path.write_text(textwrap.dedent(body))
    return path


HEAD = """\
handbook:
  slug: guide
  title: A guide
  concept_note_file: concept-note.md
  chapter_template_file: chapter-template.md
  milestones:
    draft: {title: Draft, due: 2014-08-31}
    final: {title: Final, due: 2014-12-31}
chapters:
"""


@pytest.mark.parametrize("chapters, line, words", [
    ("  - {number: 1, title: One, lead: NOPE, target_words: 1000, due: draft}\n", 10, "unknown agency 'NOPE'"),
    ("  - number: 1\n    title: One\n    lead: IOM\n    target_words: many\n    due: draft\n", 10,
     "chapters.0.target_words"),
    ("  - {number: 1, title: One, lead: IOM, target_words: 1000, due: someday}\n", 10, "chapters.0.due"),
    ("  - {number: 1, title: One, lead: IOM, target_words: 1000, due: draft}\n"
     "  - {number: 1, title: Two, lead: IOM, target_words: 1000, due: draft}\n", 1, "appear twice"),
    ("  - {number: 1, title: One, lead: IOM, target_words: 1000, due: draft, colour: red}\n", 10, "colour"),
])
def test_errors_name_the_file_and_line(db, handbook, tmp_path, chapters, line, words):
    path = _write(tmp_path, HEAD + chapters)
    with pytest.raises(ContentError) as caught:
        load_handbook_file(path)
    assert caught.value.path.name == "handbook.yaml" and caught.value.line == line
    assert words in caught.value.message
    assert str(caught.value).startswith(f"handbook.yaml:{line}:")


def test_a_missing_concept_note_file_is_named(db, handbook, tmp_path):
    path = _write(tmp_path, HEAD + "  - {number: 1, title: One, lead: IOM, target_words: 1000, due: draft}\n")
    (path.parent / "concept-note.md").unlink()
    with pytest.raises(ContentError, match="concept_note_file.*concept-note.md"):
        load_handbook_file(path)


def test_chapter_due_dates_follow_the_programme_s_milestone_when_a_chair_moves_it(db, handbook, chapter_by_number,
                                                                                  make_user, auth, client):
    import re

    from gmgportal.core.permissions import Role
    from gmgportal.programme.models import Activity

    chapter_by_number(2).due_date = __import__("datetime").date(2014, 7, 15)  # a date of its own
    db.session.commit()
    activity = next(a for a in db.session.scalars(sa.select(Activity)) if a.ref == "1.2 (1)")
    draft = next(m for m in activity.milestones if m.title == "Draft handbook")
    make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA")
    auth.login("chair@example.org")
    page = f"/programme/activities/{activity.id}/milestones/{draft.id}/edit"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(page).get_data(as_text=True)).group(1)
    response = client.post(page, data={"csrf_token": token, "title": "Draft handbook", "due_date": "2014-10-31"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert handbook.draft_due.isoformat() == "2014-10-31"
    assert chapter_by_number(5).due_date.isoformat() == "2014-10-31"  # `due: draft` follows
    assert chapter_by_number(9).due_date.isoformat() == "2014-12-31"  # the final milestone did not move
    assert chapter_by_number(2).due_date.isoformat() == "2014-07-15"  # its own date stays
    assert "31 October 2014" in client.get("/handbook/").get_data(as_text=True)
    # A reload of the outline keeps the programme's date; a renamed milestone stays the handbook's.
    load_handbook_file(CONTENT_DIR / "handbook" / "handbook.yaml", {"force": True})
    db.session.commit()
    assert chapter_by_number(5).due_date.isoformat() == "2014-10-31"
    draft = db.session.get(type(draft), draft.id)
    draft.title = "Draft of the handbook"
    db.session.commit()
    assert handbook.draft_title == "Draft of the handbook"
