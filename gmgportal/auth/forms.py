from __future__ import annotations

from flask_login import current_user
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from gmgportal.auth.models import AgencyKind
from gmgportal.auth.passwords import password_problem
from gmgportal.core.forms import MultiCheckboxField, PortalForm, TimeZoneField, select_choices
from gmgportal.core.permissions import Role


def strong_enough(form, field) -> None:
    """The password rules of `auth.passwords.password_problem`, for the account the form is about:
    the e-mail and name on the form (admin forms), else the logged-in user's (own password change)."""
    if "email" in form:
        email, name = form.email.data or "", form.name.data or ""
    else:
        email, name = getattr(current_user, "email", ""), getattr(current_user, "name", "")
    problem = password_problem(field.data or "", email=email, name=name)
    if problem:
        raise ValidationError(problem)


class LoginForm(PortalForm):
    email = EmailField("E-mail address", validators=[DataRequired("Enter your e-mail address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me logged in on this computer")
    submit = SubmitField("Log in")


class PasswordChangeForm(PortalForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField("New password", validators=[DataRequired("Enter a new password."), strong_enough])
    confirm_password = PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the new password."), EqualTo("new_password", "The two new passwords do not match.")],
    )
    submit = SubmitField("Change password")


class AccountForm(PortalForm):
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=200)])
    time_zone = TimeZoneField("Time zone")
    submit = SubmitField("Save")


class UserForm(PortalForm):
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


class AgencyForm(PortalForm):
    code = StringField("Short code", validators=[DataRequired("Enter a short code, such as ILO."), Length(max=30)])
    name = StringField("Full name", validators=[DataRequired("Enter the agency's full name."), Length(max=200)])
    kind = SelectField("Kind", choices=select_choices((k.value, k.label) for k in AgencyKind))
    submit = SubmitField("Save agency")
