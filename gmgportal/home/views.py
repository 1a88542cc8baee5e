from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from gmgportal.core.pagecache import cacheable
from gmgportal.core.home import home_sections

bp = Blueprint("home", __name__)


@bp.get("/")
@cacheable
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))  # the front door: a plain login, no "next"
    return render_template("home/index.html", sections=home_sections(current_user))
