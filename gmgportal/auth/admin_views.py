"""Admin pages: users, agencies and the audit log."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import Field

from gmgportal.core.pagecache import cacheable
from gmgportal.auth import services
from gmgportal.auth.forms import AgencyForm, NewUserForm, UserForm
from gmgportal.auth.models import Agency, AgencyKind, User
from gmgportal.core.audit import audit_filter_choices, audit_query
from gmgportal.core.errors import Refused
from gmgportal.core.filters import OptionalId, QueryFilters, parse_filters
from gmgportal.core.forms import ConfirmForm, select_choices, show_refusal
from gmgportal.core.permissions import Role, role_required
from gmgportal.core.tables import Sort
from gmgportal.core.uow import attempt
from gmgportal.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def require_admin():
    """Every admin page is for administrators only."""


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


class UserFilters(QueryFilters):
    agency: OptionalId = None
    role: Optional[Role] = None


class AuditFilters(QueryFilters):
    action: Optional[str] = Field(None, max_length=40)
    object_type: Optional[str] = Field(None, max_length=60)
    actor: Optional[str] = Field(None, max_length=255)
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None


@bp.get("/users")
@cacheable
def users():
    filters = parse_filters(UserFilters, request.args)
    sort = Sort.parse(request.args, services.USER_SORTS, default="name")
    return render_template("admin/users.html", users=services.list_users(filters.agency, filters.role, sort=sort),
                           agencies=services.list_agencies(), roles=list(Role), sort=sort,
                           args=request.args.to_dict(), selected_agency=filters.agency,
                           selected_role=filters.role.value if filters.role else None)


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user) if user is not None else NewUserForm()
    form.agency_id.choices = select_choices((a.id, f"{a.code} – {a.name}") for a in services.list_agencies())
    if user is not None and not form.is_submitted():
        form.roles.data = [r.value for r in user.role_set]
    return form


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = _user_form()
    if form.validate_on_submit() and (user := _save_user(form, None)):
        flash(f"User {user.name} ({user.email}) created.", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


def _save_user(form: UserForm, user: User | None) -> User | None:
    """Create or change the user from the form; a refusal goes on the form and gives None."""
    fields = {"email": form.email.data, "name": form.name.data, "agency": db.session.get(Agency, form.agency_id.data),
              "roles": [Role(r) for r in form.roles.data], "time_zone": form.time_zone.data,
              "active": form.active.data}
    try:
        if user is None:
            return services.create_user(password=form.password.data, **fields)
        with attempt():  # a refused new password undoes the other changes too
            services.update_user(user, acting=current_user, **fields)
            if form.password.data:
                services.change_password(user, form.password.data)
    except Refused as refusal:
        show_refusal(form, refusal)
        return None
    return user


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit() and _save_user(form, user):
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


@bp.get("/audit")
@cacheable
def audit_log():
    filters = parse_filters(AuditFilters, request.args)
    page = db.paginate(audit_query(**filters.model_dump(exclude={"page"})), page=filters.page, per_page=50,
                       error_out=False)
    actions, object_types = audit_filter_choices()
    return render_template("admin/audit.html", page=page, actions=actions, object_types=object_types,
                           args=request.args)


