"""Error pages: HTML in the portal's layout, JSON under /api/. Never a traceback."""
from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from typing import TypeVar

from gmgportal.extensions import db

T = TypeVar("T")

# What happened and what to do next, in words a user can act on.
ERROR_TEXTS: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood. Go back, check what you entered and try again."),
    401: ("Please log in", "You need to log in to see this page."),
    403: ("You don't have access to this page", "Your account doesn't have permission for this. If you think it should, ask a chair or an administrator."),
    404: ("Page not found", "There is nothing at this address. Check the link, or start again from the home page."),
    405: ("That action isn't allowed here", "This address doesn't accept that kind of request. Use the buttons on the page instead of typing the address."),
    409: ("Someone else changed this first", "The item changed while you were working on it. Your text is shown again; review the latest version and save again."),
    413: ("The upload is too large", "The file is larger than the portal accepts. Reduce its size and try again."),
    429: ("Too many attempts", "You have tried this too often. Wait a few minutes and try again."),
    500: ("Something went wrong on our side", "The error has been logged and nothing you submitted was half-saved. Try again in a moment."),
}


class Refused(Exception):
    """A service refuses a change (a code already taken, a rule of the workflow).

    `field` names the form field the message belongs to (None: the whole form);
    `status` is the HTTP status a page answers with when it has no form to show it on.
    """

    status = 409

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(code: int, detail: str | None = None):
    title, advice = ERROR_TEXTS.get(code, ("Error", "Something went wrong."))
    message = detail or advice
    if wants_json():
        response = jsonify(error={"status": code, "title": title, "message": message})
    else:
        response = make_response(render_template("errors/error.html", code=code, title=title, message=message))
    response.status_code = code
    return response


def register_error_handlers(app: Flask) -> None:
    from gmgportal.core.uow import roll_back

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return error_response(
            400,
            "The form's security token was missing or had expired. Go back, reload the page and submit it again.",
        )

    @app.errorhandler(Refused)
    def handle_refusal(refusal: Refused):
        """A service's refusal that no form shows: its page, with its status (409 by default)."""
        return error_response(refusal.status, refusal.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        code = error.code or 500
        if code >= 500:
            roll_back()
        detail = error.description if getattr(error, "gmg_detail", False) else None
        response = error_response(code, detail)
        if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        roll_back()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(InternalServerError.code)


def abort_with(code: int, message: str):
    """Abort with an HTTP error whose page shows `message` instead of the default advice."""
    from werkzeug.exceptions import default_exceptions

    error = default_exceptions[code](description=message)
    error.gmg_detail = True  # type: ignore[attr-defined]
    raise error


def get_child_or_404(model: type[T], child_id: int | None, message: str, **parent: int) -> T | None:
    """The `model` row `child_id` if it belongs to the given parent (`group_id=3`), else a 404 with `message`.

    No id (a "new" form) gives None.
    """
    if not child_id:
        return None
    child = db.session.get(model, child_id)
    if child is None or any(getattr(child, key) != value for key, value in parent.items()):
        abort_with(404, message)
    return child
