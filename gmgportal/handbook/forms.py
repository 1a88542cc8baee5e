"""Forms of the handbook. Every value typed is shown again on error, a conflict included."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from gmgportal.core.forms import select_choices
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

MARKDOWN_HINT = ("Markdown: “## ” starts a section heading, **bold**, *italic*, “- ” for a list, "
                 "[link text](https://…), footnotes as [^1] with “[^1]: the note” below. Use Preview to check.")


class VersionForm(FlaskForm):
    text = TextAreaField("Chapter text", validators=[DataRequired("Write the chapter text before saving.")])
    note = StringField("What changed", validators=[Optional(), Length(max=500, message="Keep the note under 500 "
                                                                                       "characters.")])
    based_on = IntegerField("Based on version", validators=[InputRequired(), NumberRange(0, 1_000_000)])
    preview = SubmitField("Preview")
    submit = SubmitField("Save version")


class MoveForm(FlaskForm):
    to = HiddenField(validators=[DataRequired()])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Move")


class CommentForm(FlaskForm):
    paragraph = SelectField("Paragraph", coerce=int)
    body = TextAreaField("Comment", validators=[DataRequired("Write the comment before sending it."),
                                                Length(max=10000, message="Keep the comment under 10,000 "
                                                                          "characters.")])
    submit = SubmitField("Add comment")


class ResolveForm(FlaskForm):
    submit = SubmitField("Mark as resolved")


class UploadForm(FlaskForm):
    file = FileField("Word file", validators=[FileRequired("Choose the Word file (.docx) to upload.")])
    note = StringField("What changed", validators=[Optional(), Length(max=500, message="Keep the note under 500 "
                                                                                       "characters.")])
    submit = SubmitField("Upload and make a new version")


class CompileForm(FlaskForm):
    mode = SelectField("What to include", choices=select_choices([
        ("accepted", "Accepted chapters only"),
        ("latest", "Latest drafts of every chapter (those not accepted are marked as drafts on every page)")]))
    idempotency_key = HiddenField()
    submit = SubmitField("Compile the handbook")


class PublishForm(FlaskForm):
    submit = SubmitField("Publish this edition")
