"""GMG Portal: the shared workplace of the Global Migration Group's working group on migration data."""
from __future__ import annotations

import os

from flask import Flask

from config import Config, config_from_env


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_from_env()
    config_class.validate()
    app = Flask(__name__, template_folder="../templates", instance_relative_config=False)
    app.config.from_object(config_class)
    from gmgportal.core.sqlite import make_database_folder

    make_database_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    register_proxy_fix(app)
    register_url_rules(app)
    register_extensions(app)
    register_blueprints(app)
    register_features(app)
    register_errorhandlers(app)
    register_templates(app)
    register_commands(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address, scheme and host from their headers."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def register_url_rules(app: Flask) -> None:
    from gmgportal.core.urls import register_url_rules as register_bounded_numbers

    register_bounded_numbers(app)


def register_extensions(app: Flask) -> None:
    from gmgportal.core.sqlite import configure_sqlite_engine
    from gmgportal.core.uow import register_request_unit_of_work
    from gmgportal.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), render_as_batch=True,
                     compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        configure_sqlite_engine(db.engine)
    register_request_unit_of_work(app)
    from gmgportal.core.pagecache import register_page_cache

    register_page_cache(app)  # after the unit of work: its version read is a read transaction


def register_blueprints(app: Flask) -> None:
    # Models that no blueprint imports still belong to the schema.
    from gmgportal.core import attachments, audit, content, dataversion, throttle  # noqa: F401
    from gmgportal.auth.admin_views import bp as admin_bp
    from gmgportal.auth.views import bp as auth_bp
    from gmgportal.cases.views import bp as cases_bp
    from gmgportal.home.views import bp as home_bp
    from gmgportal.jobs.views import bp as jobs_bp
    from gmgportal.handbook.views import bp as handbook_bp
    from gmgportal.programme.views import bp as programme_bp
    from gmgportal.reports.views import bp as reports_bp

    for blueprint in (home_bp, auth_bp, admin_bp, jobs_bp, programme_bp, handbook_bp, cases_bp, reports_bp):
        app.register_blueprint(blueprint)


def register_features(app: Flask) -> None:
    """Hooks features add to core: content loaders, home sections, login."""
    from gmgportal.auth.content import register_auth_content
    from gmgportal.auth.home import register_auth_home
    from gmgportal.auth.lookup import register_auth_user_lookup
    from gmgportal.auth.views import register_login_manager
    from gmgportal.cases import register_cases
    from gmgportal.jobs import register_jobs
    from gmgportal.handbook import register_handbook
    from gmgportal.programme import register_programme
    from gmgportal.reports import register_reports

    register_login_manager(app)
    register_auth_user_lookup(app)
    register_auth_content(app)
    register_auth_home(app)
    register_programme(app)
    register_handbook(app)
    register_cases(app)
    register_reports(app)
    register_jobs(app)


def register_errorhandlers(app: Flask) -> None:
    from gmgportal.core.errors import register_error_handlers
    from gmgportal.core.security import register_security_headers

    register_error_handlers(app)
    register_security_headers(app)


def register_templates(app: Flask) -> None:
    from gmgportal.core import clock
    from gmgportal.core.formatting import register_template_filters
    from gmgportal.core.forms import register_form_helpers
    from gmgportal.core.markdown import render_markdown
    from gmgportal.core.navigation import register_navigation
    from gmgportal.core.permissions import Role, has_role, is_chair_or_admin

    register_template_filters(app)
    register_form_helpers(app)
    register_navigation(app)
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_global(has_role, "has_role")
    app.add_template_global(is_chair_or_admin, "is_chair_or_admin")
    app.add_template_global(Role, "Role")
    app.add_template_global(clock.is_set, "clock_is_set")
    app.add_template_global(clock.today, "clock_today")


def register_commands(app: Flask) -> None:
    from gmgportal.cli import register_commands as register_cli

    register_cli(app)
