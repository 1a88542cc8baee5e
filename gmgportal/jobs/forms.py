"""The forms of the job pages: start (with its idempotency key), cancel and retry (CSRF and a button)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Optional, Regexp


class StartJobForm(FlaskForm):
    """The start button of a task. Its key, fresh on each page, makes a double click start one job."""

    idempotency_key = HiddenField(validators=[Optional(), Regexp(
        r"^[A-Za-z0-9_-]{1,64}$", message="The form's key is not valid: reload the page and try again.")])
