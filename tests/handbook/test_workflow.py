"""The workflow: who may take which step, what the workflow refuses, the log and the e-mails."""
import pytest
import sqlalchemy as sa

from gmgportal.core.audit import AuditEvent
from gmgportal.core.errors import Refused
from gmgportal.handbook import services
from gmgportal.handbook.models import ChapterStatus as S, ChapterTransition
from tests.handbook.conftest import SAMPLE_TEXT


def _draft(db, chapter, user, text=SAMPLE_TEXT):
    version = services.save_chapter_version(chapter, user, text, "First draft", chapter.latest_version_number)
    db.session.commit()
    return version


def test_the_whole_workflow_is_logged_and_mailed(db, surveys, people, mail_outbox, frozen_clock):
    wb, editor = people["wb"], people["editor"]
    _draft(db, surveys, wb)
    assert surveys.status is S.DRAFTING  # the first save starts the draft
    services.move_chapter(surveys, wb, S.SUBMITTED, "Ready for review")
    db.session.commit()
    submitted_mail = mail_outbox[-1]
    assert "editor@example.org" in submitted_mail["To"] and "chair@example.org" in submitted_mail["To"]
    assert "author.wb@example.org" not in submitted_mail["To"]  # nobody hears of their own step
    assert "Ready for review" in submitted_mail.get_content()
    for to in (S.IN_REVIEW, S.CHANGES_REQUESTED):
        services.move_chapter(surveys, editor, to, "Add country examples" if to is S.CHANGES_REQUESTED else "")
        db.session.commit()
    changes_mail = mail_outbox[-1]
    assert {"author.wb@example.org", "second.wb@example.org", "focal.ilo@example.org"} <= set(
        changes_mail["To"].split(", "))
    assert "focal.iom@example.org" not in changes_mail["To"]  # IOM has no part in chapter 3
    _draft(db, surveys, wb, SAMPLE_TEXT + "\nMore.\n")  # saving a chapter with changes requested revises it
    assert surveys.status is S.DRAFTING
    services.move_chapter(surveys, wb, S.SUBMITTED)
    services.move_chapter(surveys, editor, S.IN_REVIEW)
    services.move_chapter(surveys, people["chair"], S.ACCEPTED, "Well done")
    db.session.commit()
    steps = db.session.scalars(sa.select(ChapterTransition).order_by(ChapterTransition.id)).all()
    assert [(t.from_status, t.to_status) for t in steps] == [
        (S.NOT_STARTED, S.DRAFTING), (S.DRAFTING, S.SUBMITTED), (S.SUBMITTED, S.IN_REVIEW),
        (S.IN_REVIEW, S.CHANGES_REQUESTED), (S.CHANGES_REQUESTED, S.DRAFTING), (S.DRAFTING, S.SUBMITTED),
        (S.SUBMITTED, S.IN_REVIEW), (S.IN_REVIEW, S.ACCEPTED)]
    assert steps[-1].actor_id == people["chair"].id and steps[-1].comment == "Well done"
    assert steps[-1].at == frozen_clock.now()
    audited = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "Chapter")).all()
    assert any(e.changes and e.changes.get("status", {}).get("after") == "accepted" for e in audited)
    services.move_chapter(surveys, editor, S.DRAFTING, "Reopened for the final edition")
    assert surveys.status is S.DRAFTING


@pytest.mark.parametrize("who", ["reviewer", "iom"])
def test_reviewers_and_uninvolved_focal_points_may_not_save_or_move(db, surveys, people, who):
    with pytest.raises(services.NotAllowed):
        services.save_chapter_version(surveys, people[who], "Text", "", 0)
    with pytest.raises(services.NotAllowed):
        services.move_chapter(surveys, people[who], S.DRAFTING)


def test_authors_may_not_review_and_editors_may_not_submit(db, surveys, people):
    _draft(db, surveys, people["wb"])
    with pytest.raises(services.NotAllowed, match="focal points"):
        services.move_chapter(surveys, people["editor"], S.SUBMITTED)
    with pytest.raises(services.NotAllowed):
        services.save_chapter_version(surveys, people["editor"], "Text", "", 1)
    services.move_chapter(surveys, people["wb"], S.SUBMITTED)
    with pytest.raises(services.NotAllowed, match="editors and chairs"):
        services.move_chapter(surveys, people["wb"], S.IN_REVIEW)


def test_a_step_the_workflow_does_not_allow_is_refused_with_the_reason(db, surveys, people):
    _draft(db, surveys, people["wb"])
    with pytest.raises(Refused) as caught:
        services.move_chapter(surveys, people["editor"], S.ACCEPTED)
    assert caught.value.status == 409
    assert "drafting cannot become accepted" in caught.value.message and "submit for review" in caught.value.message


def test_nothing_to_submit_before_a_first_version(db, surveys, people):
    services.move_chapter(surveys, people["wb"], S.DRAFTING)
    with pytest.raises(Refused, match="no draft to submit"):
        services.move_chapter(surveys, people["wb"], S.SUBMITTED)


def test_a_submitted_chapter_is_not_edited_until_withdrawn(db, surveys, people):
    _draft(db, surveys, people["wb"])
    services.move_chapter(surveys, people["wb"], S.SUBMITTED)
    with pytest.raises(Refused, match="Withdraw the submission") as caught:
        services.save_chapter_version(surveys, people["wb"], "New", "", 1)
    assert caught.value.status == 409
    services.move_chapter(surveys, people["wb"], S.DRAFTING)
    assert services.save_chapter_version(surveys, people["wb"], "New", "", 1).number == 2


def test_no_mail_when_the_step_is_rolled_back(db, surveys, people, mail_outbox):
    _draft(db, surveys, people["wb"])
    services.move_chapter(surveys, people["wb"], S.SUBMITTED)
    db.session.rollback()
    assert mail_outbox == []


# --- over HTTP --------------------------------------------------------------------------

def test_moving_over_http_answers_403_409_and_moves(db, surveys, people, auth, post_form, client):
    _draft(db, surveys, people["wb"])
    page, action = f"/handbook/chapters/{surveys.id}", f"/handbook/chapters/{surveys.id}/move"
    auth.login("focal.iom@example.org")
    response = post_form("/handbook/", {"to": "submitted"}, action)
    assert response.status_code == 403
    client.post("/logout", data={"csrf_token": auth.csrf_token("/account")})
    auth.login("author.wb@example.org")
    response = post_form(page, {"to": "accepted"}, action)
    assert response.status_code == 409 and "cannot become accepted" in response.get_data(as_text=True)
    response = post_form(page, {"to": "submitted", "comment": "Please review"}, action, follow=True)
    assert response.status_code == 200 and "Chapter 3 moved to “Submitted”" in response.get_data(as_text=True)
    db.session.expire_all()
    assert surveys.status is S.SUBMITTED


def test_the_chapter_page_offers_only_the_steps_you_may_take(db, surveys, people, auth, client):
    _draft(db, surveys, people["wb"])
    auth.login("author.wb@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert "Submit for review" in html and "Accept the chapter" not in html and "Edit the chapter" in html
    client.post("/logout", data={"csrf_token": auth.csrf_token("/account")})
    auth.login("reviewer@example.org")
    html = client.get(f"/handbook/chapters/{surveys.id}").get_data(as_text=True)
    assert "Submit for review" not in html and "Edit the chapter" not in html and "Move the chapter on" not in html
