"""One rule in core serves an attachment only to those who may see what it belongs to."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from gmgportal.core.attachments import may_download, register_attachment_rule
from gmgportal.programme.models import ProgressAttachment
from tests.programme.conftest import PDF_BYTES


@pytest.fixture
def attachment(db, auth, people, activity_by_ref, progress_form, client):
    auth.login("focal.iom@example.org")
    assert progress_form(activity_by_ref("1.2 (1)").id, files=[("note.pdf", PDF_BYTES)]).status_code == 302
    auth.logout()
    return db.session.scalar(sa.select(ProgressAttachment))


def test_every_logged_in_member_downloads_programme_attachments(auth, client, attachment):
    auth.login("reviewer@example.org")  # not a focal point of the activity: the programme is read by all members
    with client.get(f"/programme/attachments/{attachment.id}") as response:
        assert response.status_code == 200 and response.data == PDF_BYTES


def test_anonymous_visitors_get_no_attachment(client, attachment):
    response = client.get(f"/programme/attachments/{attachment.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_download_obeys_the_rule_registered_for_the_link_model(app, auth, client, attachment):
    """A feature's stricter rule (as handbook drafts and case studies will have) is what the download checks."""
    register_attachment_rule(app, ProgressAttachment, lambda link, user: user.email == "chair@example.org")
    auth.login("focal.iom@example.org")  # the uploader, but the rule says no
    with client.get(f"/programme/attachments/{attachment.id}") as response:
        assert response.status_code == 404
        assert "There is no such attachment." in response.get_data(as_text=True)
    auth.logout()
    auth.login("chair@example.org")
    with client.get(f"/programme/attachments/{attachment.id}") as response:
        assert response.status_code == 200


def test_attachments_of_a_model_without_a_rule_are_served_to_nobody(app, people, attachment):
    class Unregistered:  # a link model whose feature registered no rule
        stored_file, filename = attachment.stored_file, attachment.filename

    assert may_download(attachment, people["chair"])
    assert not may_download(Unregistered(), people["chair"])
