"""Forms of the call for case studies. Every value typed is shown again on error."""
from __future__ import annotations

import datetime as dt

from wtforms import (EmailField, MultipleFileField, PasswordField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField, TimeField)
from wtforms.validators import (DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional,
                                ValidationError)

from gmgportal.auth.forms import strong_enough
from gmgportal.cases.models import Outcome, Recommendation
from gmgportal.cases.services import COUNTRIES
from gmgportal.core.forms import MultiCheckboxField, PortalForm, select_choices
from gmgportal.programme.forms import PortalDateField

LONG = Length(max=20000, message="Keep it under 20,000 characters.")
DATA_KIND_LABELS = {
    "big_data": "Big data", "mobile_phone_records": "Mobile phone records", "social_media": "Social media",
    "satellite_imagery": "Satellite imagery", "administrative_registers": "Administrative registers",
    "household_surveys": "Household surveys", "censuses": "Censuses", "other": "Other",
}


class RegisterForm(PortalForm):
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=200)])
    email = EmailField("E-mail address", validators=[DataRequired("Enter your e-mail address."),
                                                     Email("Enter an e-mail address like name@example.org.")])
    organisation = StringField("Organisation", validators=[DataRequired("Enter your organisation."), Length(max=250)])
    password = PasswordField("Password", validators=[DataRequired("Choose a password."), strong_enough])
    confirm_password = PasswordField("Repeat the password", validators=[
        DataRequired("Repeat the password."), EqualTo("password", "The two passwords do not match.")])
    submit = SubmitField("Register")


def coauthor_lines(form, field) -> None:
    for line in (field.data or "").splitlines():
        if line.strip() and "," in line and "@" not in line.rsplit(",", 1)[1]:
            raise ValidationError(f"Write each co-author as “Name, e-mail address” (check “{line.strip()[:60]}”).")
    if len([line for line in (field.data or "").splitlines() if line.strip()]) > 30:
        raise ValidationError("List at most 30 co-authors.")


def parse_coauthors(text: str | None) -> list[tuple[str, str]]:
    people = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, _, email = line.rpartition(",") if "," in line else (line, "", "")
        people.append((name.strip()[:200], email.strip()[:255]))
    return people


class SubmissionForm(PortalForm):
    title = StringField("Title", validators=[DataRequired("Enter a title."), Length(max=250)])
    organisation = StringField("Organisation", validators=[Optional(), Length(max=250)])
    countries = SelectMultipleField("Countries", choices=select_choices(COUNTRIES), validators=[Optional()],
                                    render_kw={"size": 8, "data-filter-select": "countries"})
    data_kinds = MultiCheckboxField("Kinds of data", choices=select_choices(DATA_KIND_LABELS.items()),
                                    validators=[Optional()])
    summary = TextAreaField("Summary", validators=[Optional(), LONG])
    method = TextAreaField("Method", validators=[Optional(), LONG])
    innovation = TextAreaField("What is innovative", validators=[Optional(), LONG])
    replication = TextAreaField("How it can be replicated in other countries", validators=[Optional(), LONG])
    gender = TextAreaField("Gender aspects", validators=[Optional(), LONG])
    contact_email = EmailField("Contact e-mail", validators=[Optional(), Email("Enter an e-mail address.")])
    coauthors = TextAreaField("Co-authors", validators=[Optional(), coauthor_lines])
    attachments = MultipleFileField("Attachments")
    submit = SubmitField("Save draft")
    preview = SubmitField("Preview")


class ConfirmSubmitForm(PortalForm):
    submit = SubmitField("Submit case study")


class WithdrawForm(PortalForm):
    submit = SubmitField("Withdraw case study")


class ProfileForm(PortalForm):
    keywords = StringField("Keywords", validators=[DataRequired("Enter a few keywords, separated by commas."),
                                                   Length(max=500)])
    expertise = TextAreaField("Your expertise", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Save expertise")


def review_form_class(criteria) -> type[PortalForm]:
    """A review form with one score field per criterion of the call (named score_<criterion id>)."""

    class ReviewForm(PortalForm):
        comments_for_authors = TextAreaField("Comments for the authors", validators=[Optional(), LONG])
        confidential_comments = TextAreaField("Confidential comments for the chairs", validators=[Optional(), LONG])
        recommendation = SelectField("Recommendation", choices=select_choices(
            [("", "Choose…")] + [(r.value, r.label) for r in Recommendation]), validators=[Optional()])
        save = SubmitField("Save draft")
        submit = SubmitField("Submit review")

    for criterion in criteria:
        choices = [("", "Not scored yet")] + [(str(v), str(v)) for v in range(criterion.min_score,
                                                                              criterion.max_score + 1)]
        setattr(ReviewForm, f"score_{criterion.id}", SelectField(
            f"{criterion.name} ({criterion.min_score}–{criterion.max_score})", choices=select_choices(choices),
            validate_choice=False, validators=[Optional()]))
    return ReviewForm


def read_score(value) -> int | None | str:
    """A score field's value: an int, None when empty, or the text itself when it is no number."""
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return str(value)


class ConflictForm(PortalForm):
    reason = StringField("Reason", validators=[DataRequired("Say briefly why (it is shown to the chairs only)."),
                                               Length(max=500)])
    submit = SubmitField("Declare a conflict")


class CommentForm(PortalForm):
    body = TextAreaField("Comment", validators=[DataRequired("Write a comment."), LONG])
    submit = SubmitField("Add comment")


def _optional_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AssignForm(PortalForm):
    # Any id is taken (not only the listed ones) so that the service says why a reviewer cannot be assigned.
    reviewer_id = SelectField("Reviewer", coerce=_optional_int, validate_choice=False,
                              validators=[InputRequired("Choose a reviewer.")])
    submit = SubmitField("Assign")


class ExtendForm(PortalForm):
    closes_on = PortalDateField("New closing date", validators=[InputRequired("Enter the new closing date.")])
    closes_time = TimeField("Time", default=dt.time(23, 59), validators=[InputRequired("Enter the time.")])
    submit = SubmitField("Extend the call")


class DecisionForm(PortalForm):
    case_ids = SelectMultipleField("Cases", coerce=int, validate_choice=False)
    outcome = SelectField("Decision", choices=select_choices((o.value, o.label) for o in Outcome))
    note = TextAreaField("Note for the submitters", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Record decision")


class MeetingForm(PortalForm):
    title = StringField("Title", validators=[DataRequired("Enter the meeting's title."), Length(max=250)])
    starts_on = PortalDateField("First day", validators=[InputRequired("Enter the first day.")])
    ends_on = PortalDateField("Last day", validators=[InputRequired("Enter the last day.")])
    venue = StringField("Venue", validators=[Optional(), Length(max=250)])
    submit = SubmitField("Save the meeting")


class SessionForm(PortalForm):
    title = StringField("Session title", validators=[DataRequired("Enter the session's title."), Length(max=250)])
    day = PortalDateField("Day", validators=[InputRequired("Enter the day.")])
    time = TimeField("Starts at", validators=[InputRequired("Enter the starting time, such as 09:30.")])
    chair_name = StringField("Session chair", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Add the session")


class PlaceForm(PortalForm):
    # The choices are the cases still to place; another one is answered by the service's refusal (409).
    submission_id = SelectField("Accepted case", coerce=int, validate_choice=False,
                                validators=[NumberRange(1, 2**31 - 1, "Choose an accepted case to place.")])
    submit = SubmitField("Place in this session")
