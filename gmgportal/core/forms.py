"""Form helpers shared by every feature."""
from __future__ import annotations

from typing import Any, Iterable

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget
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


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(FlaskForm):
    """The form of a confirmation page: only the CSRF token and one button."""

    submit = SubmitField("Confirm")
