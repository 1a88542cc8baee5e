"""Forms of the work programme. Every value typed is shown again on error."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from wtforms import (DateField, IntegerField, MultipleFileField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import DateInput

from gmgportal.core.clock import today
from gmgportal.core.forms import MultiCheckboxField, PortalForm, select_choices
from gmgportal.programme.models import FindingKind, Status

DATE_HINT = "For example 2014-05-13 (year-month-day)."
STATUS_CHOICES = select_choices((s.value, s.label) for s in Status)


class KeptDateInput(DateInput):
    """A date picker that becomes a text box when what was typed is not a date, so the text stays visible."""

    def __call__(self, field, **kwargs):
        if field.errors and field.raw_data and field.raw_data[0]:
            kwargs["type"] = "text"
        return super().__call__(field, **kwargs)


class PortalDateField(DateField):
    widget = KeptDateInput()

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        for pattern in ("%Y-%m-%d", "%d %B %Y", "%d %b %Y"):
            try:
                self.data = dt.datetime.strptime(text, pattern).date()
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(f"Enter the date as year-month-day, like 2014-05-13 (you typed “{text}”).")


def http_links(form, field) -> None:
    """One http(s) address per line."""
    bad = [line for line in parse_links(field.data) if not _is_http_url(line)]
    if bad:
        raise ValidationError(f"Enter web addresses starting with http:// or https://, one per line. "
                              f"Not valid: {', '.join(bad[:3])}.")
    if len(parse_links(field.data)) > 20:
        raise ValidationError("Enter at most 20 links.")


def parse_links(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _is_http_url(text: str) -> bool:
    if len(text) > 2000 or any(c.isspace() for c in text):
        return False
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "." in (parts.hostname or "")


class ProgressForm(PortalForm):
    as_of = PortalDateField("As of", validators=[InputRequired("Enter the date this update describes.")])
    status = SelectField("Status", choices=STATUS_CHOICES)
    percent_complete = IntegerField(
        "Percent complete", validators=[InputRequired("Enter how complete the activity is, from 0 to 100."),
                                        NumberRange(0, 100, "Enter a whole number from 0 to 100.")])
    narrative = TextAreaField("What happened", validators=[
        DataRequired("Describe the progress made."), Length(max=20000, message="Keep it under 20,000 characters.")])
    evidence_links = TextAreaField("Evidence links", validators=[Optional(), http_links])
    attachments = MultipleFileField("Attachments")
    preview = SubmitField("Preview")
    submit = SubmitField("Save update")

    def validate_as_of(self, field) -> None:
        if field.data and field.data > today() + dt.timedelta(days=1):
            raise ValidationError("The as-of date cannot be in the future.")


class OutputForm(PortalForm):
    code = StringField("Code", validators=[DataRequired("Enter the output's code, such as 1.2."), Length(max=20)])
    title = StringField("Title", validators=[DataRequired("Enter the output's title."), Length(max=500)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    position = IntegerField("Order", default=0, validators=[InputRequired("Enter a number for the order."),
                                                           NumberRange(0, 9999, "Enter a number from 0 to 9999.")])
    submit = SubmitField("Save output")


class ActivityForm(PortalForm):
    output_id = SelectField("Output", coerce=int)
    number = IntegerField("Number within the output", validators=[
        InputRequired("Enter the activity's number, such as 1."), NumberRange(1, 999, "Enter a number from 1 to 999.")])
    title = StringField("Title", validators=[DataRequired("Enter the activity's title."), Length(max=500)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    lead_agency_id = SelectField("Lead agency", coerce=int)
    partner_ids = MultiCheckboxField("Partner agencies", coerce=int)
    theme_ids = MultiCheckboxField("Cross-cutting themes", coerce=int)
    start_date = PortalDateField("Start date", validators=[Optional()])
    due_date = PortalDateField("Due date", validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES)
    submit = SubmitField("Save activity")

    def validate_due_date(self, field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The due date must be on or after the start date.")


class MilestoneForm(PortalForm):
    title = StringField("Milestone", validators=[DataRequired("Enter what will be reached."), Length(max=300)])
    due_date = PortalDateField("Due date", validators=[InputRequired("Enter the due date.")])
    done_date = PortalDateField("Done on", validators=[Optional()])
    submit = SubmitField("Save milestone")


class FindingForm(PortalForm):
    kind = SelectField("Kind", choices=select_choices((k.value, k.label) for k in FindingKind))
    text = TextAreaField("Text", validators=[DataRequired("Write the finding."), Length(max=20000)])
    activity_id = SelectField("Activity", coerce=int)
    theme_id = SelectField("Cross-cutting theme", coerce=int)
    noted_on = PortalDateField("Date", validators=[InputRequired("Enter the date of the finding.")])
    preview = SubmitField("Preview")
    submit = SubmitField("Save finding")

MARKDOWN_HINT = "Markdown: **bold**, *italic*, “- ” for a list, [link text](https://…). Use Preview to check."
