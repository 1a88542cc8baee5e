from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from gmgportal.auth.models import AgencyKind
from gmgportal.core.forms import TimeZoneField, select_choices
from gmgportal.core.permissions import Role


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def strong_enough(form, field) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(f"Enter a password of at least {minimum} characters.")
    if field.data and field.data.strip().lower() in {"password123", "passwordpassword", "1234567890"}:
        raise ValidationError("Choose a password that is harder to guess.")


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired("Enter your e-mail address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me logged in on this computer")
    submit = SubmitField("Log in")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password."), strong_enough])
    confirm_password = PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the new password."), EqualTo("new_password", "The two new passwords do not match.")],
    )
    submit = SubmitField("Change password")


class AccountForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=200)])
    time_zone = TimeZoneField("Time zone")
    submit = SubmitField("Save")


class UserForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired("Enter the person's name."), Length(max=200)])
    email = EmailField("E-mail address", validators=[
        DataRequired("Enter an e-mail address."), Email("Enter an e-mail address like name@agency.org."), Length(max=255)])
    agency_id = SelectField("Agency", coerce=int, validate_choice=True)
    roles = MultiCheckboxField("Roles", choices=select_choices((r.value, r.label) for r in Role))
    time_zone = TimeZoneField("Time zone", default="UTC")
    password = PasswordField("Initial password", validators=[Optional(), strong_enough])
    active = BooleanField("Active (can log in)", default=True)
    submit = SubmitField("Save user")


class NewUserForm(UserForm):
    password = PasswordField("Initial password", validators=[
        DataRequired("Enter an initial password for the new user."), strong_enough])


class AgencyForm(FlaskForm):
    code = StringField("Short code", validators=[DataRequired("Enter a short code, such as ILO."), Length(max=30)])
    name = StringField("Full name", validators=[DataRequired("Enter the agency's full name."), Length(max=200)])
    kind = SelectField("Kind", choices=select_choices((k.value, k.label) for k in AgencyKind))
    submit = SubmitField("Save agency")
