"""Admin pages: users, agencies and the audit log."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from gmgportal.core.pagecache import cacheable
from gmgportal.auth import services
from gmgportal.auth.forms import AgencyForm, NewUserForm, UserForm
from gmgportal.auth.models import Agency, AgencyKind, User
from gmgportal.core.audit import audit_filter_choices, audit_query
from gmgportal.core.errors import Refused
from gmgportal.core.forms import ConfirmForm, select_choices, show_refusal
from gmgportal.core.permissions import Role, role_required
from gmgportal.core.tables import Sort
from gmgportal.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def require_admin():
    """Every admin page is for administrators only."""


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


@bp.get("/users")
@cacheable
def users():
    agency_id = request.args.get("agency", type=int)
    role_value = request.args.get("role") or None
    role = Role(role_value) if role_value in {r.value for r in Role} else None
    sort = Sort.parse(request.args, services.USER_SORTS, default="name")
    return render_template("admin/users.html", users=services.list_users(agency_id, role, sort=sort),
                           agencies=services.list_agencies(), roles=list(Role), sort=sort,
                           args=request.args.to_dict(), selected_agency=agency_id, selected_role=role_value)


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user) if user is not None else NewUserForm()
    form.agency_id.choices = select_choices((a.id, f"{a.code} – {a.name}") for a in services.list_agencies())
    if user is not None and not form.is_submitted():
        form.roles.data = [r.value for r in user.role_set]
    return form


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.name.data, db.session.get(Agency, form.agency_id.data),
                                        form.password.data, [Role(r) for r in form.roles.data], form.time_zone.data,
                                        active=form.active.data)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"User {user.name} ({user.email}) created.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            services.update_user(user, email=form.email.data, name=form.name.data,
                                 agency=db.session.get(Agency, form.agency_id.data),
                                 roles=[Role(r) for r in form.roles.data], active=form.active.data,
                                 time_zone=form.time_zone.data, acting=current_user)
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            if form.password.data:
                services.change_password(user, form.password.data)
            flash(f"User {user.name} saved.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for("admin.users"))
    form = ConfirmForm()
    if form.validate_on_submit():
        services.set_user_active(user, not user.active)
        flash(f"{user.name} is {'re-activated' if user.active else 'deactivated and logged out everywhere'}.", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/confirm_deactivate.html", form=form, user=user)


@bp.get("/agencies")
@cacheable
def agencies():
    return render_template("admin/agencies.html", agencies=services.list_agencies())


def _save_agency(form: AgencyForm, agency: Agency | None) -> Agency | None:
    try:
        return services.save_agency(agency, form.code.data, form.name.data, AgencyKind(form.kind.data))
    except Refused as refusal:
        show_refusal(form, refusal)
        return None


@bp.route("/agencies/new", methods=["GET", "POST"])
def new_agency():
    form = AgencyForm()
    if form.validate_on_submit() and (agency := _save_agency(form, None)):
        flash(f"Agency {agency.code} created.", "success")
        return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None)


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
def edit_agency(agency_id: int):
    agency = db.get_or_404(Agency, agency_id)
    form = AgencyForm(obj=agency)
    if not form.is_submitted():
        form.kind.data = agency.kind.value
    if form.validate_on_submit() and _save_agency(form, agency):
        flash(f"Agency {agency.code} saved.", "success")
        return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency)


def _date_arg(name: str):
    import datetime as dt

    value = request.args.get(name) or ""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise BadRequest(f"{name} must be a date like 2014-05-13") from error


@bp.get("/audit")
@cacheable
def audit_log():
    filters = {
        "action": request.args.get("action") or None,
        "object_type": request.args.get("object_type") or None,
        "actor": request.args.get("actor") or None,
        "date_from": _date_arg("date_from"),
        "date_to": _date_arg("date_to"),
    }
    page = db.paginate(audit_query(**filters), per_page=50, error_out=False)
    actions, object_types = audit_filter_choices()
    return render_template("admin/audit.html", page=page, actions=actions, object_types=object_types,
                           args=request.args)


