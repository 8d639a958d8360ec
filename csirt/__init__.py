"""csirt: the incident desk of a provincial CSIRT.

Importing the package has no side effects; `create_app()` builds an application.
"""
import logging
from pathlib import Path

from flask import Flask

from .about import __version__, version  # noqa: F401  (the package's public version)
from .config import DEV_SECRET_KEY, Config, resource_dir

logger = logging.getLogger(__name__)


def create_app(config=None):
    """Build the app from `config` (default: `Config()` from the environment)."""
    config = config or Config()
    app = Flask(__name__, instance_path=config.INSTANCE_PATH,
                template_folder=str(resource_dir("templates")))
    app.config.from_object(config)
    if app.config["CSIRT_ENV"] == "production" and app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
        raise RuntimeError("CSIRT_SECRET_KEY must be set to a long random value in production")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["CSIRT_PROXY_COUNT"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["CSIRT_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_security_headers(app)
    register_playbooks(app)
    return app


def register_extensions(app):
    from . import catalogue, i18n
    from .auth.services import connect_signals, load_session_user
    from .extensions import babel, csrf, db, init_engine_events, login_manager, migrate

    init_engine_events()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    catalogue.install(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_session_user)
    connect_signals()
    login_manager.localize_callback = i18n.gettext_proxy
    login_manager.login_message = catalogue.lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"
    # import models so the metadata knows every table
    from . import scheduler as _scheduler  # noqa: F401  (its lease table)
    from .alerts import models as _alerts  # noqa: F401  (alerts and alert groups)
    from .audit import models as _audit  # noqa: F401
    from .audit.models import AuditLog, guard_append_only
    from .auth import models as _auth  # noqa: F401
    from .checks import models as _checks  # noqa: F401  (check configs, work items, results, heartbeats)
    from .incidents import duty_models as _duties  # noqa: F401  (report facts, reports sent)
    from .incidents import models as _incidents  # noqa: F401
    from .incidents.models import TimelineEntry
    from .notify import models as _notify  # noqa: F401  (the outbox, contact methods, quiet hours)
    from .notify import wake as notify_wake
    from .oncall import escalation_models as _escalations  # noqa: F401  (an incident's escalation)
    from .oncall import models as _oncall  # noqa: F401  (rotations, overrides, calendar feeds)
    from .reports.manager import models as _manager  # noqa: F401  (the dashboard's rollups)
    from .rules import models as _rules  # noqa: F401
    from .systems import models as _systems  # noqa: F401
    from .team import models as _team  # noqa: F401

    guard_append_only(AuditLog, TimelineEntry)
    notify_wake.init_app(app)  # wake the outbox's delivery loop when a transaction that wrote to it commits


def register_blueprints(app):
    from .api.sessions import SessionOutsideApi
    from .api.views import bp as api_bp
    from .auth.views import bp as auth_bp
    from .extensions import csrf
    from .health import bp as health_bp
    from .i18n import bp as i18n_bp
    from .incidents import clock_views as _clock_views  # noqa: F401  (its routes join the incidents blueprint)
    from .incidents.views import bp as incidents_bp
    from .reports.auditlog.views import bp as audit_bp
    from .reports.compliance.views import bp as compliance_bp
    from .reports.dossier.views import bp as dossier_bp
    from .rules.views import bp as rules_bp
    from .systems.views import bp as systems_bp
    from .team.views import bp as team_bp

    for blueprint in (auth_bp, team_bp, incidents_bp, audit_bp, systems_bp, health_bp, i18n_bp):
        app.register_blueprint(blueprint)
    from .incidents import panels as incident_panels

    incident_panels.init_app(app)  # the incidents of each system and server, on their pages
    from .incidents import notices as incident_notices

    incident_notices.init_app(app)  # the outbox asks, before it sends, whether the person may still see it
    app.register_blueprint(rules_bp)
    app.register_blueprint(compliance_bp)
    app.register_blueprint(dossier_bp)  # the level dossier of a system (page and .docx)
    from .reports.national.views import bp as national_bp

    app.register_blueprint(national_bp)  # Forms 03 and 04 of an incident (page, .docx, PDF)
    from .reports.manager.views import bp as manager_bp

    app.register_blueprint(manager_bp)  # the manager dashboard and its CSVs
    from .reports.summary.views import bp as summary_bp

    app.register_blueprint(summary_bp)  # Form 05, the statistics export, the annual report by level
    from .alerts.views import bp as alerts_bp

    app.register_blueprint(alerts_bp)  # alerts, playbooks and the "try an alert" dry run
    from .oncall.views import bp as oncall_bp

    app.register_blueprint(oncall_bp)  # rotations, the calendar, overrides, iCalendar feeds
    from .oncall.ack_views import bp as ack_bp

    app.register_blueprint(ack_bp)  # acknowledge (page, one-click link) and the responder's page
    from .notify.views import bp as notify_bp

    app.register_blueprint(notify_bp)  # my notifications and the outbox
    from .checks import panels as check_panels
    from .checks.views import bp as checks_bp

    app.register_blueprint(checks_bp)  # check configurations, their work items, a server's results
    check_panels.init_app(app)  # the "Controls" panel of the server page
    csrf.exempt(api_bp)  # bearer tokens only; no cookie is accepted there
    app.register_blueprint(api_bp)
    app.session_interface = SessionOutsideApi()  # nor is the cookie session even read there


def register_error_handlers(app):
    from .audit.services import record
    from .errors import register_error_handlers as register

    register(app, record)


def register_template_helpers(app):
    from .checks import display as check_display
    from .incidents import display
    from .oncall import labels as oncall_labels
    from .team import labels
    from .templating import register

    register(app)
    display.register(app)
    check_display.register(app)
    labels.register(app)
    oncall_labels.register(app)


def register_commands(app):
    from .cli import register

    register(app)


def register_playbooks(app):
    """Load the alert playbooks once; an invalid file is logged and left out, the app starts."""
    from .alerts.playbooks import registry

    registry.init_app(app)


# Sent on every answer unless the view set its own.
SECURITY_HEADERS = (
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def register_security_headers(app):
    wanted = [(name.lower(), name, value) for name, value in SECURITY_HEADERS]

    @app.after_request
    def headers(response):
        # One pass over the headers present, instead of a search (and a KeyError) per header.
        present = {name.lower() for name in response.headers.keys()}
        for key, name, value in wanted:
            if key not in present:
                response.headers.add(name, value)
        if response.mimetype == "text/html" and "cache-control" not in present:
            response.headers.add("Cache-Control", "no-store")
        return response
