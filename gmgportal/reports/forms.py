"""Forms of the progress reports."""
from __future__ import annotations

from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from gmgportal.core.forms import PortalForm
from gmgportal.programme.forms import PortalDateField

MAX_SECTION_CHARS = 50_000


class GenerateForm(PortalForm):
    group = SelectField("Working group", validators=[InputRequired()])
    period_start = PortalDateField("From", validators=[Optional()])
    period_end = PortalDateField("To", validators=[InputRequired(message="Enter the last day the report covers.")])
    submit = SubmitField("Generate the draft")


class SectionForm(PortalForm):
    markdown = TextAreaField("Text of the section", validators=[
        DataRequired(message="Write the section's text, or reset it to the generated text."),
        Length(max=MAX_SECTION_CHARS, message=f"A section can be at most {MAX_SECTION_CHARS:,} characters.")])
    submit = SubmitField("Save the section")
    preview = SubmitField("Preview")


class PublishForm(PortalForm):
    public = BooleanField("Make it public")
    submit = SubmitField("Publish to members")
