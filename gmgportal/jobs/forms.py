"""The forms of the job pages: start (with its idempotency key), cancel and retry (CSRF and a button)."""
from __future__ import annotations

from wtforms import HiddenField
from wtforms.validators import Optional, Regexp

from gmgportal.core.forms import PortalForm


class StartJobForm(PortalForm):
    """The start button of a task. Its key, fresh on each page, makes a double click start one job."""

    idempotency_key = HiddenField(validators=[Optional(), Regexp(
        r"^[A-Za-z0-9_-]{1,64}$", message="The form's key is not valid: reload the page and try again.")])
