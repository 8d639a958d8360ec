"""The HTML form of a check configuration. The service validates every value
(`validation.py`), so the form checks little itself (lengths, CSRF): a refused form names every
bad field at once. One form class; `fill()` keeps only the fields of the configuration's kind."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from ..catalogue import lazy_gettext as _l
from ..extensions import db
from ..forms import at_most
from ..systems import policy as systems_policy
from ..systems.forms import agency_choices
from ..systems.models import Server
from . import validation
from .validation import KIND_FIELDS

LABELS = {
    "name": _l("Name"), "scope": _l("Applies to"), "server_id": _l("Server"), "agency_id": _l("Agency"),
    "level": _l("Security level"), "interval_seconds": _l("Interval (seconds)"),
    "timeout_seconds": _l("Timeout (seconds)"), "enabled": _l("Enabled"),
    "ports": _l("Ports to scan"), "targets": _l("Targets"), "closed_fails": _l("A baseline port found closed fails"),
    "mode": _l("How the agent is checked"), "stale_minutes": _l("Stale after (minutes)"), "port": _l("Port"),
    "max_signature_days": _l("Signatures at most (days old)"), "host": _l("Host"),
    "server_name": _l("Name on the certificate"), "min_days": _l("Fail when fewer days left than"),
    "url": _l("URL"), "expect_status": _l("Expected HTTP status"), "max_latency_ms": _l("Slowest answer (ms)"),
}
HELP = {
    "ports": _l("For example: 1-1024/tcp, 3306/tcp, 161/udp. The server's baseline ports are always scanned too."),
    "targets": _l("Optional: scan these addresses (or networks) instead of the server's own, one per line. "
                  "Each must lie in the networks checks may reach."),
    "interval_seconds": _l("At least 60."),
    "timeout_seconds": _l("Shorter than the interval."),
    "server_name": _l("Optional; by default the host."),
    "url": _l("http:// or https://, on a host in the networks checks may reach."),
}
PARAM_FIELDS = tuple(sorted({f for fields in KIND_FIELDS.values() for f in fields}))


def scope_choices():
    return [("server", str(_l("One server"))), ("group", str(_l("A group of servers")))]


def server_choices(user, keep=None):
    """The servers `user` may see (not archived), and the configuration's own."""
    query = systems_policy.visible_servers(user, db.select(Server.id, Server.hostname)).where(
        db.or_(Server.archived_at.is_(None), Server.id == (keep or 0)))
    return [("", "—")] + [(str(i), h) for i, h in db.session.execute(query.order_by(Server.hostname)).all()]


class ConfigForm(FlaskForm):
    name = StringField(LABELS["name"], validators=[at_most(validation.NAME_LENGTH)])
    scope = SelectField(LABELS["scope"], choices=[], default="server", validate_choice=False)
    server_id = SelectField(LABELS["server_id"], choices=[], validate_choice=False)
    agency_id = SelectField(LABELS["agency_id"], choices=[], validate_choice=False)
    level = SelectField(LABELS["level"], choices=[], validate_choice=False)
    interval_seconds = StringField(LABELS["interval_seconds"], default=str(validation.DEFAULT_INTERVAL),
                                   render_kw={"inputmode": "numeric"})
    timeout_seconds = StringField(LABELS["timeout_seconds"], default=str(validation.DEFAULT_TIMEOUT),
                                  render_kw={"inputmode": "numeric"})
    enabled = BooleanField(LABELS["enabled"], default=True)
    # the kinds' parameters (fill() deletes those of other kinds)
    ports = StringField(LABELS["ports"], validators=[at_most(validation.PORTS_LENGTH)])
    targets = TextAreaField(LABELS["targets"])
    closed_fails = BooleanField(LABELS["closed_fails"])
    mode = SelectField(LABELS["mode"], choices=[], validate_choice=False)
    stale_minutes = StringField(LABELS["stale_minutes"], render_kw={"inputmode": "numeric"})
    port = StringField(LABELS["port"], render_kw={"inputmode": "numeric"})
    max_signature_days = StringField(LABELS["max_signature_days"], render_kw={"inputmode": "numeric"})
    host = StringField(LABELS["host"], validators=[at_most(253)])
    server_name = StringField(LABELS["server_name"], validators=[at_most(253)])
    min_days = StringField(LABELS["min_days"], render_kw={"inputmode": "numeric"})
    url = StringField(LABELS["url"], validators=[at_most(validation.URL_LENGTH)])
    expect_status = StringField(LABELS["expect_status"], render_kw={"inputmode": "numeric"})
    max_latency_ms = StringField(LABELS["max_latency_ms"], render_kw={"inputmode": "numeric"})
    version = HiddenField()

    def fill(self, user, kind, config=None):
        """Choices for `user`, only the fields of `kind`; a new form gets the kind's defaults."""
        self.kind = kind
        self.scope.choices = scope_choices()
        self.server_id.choices = server_choices(user, config.server_id if config else None)
        self.agency_id.choices = [("", str(_l("All agencies")))] + agency_choices(
            user, config.agency_id if config else None)
        self.level.choices = [("", str(_l("All levels")))] + [(str(n), str(n)) for n in validation.LEVELS]
        self.mode.choices = [("heartbeat", str(_l("Its heartbeat is fresh"))),
                             ("port", str(_l("Its listening port answers")))]
        wanted = set(KIND_FIELDS.get(kind, ()))
        for name in PARAM_FIELDS:
            if name not in wanted:
                delattr(self, name)
        return self

    def param_fields(self):
        return [self[name] for name in KIND_FIELDS.get(self.kind, ())]

    def defaults(self):
        """A new form: the kind's default parameters."""
        for name, value in validation.DEFAULTS.get(self.kind, {}).items():
            self[name].data = value if isinstance(value, bool) else str(value)

    def load(self, config):
        """The configuration's stored values (the edit page's GET)."""
        self.name.data = config.name
        self.scope.data = "server" if config.server_id is not None else "group"
        self.server_id.data = str(config.server_id or "")
        self.agency_id.data = str(config.agency_id or "")
        self.level.data = str(config.level or "")
        self.interval_seconds.data = str(config.interval_seconds)
        self.timeout_seconds.data = str(config.timeout_seconds)
        self.enabled.data = config.enabled
        params = config.params or {}
        for name in KIND_FIELDS.get(self.kind, ()):
            value = params.get(name)
            if name == "targets":
                value = "\n".join(value or [])
            elif isinstance(value, bool):
                pass
            else:
                value = "" if value is None else str(value)
            self[name].data = value
        self.version.data = config.version

    def service_data(self):
        data = {k: v for k, v in self.data.items() if k not in ("csrf_token", "version")}
        data["kind"] = self.kind
        return data
