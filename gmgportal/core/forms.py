"""Form helpers shared by every feature, and PortalForm, the base of every form."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterable, TypeVar

from flask import Flask, Request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectField, SelectMultipleField, SubmitField, ValidationError
from wtforms.widgets import html_params
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget, TextArea

from gmgportal.core.urls import BoundedArgs

T = TypeVar("T")

# C0 and C1 control characters and DEL. A text area keeps tab, newline and carriage return;
# a one-line field turns them into a space.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def strip_control_characters(text: str, multiline: bool = False) -> str:
    """`text` without NUL and the other control characters nobody means to type."""
    text = _CONTROL.sub("", text)
    return text if multiline else _LINE_BREAKS.sub(" ", text)


class _CleanParameters(BoundedArgs):
    """Query strings and posted fields as parsed by Werkzeug, without control characters
    (tab, newline and CR stay: a text area may hold them), and whose `.get(name, type=int)`
    ignores out-of-range numbers. Files are left alone."""

    def __init__(self, mapping=None):
        if mapping is not None:
            items = (mapping.items(multi=True) if isinstance(mapping, MultiDict)
                     else mapping.items() if isinstance(mapping, dict) else mapping)
            mapping = [(strip_control_characters(key, multiline=True),
                        strip_control_characters(value, multiline=True) if isinstance(value, str) else value)
                       for key, value in items]
        super().__init__(mapping)


class PortalRequest(Request):
    """The app's request: every query string and form (GET filters too) arrives cleaned and bounded."""

    parameter_storage_class = _CleanParameters


def _clean_formdata(form: FlaskForm, formdata):
    if formdata is None or not hasattr(formdata, "getlist"):
        return formdata
    multiline = {field.name for field in form if isinstance(field.widget, TextArea)}
    cleaned = MultiDict()
    for key in formdata.keys():
        for value in formdata.getlist(key):
            if isinstance(value, str):  # files stay as they are
                value = strip_control_characters(value, multiline=key in multiline)
            cleaned.add(strip_control_characters(key), value)
    return cleaned


class PortalForm(FlaskForm):
    """The base of every form in the portal: what comes in is cleaned of control characters
    before any field sees it, so they are neither stored, nor logged, nor echoed back."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            return _clean_formdata(form, super().wrap_formdata(form, formdata))


def field_is_optional(field) -> bool:
    """Whether a form marks the field "(optional)": it may be left empty. Required fields carry no mark."""
    if field.flags.optional:
        return True
    if field.flags.required:
        return False
    return not isinstance(field, (SelectField, RadioField))  # a choice is always made


def register_form_helpers(app: Flask) -> None:
    """The cleaning request class, and what the form macros call."""
    app.request_class = PortalRequest
    app.add_template_global(field_is_optional, "field_is_optional")


def select_choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def show_refusal(form: FlaskForm, refusal: Exception) -> None:
    """Put a service's refusal (core.errors.Refused) beside its field, or at the top of the form."""
    field = getattr(refusal, "field", None)
    message = getattr(refusal, "message", str(refusal))
    if field and field in form:
        form[field].errors = [*form[field].errors, message]
    else:
        form.form_errors.append(message)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(PortalForm):
    """The form of a confirmation page: only the CSRF token and one button."""

    submit = SubmitField("Confirm")


class TimeZoneSelect:
    """A <select> of every time zone, the group's duty stations first in their own group.

    The ~550 options are rendered once per process and reused; only the chosen one is marked.
    """

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        options = _time_zone_options_html()
        if field.data:
            value = escape(field.data)
            options = options.replace(f'<option value="{value}">', f'<option selected value="{value}">', 1)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


@lru_cache(maxsize=1)
def _time_zone_options_html() -> str:
    from gmgportal.core.formatting import GROUP_TIME_ZONES, time_zone_choices

    def options(pairs) -> str:
        return "".join(f'<option value="{escape(v)}">{escape(label)}</option>' for v, label in pairs)

    first = len(GROUP_TIME_ZONES)
    choices = time_zone_choices()
    return (f'<optgroup label="Duty stations">{options(choices[:first])}</optgroup>'
            f'<optgroup label="All time zones">{options(choices[first:])}</optgroup>')


class TimeZoneField(SelectField):
    """A time zone, validated against the zones the system knows (zoneinfo), rendered from a cache."""

    widget = TimeZoneSelect()

    def __init__(self, label=None, validators=None, **kwargs):
        from gmgportal.core.formatting import time_zone_choices

        super().__init__(label, validators, choices=lambda: select_choices(time_zone_choices()), **kwargs)

    def pre_validate(self, form) -> None:
        from gmgportal.core.formatting import time_zone_names

        if self.data not in time_zone_names():
            raise ValidationError("Choose a time zone from the list.")


def save_with_uploads(form: FlaskForm, save: Callable[[list], T]) -> tuple[T | None, int]:
    """Call `save(uploads)` with the files of the form's `attachments` field, undoing only its changes if it
    refuses. A refused file goes beside the field (413 too large, 422 not accepted), a service's refusal
    on the form. Returns (what `save` returned, or None; the status to show the form with)."""
    from gmgportal.core.attachments import AttachmentTooLarge, UploadRefused, uploads_from
    from gmgportal.core.errors import Refused
    from gmgportal.core.uow import attempt

    try:
        with attempt():
            return save(uploads_from(form.attachments.data)), 200
    except AttachmentTooLarge as refused:
        form.attachments.errors = [str(refused)]
        return None, 413
    except UploadRefused as refused:
        form.attachments.errors = [f"{refused} Nothing was saved; choose the file again."]
        return None, 422
    except Refused as refusal:
        show_refusal(form, refusal)
        return None, refusal.status
