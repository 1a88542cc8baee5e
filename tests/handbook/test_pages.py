"""Comments, the board, the chapter page, "what needs you", and their query counts."""
import pytest
import sqlalchemy as sa

from gmgportal.core.errors import Refused
from gmgportal.handbook import services
from gmgportal.handbook.models import ChapterComment, ChapterStatus as S
from tests.handbook.conftest import SAMPLE_TEXT


def _comment_url(chapter, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/handbook/chapters/{chapter.id}/comments/new" + (f"?{query}" if query else "")


def test_an_editor_comments_on_a_paragraph_and_the_author_replies_and_resolves(db, surveys, people, auth, client,
                                                                                post_form):
    services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    db.session.commit()
    auth.login("editor@example.org")
    response = post_form(_comment_url(surveys, paragraph=1),
                         {"paragraph": "1", "body": "Which **countries**? <script>x</script>"})
    assert response.status_code == 302
    comment = db.session.scalar(sa.select(ChapterComment))
    assert comment.paragraph_index == 1 and "main source on return migration" in comment.paragraph_excerpt
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert "<strong>countries</strong>" in html and "<script>x" not in html
    assert html.index('id="p-2"') < html.index(f'id="comment-{comment.id}"') < html.index('id="p-3"')
    client.post("/logout", data={"csrf_token": auth.csrf_token("/account")})
    auth.login("author.wb@example.org")
    assert post_form(_comment_url(surveys, reply_to=comment.id), {"body": "Forty, listed below."}).status_code == 302
    reply = db.session.scalar(sa.select(ChapterComment).where(ChapterComment.parent_id == comment.id))
    assert reply.paragraph_index == 1 and reply.version_id == comment.version_id
    response = post_form(f"/handbook/chapters/{surveys.id}", {}, f"/handbook/comments/{comment.id}/resolve")
    assert response.status_code == 302
    db.session.expire_all()
    assert comment.resolved_by_id == people["wb"].id
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert "Forty, listed below." in html and "Resolved by Wanda Bank" in html


def test_comments_are_hidden_from_and_refused_to_the_uninvolved(db, surveys, people, auth, client):
    version = services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    services.add_comment(surveys, people["editor"], version, 0, "Secret remark")
    db.session.commit()
    auth.login("focal.iom@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert "Household surveys are the main source" in html and "Secret remark" not in html
    assert client.get(_comment_url(surveys, paragraph=0)).status_code == 403
    with pytest.raises(services.NotAllowed):
        services.add_comment(surveys, people["iom"], version, 0, "Me too")


def test_a_comment_on_an_old_version_shows_where_its_paragraph_went_or_that_it_is_gone(db, surveys, people, auth,
                                                                                       client):
    v1 = services.save_chapter_version(surveys, people["wb"], "First para.\n\nSecond para.\n\nThird para.", "", 0)
    kept = services.add_comment(surveys, people["editor"], v1, 1, "About the second")
    gone = services.add_comment(surveys, people["editor"], v1, 2, "About the third")
    services.save_chapter_version(surveys, people["wb"], "New opening.\n\nFirst para.\n\nSecond para.", "", 1)
    db.session.commit()
    auth.login("editor@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    section = html[html.index("Comments on earlier versions"):]
    assert 'Its paragraph is now <a href="#p-3">paragraph 3</a>' in section
    assert section.index("paragraph 3</a>") < section.index(f'id="comment-{kept.id}"')
    assert "Its paragraph is gone from the current version" in section and f'id="comment-{gone.id}"' in section


def test_a_comment_on_a_paragraph_edited_since_shows_where_it_is_now_and_that_it_changed(db, surveys, people,
                                                                                         auth, client):
    v1 = services.save_chapter_version(surveys, people["wb"], "Censuses count migrants by country of birth and "
                                       "citizenship in most countries.\n\nSurveys add the year of arrival.", "", 0)
    edited = services.add_comment(surveys, people["editor"], v1, 0, "Which round?")
    services.save_chapter_version(surveys, people["wb"], "A new opening paragraph.\n\nCensuses of the 2010 round "
                                  "count migrants by country of birth and citizenship in most countries.", "", 1)
    db.session.commit()
    auth.login("editor@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    section = html[html.index("Comments on earlier versions"):]
    assert ('Its paragraph is now <a href="#p-2">paragraph 2</a> of the current version, with its words changed '
            'since.') in section and f'id="comment-{edited.id}"' in section
    assert services.locate_paragraph(edited, ["x"], ["Nothing alike here at all."]) == (None, False)


def test_a_comment_needs_a_paragraph_that_exists(db, surveys, people):
    version = services.save_chapter_version(surveys, people["wb"], "Only one.", "", 0)
    with pytest.raises(Refused, match="no paragraph 5"):
        services.add_comment(surveys, people["editor"], version, 4, "Where?")


def test_board_shows_status_words_against_target_overdue_and_agencies(db, handbook, surveys, people, auth, client,
                                                                      frozen_clock):
    services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    db.session.commit()
    frozen_clock.freeze("2014-09-10")  # after the draft milestone of 31 August 2014
    auth.login("chair@example.org")
    html = client.get("/handbook/").get_data(as_text=True)
    assert "<h1>Handbook board</h1>" in html and "<title>Handbook board – GMG Portal</title>" in html
    row = html[html.index("Household surveys"):html.index("Administrative registers")]
    assert "tag-drafting" in row and ">Drafting<" in row and "World Bank" in row
    assert "33 / 7,000" in row and "Overdue" in row and "10 days late" in row
    assert "10 September 2014" not in row and "13 May 2014" in row  # last activity: the save
    agencies = html[html.index("What each agency has contributed"):]
    wb_row = agencies[agencies.index("World Bank"):]
    wb_row = wb_row[:wb_row.index("</tr>")]
    assert '<td class="num" data-label="Versions">1</td>' in wb_row and "33" in wb_row


def test_focal_points_see_what_their_agency_owes_and_comments_waiting(db, surveys, people, auth, client):
    version = services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    services.add_comment(surveys, people["editor"], version, 0, "Please expand")
    db.session.commit()
    auth.login("author.wb@example.org")
    html = client.get("/").get_data(as_text=True)
    section = html[html.index("Handbook: World Bank"):]
    assert "Chapter 3: Household surveys" in section and "Chapter 5: Remittances" in section
    assert "Comment by Edith Editor on chapter 3" in section and "Comment waiting" in section
    assert "Chapter 1:" not in section  # World Bank has no part in chapter 1
    services.move_chapter(surveys, people["wb"], S.SUBMITTED)
    db.session.commit()
    client.post("/logout", data={"csrf_token": auth.csrf_token("/account")})
    auth.login("editor@example.org")
    html = client.get("/").get_data(as_text=True)
    assert "Handbook: chapters to review" in html and "To review" in html


def _home_section(client, title: str) -> str:
    html = client.get("/").get_data(as_text=True)
    section = html[html.index(title):]
    return section[:section.index("</section>")]


def test_what_needs_you_lists_threads_awaiting_your_agency_and_mentions_of_you(db, surveys, people, auth, client):
    version = services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    question = services.add_comment(surveys, people["editor"], version, 0, "Please expand")
    db.session.commit()
    auth.login("author.wb@example.org")
    assert "Comment by Edith Editor on chapter 3" in _home_section(client, "Handbook: World Bank")
    services.add_comment(surveys, people["wb2"], version, 0, "Expanded in version 2.", question)
    db.session.commit()  # the agency answered: the thread waits for the editor now
    assert "Comment by Edith Editor" not in _home_section(client, "Handbook: World Bank")
    services.add_comment(surveys, people["wb2"], version, 1, "@author.wb can you check the table?")
    db.session.commit()  # a colleague's question: not "waiting" for the agency, but it names her
    section = _home_section(client, "Handbook: World Bank")
    assert "Mention of you by Walter Second on chapter 3" in section and "Mentions you" in section
    auth.logout()
    auth.login("second.wb@example.org")
    assert "Mention of you" not in _home_section(client, "Handbook: World Bank")
    auth.logout()

    services.add_comment(surveys, people["wb"], version, 2, "@editor is this table enough?")
    db.session.commit()
    auth.login("editor@example.org")
    assert "Mention of you by Wanda Bank on chapter 3" in _home_section(client, "Handbook: chapters to review")
    mention = db.session.scalar(sa.select(ChapterComment).where(ChapterComment.body.startswith("@editor")))
    services.add_comment(surveys, people["editor"], version, 2, "Yes.", mention)
    db.session.commit()  # answered in the thread: no longer waiting
    assert "Mention of you" not in _home_section(client, "Handbook: chapters to review")


def _grow(db, chapter, people, versions: int, comments: int):
    for _ in range(versions):
        services.save_chapter_version(chapter, people["wb"], SAMPLE_TEXT + f"\n\nExtra {chapter.latest_version_number}",
                                      "", chapter.latest_version_number)
    latest = services.latest_version(chapter)
    for i in range(comments):
        parent = services.add_comment(chapter, people["editor"], latest, i % 3, f"Comment {i}")
        services.add_comment(chapter, people["ilo"], latest, 0, "Reply", parent)
    db.session.commit()


def test_board_and_chapter_page_queries_do_not_grow_with_versions_and_comments(db, surveys, people, auth, client,
                                                                               count_queries):
    auth.login("editor@example.org")
    measured = []
    for versions, comments in ((1, 1), (6, 8)):
        _grow(db, surveys, people, versions, comments)
        with count_queries() as board:
            assert client.get("/handbook/").status_code == 200
        with count_queries() as page:
            assert client.get(f"/handbook/chapters/{surveys.id}").status_code == 200
        measured.append((board.count, page.count))
    assert measured[0] == measured[1], measured


def test_pages_answer_404_for_what_does_not_exist(db, surveys, people, auth, client):
    auth.login("editor@example.org")
    assert client.get("/handbook/chapters/999").status_code == 404
    assert client.get(f"/handbook/chapters/{surveys.id}/versions/3").status_code == 404
    assert client.get(_comment_url(surveys, reply_to=999)).status_code in (404, 409)


def test_anonymous_visitors_are_sent_to_log_in(db, handbook, client):
    response = client.get("/handbook/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_programme_activity_shows_the_board_summary_and_proposes_the_draft_milestone(
        db, handbook, people, auth, client, frozen_clock, make_user):
    from gmgportal.handbook.models import Chapter
    from gmgportal.programme.models import Activity

    activity = next(a for a in db.session.scalars(sa.select(Activity)) if a.ref == "1.2 (1)")
    auth.login("chair@example.org")
    html = client.get(f"/programme/activities/{activity.id}").get_data(as_text=True)
    assert "The handbook's chapters" in html and "9 chapters: 9 not started" in html
    assert "Mark it done" not in html
    writers = {}
    for chapter in db.session.scalars(sa.select(Chapter).order_by(Chapter.number)):
        code = chapter.lead_agency.code
        if code not in writers:
            writers[code] = make_user(f"writer.{len(writers)}@example.org", agency=code)
        services.save_chapter_version(chapter, writers[code], "Draft text.", "", 0)
        services.move_chapter(chapter, writers[code], S.SUBMITTED)
        frozen_clock.advance(days=1)
    db.session.commit()
    auth.login("chair@example.org")  # nine days later: the idle session has expired
    html = client.get(f"/programme/activities/{activity.id}").get_data(as_text=True)
    assert "Milestone “Draft handbook” reached: every chapter has been submitted (on 21 May 2014)" in html
    draft = next(m for m in activity.milestones if m.title == "Draft handbook")
    link = f"/programme/activities/{activity.id}/milestones/{draft.id}/edit?done=2014-05-21"
    assert link in html.replace("&amp;", "&")
    assert 'value="2014-05-21"' in client.get(link).get_data(as_text=True)
    assert "Final handbook” reached" not in html


def test_mentions_e_mail_the_people_who_may_read_the_comment(db, surveys, people, mail_outbox):
    version = services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    db.session.commit()
    services.add_comment(surveys, people["wb"], version, 1,
                         "@Editor, please check. @focal.iom cannot see this; me@author.wb is not a mention; "
                         "@author.wb is me.")
    db.session.commit()
    assert [m["To"] for m in mail_outbox] == ["editor@example.org"]
    assert "Wanda Bank (World Bank) mentioned you" in mail_outbox[0].get_content()
    assert f"/handbook/chapters/{surveys.id}#comment-" in mail_outbox[0].get_content()


def _grow_everywhere(db, chapter_by_number, people, round_: int):
    """Versions, comments on the latest and on older versions, replies, resolved threads and images, in
    chapters 3 and 5 (World Bank) and 6 (ILO): what the board's per-agency sums and a chapter page walk."""
    from gmgportal.core.attachments import store_bytes
    from gmgportal.handbook.models import ChapterImage

    for number, writer in ((3, people["wb"]), (5, people["wb"]), (6, people["ilo"])):
        chapter = chapter_by_number(number)
        for i in range(round_ * 3):
            image = ChapterImage(chapter_id=chapter.id, filename="i.png", uploaded_by_id=writer.id,
                                 stored_file=store_bytes(_png(round_ * 100 + i), "i.png", ("png",)))
            db.session.add(image)
            db.session.flush()
            text = SAMPLE_TEXT + f"\n\nRound {round_}, edit {i}.\n\n![Figure {i}](/handbook/images/{image.id})"
            version = services.save_chapter_version(chapter, writer, text, "", chapter.latest_version_number)
            parent = services.add_comment(chapter, people["editor"], version, i % 3, f"On version {version.number}")
            services.add_comment(chapter, writer, version, 0, "@editor replied", parent)
            if i % 2:
                services.resolve_comment(parent, chapter, people["editor"])
    db.session.commit()


def _png(seed: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (seed % 256, seed // 256 % 256, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def test_handbook_pages_run_the_same_queries_for_few_and_many_versions_comments_and_images(
        db, surveys, chapter_by_number, people, auth, client, count_queries):
    pages = ["/handbook/", f"/handbook/chapters/{surveys.id}", f"/handbook/chapters/{surveys.id}/versions/1",
             f"/handbook/chapters/{surveys.id}/diff", "/"]
    measured = []
    for round_ in (1, 3):
        _grow_everywhere(db, chapter_by_number, people, round_)
        counts = {}
        for who in ("editor@example.org", "author.wb@example.org"):
            auth.login(who)
            for path in pages:
                client.get(path)  # warm-up (count_queries empties the page cache: the page is rendered)
                with count_queries() as queries:
                    response = client.get(path)
                    assert response.status_code == 200, path
                counts[who, path] = queries.count
            auth.logout()
        measured.append(counts)
    assert measured[0] == measured[1], measured
    assert max(measured[1].values()) <= 15, measured  # and few: the board, a chapter, a version, a diff, home
    auth.login("editor@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert "Comments on earlier versions" in html and html.count("<img ") == 1
    assert "Round 3, edit 8." in html


def test_the_commenter_is_told_which_mentions_reached_nobody(db, surveys, people, auth, post_form, mail_outbox):
    services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    db.session.commit()
    auth.login("author.wb@example.org")
    page = _comment_url(surveys, paragraph=1)
    response = post_form(page, {"paragraph": 1, "body": "@editor and @focal.iom and @nobody, please look."},
                         follow=True)
    html = response.get_data(as_text=True)
    assert "Your comment is added." in html
    assert "No e-mail went to @focal.iom, @nobody: nobody of that name reads this chapter" in html
    assert [m["To"] for m in mail_outbox] == ["editor@example.org"]


@pytest.mark.parametrize("address", ["diff?from=abc", "diff?to=0", "diff?from=99999999999",
                                     "comments/new?reply_to=99999999999", "comments/new?reply_to=x",
                                     "comments/new?paragraph=-1"])
def test_a_version_or_comment_address_it_cannot_use_is_a_400_page(db, surveys, people, auth, client, address):
    services.save_chapter_version(surveys, people["wb"], SAMPLE_TEXT, "", 0)
    db.session.commit()
    auth.login("editor@example.org")
    response = client.get(f"/handbook/chapters/{surveys.id}/{address}")
    assert response.status_code == 400, address
    assert "This address has a filter the portal cannot use" in response.get_data(as_text=True)
    assert client.get(f"/handbook/chapters/{surveys.id}/diff?from=1&to=1").status_code == 200
