"""Versions: every save a new immutable version; the stale save; preview; differences."""
import pytest
import sqlalchemy as sa

from gmgportal.handbook import services
from gmgportal.handbook.diff import diff_texts, diff_words, render_segments
from gmgportal.handbook.models import ChapterVersion, count_words
from tests.handbook.conftest import SAMPLE_TEXT


def _edit_url(chapter):
    return f"/handbook/chapters/{chapter.id}/edit"


def test_every_save_is_a_new_numbered_version(db, surveys, people, frozen_clock):
    first = services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "First draft", 0)
    frozen_clock.advance(days=1)
    second = services.save_chapter_version(surveys, people["ilo"], SAMPLE_TEXT + "\nMore words here.", "", 1)
    db.session.commit()
    assert (first.number, second.number) == (1, 2) and second.based_on == 1
    assert second.agency.code == "ILO" and second.author_id == people["ilo"].id
    assert second.word_count == first.word_count + 3 and second.words_added == 3
    assert surveys.latest_version_number == 2 and surveys.current_words == second.word_count
    assert surveys.last_activity_at == frozen_clock.now()
    assert db.session.get(ChapterVersion, first.id).text == SAMPLE_TEXT.strip()


def test_a_version_is_never_changed(db, surveys, people):
    version = services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    db.session.commit()
    version.text = "Overwritten"
    with pytest.raises(ValueError, match="never changed"):
        db.session.flush()
    db.session.rollback()


def test_a_save_based_on_an_older_version_is_refused(db, surveys, people):
    services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    services.save_chapter_version(surveys, people["wb2"], SAMPLE_TEXT + "\nTheirs.", "", 1)
    with pytest.raises(services.StaleVersion) as caught:
        services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT + "\nMine.", "", 1)
    assert caught.value.status == 409 and (caught.value.based_on, caught.value.latest) == (1, 2)


def test_word_count_ignores_markdown_syntax():
    assert count_words("## Sources and methods\n\n- **Country** of birth, year’s end | 40 |") == 9


def test_stale_save_over_http_answers_409_shows_their_change_and_keeps_your_text(
        db, surveys, people, auth, client, post_form):
    services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    db.session.commit()
    auth.login("author.wb@example.org")
    page = client.get(_edit_url(surveys)).get_data(as_text=True)
    assert 'name="based_on" value="1"' in page
    # Meanwhile a colleague saves version 2.
    services.save_chapter_version(surveys, people["wb2"], SAMPLE_TEXT.replace("main source", "richest source"),
                                  "Their edit", 1)
    db.session.commit()
    mine = SAMPLE_TEXT + "\nMy new paragraph about <script>alert(1)</script> panels."
    response = post_form(_edit_url(surveys), {"text": mine, "note": "Mine", "based_on": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Version 2 of this chapter was saved while you were editing version 1" in html
    assert "<del><span class=\"visually-hidden\">deleted: </span>main </del>" in html
    assert "<ins><span class=\"visually-hidden\">inserted: </span>richest </ins>" in html
    assert "My new paragraph about &lt;script&gt;alert(1)&lt;/script&gt; panels." in html  # kept, escaped
    assert "<script>alert" not in html
    assert 'name="based_on" value="2"' in html  # the next save follows version 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChapterVersion)) == 2
    response = post_form(_edit_url(surveys), {"text": mine, "note": "Merged", "based_on": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    assert surveys.latest_version_number == 3


@pytest.mark.parametrize("who", ["reviewer", "iom", "editor"])
def test_only_the_chapter_s_agencies_open_the_editor_or_save(db, surveys, people, auth, client, who):
    auth.login(people[who].email)
    assert client.get(_edit_url(surveys)).status_code == 403
    token = auth.csrf_token("/account")
    response = client.post(_edit_url(surveys), data={"text": "x", "based_on": "0", "csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChapterVersion)) == 0


def test_the_editor_starts_from_the_chapter_template(db, surveys, people, auth, client, handbook):
    auth.login("author.wb@example.org")
    html = client.get(_edit_url(surveys)).get_data(as_text=True)
    assert "## Concepts and definitions" in html and 'value="0"' in html


def test_preview_uses_the_portal_sanitiser_and_saves_nothing(db, surveys, people, auth, post_form):
    auth.login("author.wb@example.org")
    text = "## Heading\n\n**Bold** <script>alert('x')</script> [a](javascript:alert(1)) <img src=x onerror=alert(1)>"
    response = post_form(_edit_url(surveys), {"text": text, "based_on": "0", "preview": "Preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>Bold</strong>" in html and "<h2>Heading</h2>" in html
    assert "<script>alert" not in html and "javascript:alert" not in html.replace("&lt;", "") .split("<textarea")[0]
    assert "onerror" not in html.split("<textarea")[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChapterVersion)) == 0


def test_no_script_survives_into_the_chapter_or_version_pages(db, surveys, people, auth, client):
    evil = "Text <script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))"
    services.save_chapter_version(surveys, people["wb"], evil, "<script>n</script>", 0)
    services.save_chapter_version(surveys, people["wb"], evil + " more", "", 1)
    db.session.commit()
    auth.login("author.wb@example.org")
    for path in (f"/handbook/chapters/{surveys.id}", f"/handbook/chapters/{surveys.id}/versions/1",
                 f"/handbook/chapters/{surveys.id}/diff?from=1&to=2", "/handbook/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<script>n" not in html, path
        assert "<img" not in html and 'href="javascript:' not in html, path  # shown as escaped text at most


# --- differences -------------------------------------------------------------------------

def test_word_diff_marks_insertions_and_deletions_in_words():
    segments = diff_words("The census counts migrants.", "The census counts international migrants.")
    html = str(render_segments(segments))
    assert html == ('The census counts <ins><span class="visually-hidden">inserted: </span>international </ins>'
                    'migrants.')


def test_paragraph_diff_counts_words_and_escapes():
    old = "One two three.\n\nA <b>paragraph</b> removed.\n\nKept."
    new = "One two four.\n\nKept.\n\nNew paragraph."
    result = diff_texts(old, new)
    assert (result.inserted_words, result.deleted_words) == (3, 4)
    rendered = "".join(str(render_segments(p)) for p in result.paragraphs)
    assert "&lt;b&gt;" in rendered and "<b>" not in rendered


def test_diff_page_shows_numbers_authors_and_dates(db, surveys, people, auth, client):
    services.save_chapter_version(surveys, people["wb"], "Alpha beta.", "", 0)
    services.save_chapter_version(surveys, people["ilo"], "Alpha gamma.", "", 1)
    db.session.commit()
    auth.login("editor@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}/diff?from=1&to=2").get_data(as_text=True)
    assert "Chapter 3: version 1 to version 2" in html and "Wanda Bank (World Bank)" in html
    assert "Ines Labour (ILO)" in html and "1 word inserted, 1 deleted" in html
    assert client.get(f"/handbook/chapters/{surveys.id}/diff?from=1&to=9").status_code == 404


def test_footnotes_show_as_numbers_through_the_same_sanitiser(db, surveys, people, auth, client):
    text = "A claim.[^1] And <script>x</script>[^a<b>]\n\n[^1]: The source, 1998."
    services.save_chapter_version(surveys, people["wb"], text, "", 0)
    db.session.commit()
    auth.login("author.wb@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert "A claim.<sup>1</sup>" in html and "<sup>1</sup> The source, 1998." in html
    assert "[^1]" not in html and "<script>x" not in html and "<b>" not in html
