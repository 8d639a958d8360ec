"""HTML forms of the inventory pages. The services validate every value (`validation.py`), so
these forms check little themselves (lengths, CSRF): a refused form then names every bad field
at once, with the same messages as the CSV import and the API."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField

from ..catalogue import lazy_gettext as _l
from ..extensions import db
from ..forms import at_most as _at_most
from ..team.models import Agency
from . import labels, policy
from .models import LEVELS, InformationSystem, Server
from .validation import CODE_LENGTH, HOSTNAME_LENGTH, SERVER_TEXT, SYSTEM_TEXT

S, V = labels.SYSTEM_FIELDS, labels.SERVER_FIELDS


def _pairs(vocab):
    return [(k, str(v)) for k, v in vocab.items()]


def agency_choices(user, keep=None):
    """Active agencies (and `keep`, the record's own, even if inactive) a record may belong to."""
    query = db.select(Agency.id, Agency.name).where(db.or_(Agency.active, Agency.id == (keep or 0)))
    rows = db.session.execute(query.order_by(Agency.name)).all()
    return [(str(i), n) for i, n in rows]


def server_choices(user, current=()):
    """The servers `user` may link (not archived), and those already linked."""
    keep = [s.id for s in current]
    query = policy.visible_servers(user, db.select(Server.id, Server.hostname)).where(
        db.or_(Server.archived_at.is_(None), Server.id.in_(keep or [0])))
    return [(str(i), h) for i, h in db.session.execute(query.order_by(Server.hostname)).all()]


def system_choices(user, current=()):
    keep = [s.id for s in current]
    query = policy.visible_systems(user, db.select(InformationSystem.id, InformationSystem.code,
                                                   InformationSystem.name)).where(
        db.or_(InformationSystem.archived_at.is_(None), InformationSystem.id.in_(keep or [0])))
    rows = db.session.execute(query.order_by(InformationSystem.code)).all()
    return [(str(i), f"{c} · {n}") for i, c, n in rows]


def host_choices(user, server=None):
    """Physical servers `user` may see, for a virtual server's host."""
    current_host = (server.host_id if server is not None else None) or 0
    query = policy.visible_servers(user, db.select(Server.id, Server.hostname)).where(
        Server.kind == "physical", db.or_(Server.archived_at.is_(None), Server.id == current_host))
    if server is not None:
        query = query.where(Server.id != server.id)
    rows = db.session.execute(query.order_by(Server.hostname)).all()
    choices = [("", str(_l("(none)")))] + [(str(i), h) for i, h in rows]
    if current_host and all(i != str(current_host) for i, _h in choices):
        # a host the person may not see (another agency's): kept, without its name
        choices.append((str(current_host), str(_l("(run by another agency)"))))
    return choices


def _lines(values):
    return "\n".join(values or [])


class _RecordForm(FlaskForm):
    """What the system and server forms share: showing a record's stored values."""

    def load_field(self, name, obj):
        """Put `obj`'s stored value of `name` into the field, as the edit page's GET shows it."""
        if name == "server_ids":
            value = [str(s.id) for s in obj.servers]
        elif name == "system_ids":
            value = [str(s.id) for s in obj.systems]
        elif name in ("domains", "public_addresses", "addresses"):
            value = _lines(getattr(obj, name))
        elif name in ("owner_agency_id", "agency_id", "host_id", "level"):
            value = str(getattr(obj, name) or "")
        else:
            value = getattr(obj, name)
        self[name].data, self[name].raw_data = value, None

    def load(self, obj):
        """Every field from `obj`, and the version the form is based on."""
        for name in self._fields:
            if name not in ("csrf_token", "version"):
                self.load_field(name, obj)
        self.version.data = obj.version

    def service_data(self):
        return {k: v for k, v in self.data.items() if k not in ("csrf_token", "version")}


class SystemForm(_RecordForm):
    code = StringField(S["code"], validators=[_at_most(CODE_LENGTH)])
    name = StringField(S["name"], validators=[_at_most(SYSTEM_TEXT["name"])])
    level = SelectField(S["level"], choices=[], default="3", validate_choice=False)
    owner_agency_id = SelectField(S["owner_agency_id"], choices=[], validate_choice=False)
    operator = StringField(S["operator"], validators=[_at_most(SYSTEM_TEXT["operator"])])
    hosting = StringField(S["hosting"], validators=[_at_most(SYSTEM_TEXT["hosting"])])
    purpose = TextAreaField(S["purpose"], validators=[_at_most(SYSTEM_TEXT["purpose"])])
    description = TextAreaField(S["description"], validators=[_at_most(SYSTEM_TEXT["description"])])
    information_kind = SelectField(S["information_kind"], choices=[], default="internal", validate_choice=False)
    served = SelectField(S["served"], choices=[], default="internal", validate_choice=False)
    classification_notes = TextAreaField(S["classification_notes"],
                                         validators=[_at_most(SYSTEM_TEXT["classification_notes"])])
    level_decision = StringField(S["level_decision"], validators=[_at_most(SYSTEM_TEXT["level_decision"])])
    # text in an <input type=date>: the service parses it, so a bad date is named with the rest
    level_decision_date = StringField(S["level_decision_date"], render_kw={"type": "date"})
    level_approver = StringField(S["level_approver"], validators=[_at_most(SYSTEM_TEXT["level_approver"])])
    domains = TextAreaField(S["domains"])
    public_addresses = TextAreaField(S["public_addresses"])
    server_ids = SelectMultipleField(S["server_ids"], choices=[], validate_choice=False)
    version = HiddenField()

    def fill(self, user, system=None):
        """Choices for `user`; on GET of an edit page, the system's values in the text areas."""
        self.level.choices = [(str(n), labels.level_label(n)) for n in LEVELS]
        self.information_kind.choices = _pairs(labels.INFORMATION_KINDS)
        self.served.choices = _pairs(labels.SERVED)
        self.owner_agency_id.choices = agency_choices(user, system.owner_agency_id if system else None)
        self.server_ids.choices = server_choices(user, system.servers if system else ())
        if not policy.can_choose_agency(user):
            del self.owner_agency_id
        return self



class ServerForm(_RecordForm):
    hostname = StringField(V["hostname"], validators=[_at_most(HOSTNAME_LENGTH)])
    agency_id = SelectField(V["agency_id"], choices=[], validate_choice=False)
    addresses = TextAreaField(V["addresses"])
    kind = SelectField(V["kind"], choices=[], default="virtual", validate_choice=False)
    host_id = SelectField(V["host_id"], choices=[], validate_choice=False)
    operating_system = StringField(V["operating_system"], validators=[_at_most(SERVER_TEXT["operating_system"])])
    role = StringField(V["role"], validators=[_at_most(SERVER_TEXT["role"])])
    data_centre = StringField(V["data_centre"], validators=[_at_most(SERVER_TEXT["data_centre"])])
    rack = StringField(V["rack"], validators=[_at_most(SERVER_TEXT["rack"])])
    baseline_ports = TextAreaField(V["baseline_ports"])
    antivirus_expected = StringField(V["antivirus_expected"], validators=[_at_most(SERVER_TEXT["antivirus_expected"])])
    agent_expected = StringField(V["agent_expected"], validators=[_at_most(SERVER_TEXT["agent_expected"])])
    system_ids = SelectMultipleField(V["system_ids"], choices=[], validate_choice=False)
    version = HiddenField()

    def fill(self, user, server=None):
        self.kind.choices = _pairs(labels.SERVER_KINDS)
        self.agency_id.choices = agency_choices(user, server.agency_id if server else None)
        self.host_id.choices = host_choices(user, server)
        self.system_ids.choices = system_choices(user, server.systems if server else ())
        if not policy.can_choose_agency(user):
            del self.agency_id
        return self

    def service_data(self):
        data = super().service_data()
        if data.get("kind") == "physical":
            data["host_id"] = None  # the host select is ignored for a physical server
        return data
