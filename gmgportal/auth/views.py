"""Login, logout and the user's own account pages."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from gmgportal.core.pagecache import cacheable
from gmgportal.auth import services
from gmgportal.auth.forms import AccountForm, LoginForm, PasswordChangeForm
from gmgportal.core import clock
from gmgportal.core.permissions import login_required
from gmgportal.core.uow import write_beside
from gmgportal.core.urls import is_safe_next

bp = Blueprint("auth", __name__)


def client_info() -> services.ClientInfo:
    return services.ClientInfo(ip_address=request.remote_addr or "",
                               user_agent=request.headers.get("User-Agent", ""))


@bp.route("/login", methods=["GET", "POST"])
@cacheable(reads_data=False)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, client_info())
        except services.LoginThrottled as throttled:
            form.form_errors.append(str(throttled))
            status = 429
            retry_after = throttled.retry_after
        else:
            if user is None:
                form.form_errors.append("The e-mail address or password is not right. Check them and try again.")
            else:
                services.start_session(user, client_info(), remember=form.remember.data)
                session.clear()  # a fresh session on login: no fixation
                login_user(user, remember=form.remember.data)
                flash(f"Welcome, {user.name}.", "success")
                target = request.args.get("next")
                return redirect(target if is_safe_next(target) else url_for("home.index"))
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
@login_required
def logout():
    services.end_session(current_user.get_id())
    session.clear()  # first: logout_user() leaves word in the session to expire the remember-me cookie
    logout_user()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@cacheable
@login_required
def account():
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        services.update_preferences(current_user, form.name.data, form.time_zone.data)
        flash("Your account settings are saved.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            right = services.check_current_password(current_user, form.current_password.data)
        except services.LoginThrottled as throttled:
            form.current_password.errors.append(str(throttled))
            status, headers = 429, {"Retry-After": str(throttled.retry_after)}
        else:
            if not right:
                form.current_password.errors.append("That is not your current password.")
            else:
                services.change_password(current_user, form.new_password.data, keep_token=current_user.get_id())
                flash("Your password is changed. You have been logged out everywhere else.", "success")
                return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), status, headers


def _load_session_user(token: str):
    """The session's user, unless the server has ended the session (idle or too old).

    An expired session row is deleted; "last seen" is refreshed only when it is
    SESSION_TOUCH_MINUTES old, beside the request's own unit of work (a GET never commits).
    """
    user = services.load_session_user(token)
    if user is None:
        return None
    now = clock.now()
    if now >= services.session_ends_at(user.login_session):
        write_beside(services.end_session_statement(user.login_session))
        return None
    if services.session_needs_touch(user.login_session, now):
        write_beside(services.touch_session_statement(user.login_session, now))
    return user


def register_login_manager(app) -> None:
    from gmgportal.extensions import login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(token: str):
        return _load_session_user(token)

    from gmgportal.core.audit import set_actor_loader

    def current_actor():
        from flask import has_request_context

        if has_request_context() and current_user and current_user.is_authenticated:
            return current_user.id, current_user.email
        return None, "system"

    set_actor_loader(current_actor)
