"""Forms of the handbook. Every value typed is shown again on error, a conflict included."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from gmgportal.core.forms import PortalForm, select_choices

MARKDOWN_HINT = ("Markdown: “## ” starts a section heading, **bold**, *italic*, “- ” for a list, "
                 "[link text](https://…), footnotes as [^1] with “[^1]: the note” below. Use Preview to check.")


class VersionForm(PortalForm):
    text = TextAreaField("Chapter text", validators=[DataRequired("Write the chapter text before saving.")])
    note = StringField("What changed", validators=[Optional(), Length(max=500, message="Keep the note under 500 "
                                                                                       "characters.")])
    based_on = IntegerField("Based on version", validators=[InputRequired(), NumberRange(0, 1_000_000)])
    preview = SubmitField("Preview")
    submit = SubmitField("Save version")


class MoveForm(PortalForm):
    to = HiddenField(validators=[DataRequired()])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Move")


class CommentForm(PortalForm):
    paragraph = SelectField("Paragraph", coerce=int)
    body = TextAreaField("Comment", validators=[DataRequired("Write the comment before sending it."),
                                                Length(max=10000, message="Keep the comment under 10,000 "
                                                                          "characters.")])
    submit = SubmitField("Add comment")


class ResolveForm(PortalForm):
    submit = SubmitField("Mark as resolved")


class UploadForm(PortalForm):
    file = FileField("Word file", validators=[FileRequired("Choose the Word file (.docx) to upload.")])
    note = StringField("What changed", validators=[Optional(), Length(max=500, message="Keep the note under 500 "
                                                                                       "characters.")])
    # The latest version when the page was opened: a version saved after it is kept and named in the note.
    based_on = IntegerField(validators=[Optional(), NumberRange(0, 1_000_000)])
    idempotency_key = HiddenField()  # a double click on a large file starts one job
    submit = SubmitField("Upload and make a new version")


class CompileForm(PortalForm):
    mode = SelectField("What to include", choices=select_choices([
        ("accepted", "Accepted chapters only"),
        ("latest", "Latest drafts of every chapter (those not accepted are marked as drafts on every page)")]))
    idempotency_key = HiddenField()
    submit = SubmitField("Compile the handbook")


class PublishForm(PortalForm):
    submit = SubmitField("Publish this edition")
