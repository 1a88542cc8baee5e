"""Every form cleans control characters at the boundary, and marks its optional fields
"(optional)" while required ones stay unmarked."""
from __future__ import annotations

import importlib
import pkgutil

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import EmailField, FileField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

import gmgportal
from gmgportal.core.audit import AuditEvent
from gmgportal.core.forms import PortalForm, field_is_optional, select_choices, strip_control_characters
from tests.conftest import form_labels


@pytest.mark.parametrize("typed, multiline, kept", [
    ("ann\x00@example.org", False, "ann@example.org"),
    ("a\x01b\x07c\x1bd\x7fe\x85f\x9f", False, "abcdef"),
    ("two\tcolumns\r\nand a line", False, "two columns  and a line"),
    ("para one\r\n\r\n\tpara two\x00\x0b\x0c", True, "para one\r\n\r\n\tpara two"),
    ("Zürich – 13 May 2014 😀", False, "Zürich – 13 May 2014 😀"),
])
def test_strip_control_characters_keeps_what_people_type(typed, multiline, kept):
    assert strip_control_characters(typed, multiline=multiline) == kept


class _Sample(PortalForm):
    class Meta:
        csrf = False

    name = StringField("Name")
    notes = TextAreaField("Notes")
    email = EmailField("E-mail")
    secret = PasswordField("Password")
    upload = FileField("File")


def test_portal_form_cleans_one_line_fields_and_keeps_line_breaks_in_text_areas(app):
    import io

    data = {"name": "Ann\x00 Lee\t", "notes": "line\x00 one\nline\ttwo\x1b", "email": "\x00ann@example.org",
            "secret": "pass\x00word", "upload": (io.BytesIO(b"\x00binary\x01"), "a\x00.pdf")}
    with app.test_request_context("/", method="POST", data=data, content_type="multipart/form-data"):
        form = _Sample()
        assert form.name.data == "Ann Lee "
        assert form.notes.data == "line one\nline\ttwo"
        assert form.email.data == "ann@example.org"
        assert form.secret.data == "password"
        assert form.upload.data.read() == b"\x00binary\x01"  # files are not text: left as sent


def test_every_form_in_the_package_is_a_portal_form():
    for module in pkgutil.walk_packages(gmgportal.__path__, "gmgportal."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("gmgportal.")}
    assert len(ours) >= 10
    assert not [cls.__qualname__ for cls in ours if not issubclass(cls, PortalForm)]


def test_a_nul_in_the_login_email_does_not_reach_the_audit_log(db, auth, make_user):
    make_user("focal@example.org")
    response = auth.login("focal\x00@example.org\x07", password="not the password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "\x00" not in html and "\x07" not in html
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "login_failure"))
    assert event.changes["email"] == "focal@example.org"
    assert "\x00" not in repr((event.actor_label, event.object_label, event.changes))


def test_a_nul_typed_into_a_field_is_not_stored(db, client, auth, make_user):
    from gmgportal.auth.models import User

    make_user("focal@example.org", name="Ann")
    auth.login("focal@example.org")
    token = auth.csrf_token("/account")
    response = client.post("/account", data={"csrf_token": token, "name": "Ann\x00 Lee", "time_zone": "UTC"})
    assert response.status_code in (200, 302)
    db.session.rollback()
    assert db.session.scalar(sa.select(User.name).where(User.email == "focal@example.org")) == "Ann Lee"


class _Marks(PortalForm):
    title = StringField("Title", validators=[DataRequired()])
    note = StringField("Note", validators=[Optional()])
    free = TextAreaField("Free text")
    kind = SelectField("Kind", choices=select_choices([("a", "A")]))


def test_field_is_optional_follows_the_validators(app):
    with app.test_request_context():
        form = _Marks(meta={"csrf": False})
        assert not field_is_optional(form.title) and field_is_optional(form.note)
        assert field_is_optional(form.free)  # it may be left empty
        assert not field_is_optional(form.kind)  # a choice is always made


def test_forms_mark_optional_fields_and_leave_required_ones_unmarked(client, auth, make_user):
    from gmgportal.core.permissions import Role

    make_user("admin@example.org", roles=(Role.ADMIN,))
    login_labels = form_labels(client.get("/login").get_data(as_text=True))
    assert login_labels["email"] == "E-mail address" and login_labels["password"] == "Password"
    auth.login("admin@example.org")
    for path in ("/admin/users/new", "/admin/agencies/new", "/account/password", "/account"):
        html = client.get(path).get_data(as_text=True)
        assert "(required)" not in html, path
    labels = form_labels(client.get("/admin/users/new").get_data(as_text=True))
    assert labels["name"] == "Full name" and labels["email"] == "E-mail address"
    assert labels["agency_id"] == "Agency" and labels["time_zone"] == "Time zone"
    assert labels["Roles (optional)"] == "Roles (optional)"


def test_query_strings_arrive_without_control_characters(app):
    with app.test_request_context("/admin/audit?actor=ann%00%07@example.org&note=a%09b"):
        from flask import request

        assert request.args["actor"] == "ann@example.org"
        assert request.args["note"] == "a\tb"  # one-line fields lose it in PortalForm; filters may strip it


def test_the_audit_filter_does_not_echo_a_nul(client, auth, make_user):
    from gmgportal.core.permissions import Role

    make_user("admin@example.org", roles=(Role.ADMIN,))
    auth.login("admin@example.org")
    html = client.get("/admin/audit?actor=adm%00in").get_data(as_text=True)
    assert "\x00" not in html and 'value="admin"' in html


def test_no_template_marks_a_field_required_by_hand():
    """Hand-written labels follow the same rule as the form macros: required is the default, unmarked."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "templates"
    marked = [str(path.relative_to(templates)) for path in templates.rglob("*.html") if "(required)" in path.read_text()]
    assert marked == []
