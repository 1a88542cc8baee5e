"""Form helpers shared by every feature."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectField, SubmitField, ValidationError
from wtforms.widgets import html_params
from wtforms.fields.choices import SelectChoice


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


class ConfirmForm(FlaskForm):
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
