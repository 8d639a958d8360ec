"""HTML forms of the incident pages. Values are validated again by the services."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from ..catalogue import lazy_gettext as _l
from ..extensions import db
from ..forms import BAD_DATE, CHOICE, REQUIRED
from ..forms import at_most as _at_most
from ..rules.keys import label as rule_label
from ..systems.models import InformationSystem, Server
from ..systems.policy import visible_servers, visible_systems
from ..team.models import Agency, User
from .policy import WORKERS, task_owners
from .sent_reports import duty_choices
from .vocab import CATEGORIES, PRIORITIES, REJECT_REASONS, REPORT_CHANNELS, REPORT_KINDS, SEVERITIES, SUB_TYPES, TLPS

DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]

def _pairs(vocab):
    return [(k, str(v)) for k, v in vocab.items()]


def agency_choices():
    rows = db.session.execute(db.select(Agency.id, Agency.name).where(Agency.active)
                              .order_by(Agency.name)).all()
    return [(str(i), n) for i, n in rows]


def worker_choices(blank=True):
    rows = db.session.execute(
        db.select(User.id, User.full_name).where(User.active, User.role.in_(WORKERS))
        .order_by(User.full_name)).all()
    return ([("", str(_l("(nobody)")))] if blank else []) + [(str(i), n) for i, n in rows]


def system_choices(user, linked=()):
    """The systems `user` may link: those they see, not archived, plus those already linked."""
    linked_ids = [s.id for s in linked]
    query = visible_systems(user, db.select(InformationSystem.id, InformationSystem.code, InformationSystem.name))
    query = query.where(db.or_(InformationSystem.archived_at.is_(None), InformationSystem.id.in_(linked_ids)))
    rows = db.session.execute(query.order_by(InformationSystem.code)).all()
    return [(str(i), f"{code} — {name}") for i, code, name in rows]


def server_choices(user, linked=()):
    """The servers `user` may link: those they see, not archived, plus those already linked."""
    linked_ids = [s.id for s in linked]
    query = visible_servers(user, db.select(Server.id, Server.hostname))
    query = query.where(db.or_(Server.archived_at.is_(None), Server.id.in_(linked_ids)))
    rows = db.session.execute(query.order_by(Server.hostname)).all()
    return [(str(i), hostname) for i, hostname in rows]


def task_owner_choices(incident):
    """Those who may own a task of `incident` (`policy.can_own_task`), for the owner select."""
    rows = db.session.execute(task_owners(incident, db.select(User.id, User.full_name))
                              .order_by(User.full_name)).all()
    return [("", str(_l("(nobody)")))] + [(str(i), n) for i, n in rows]


class IncidentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), _at_most(300)])
    description = TextAreaField(_l("Description"), validators=[_at_most(20000)])
    category = SelectField(_l("Category"), choices=[], invalid_choice_message=CHOICE)
    sub_type = SelectField(_l("Sub-type"), choices=[], validate_choice=False)
    severity = SelectField(_l("Severity"), choices=[], invalid_choice_message=CHOICE)
    priority = SelectField(_l("Priority"), choices=[], default="P3", invalid_choice_message=CHOICE)
    tlp = SelectField(_l("TLP"), choices=[], default="AMBER", invalid_choice_message=CHOICE)
    agency_id = SelectField(_l("Affected agency"), choices=[], validate_choice=False)
    # The services check each id again (exists, visible to the user, not archived when new).
    system_ids = SelectMultipleField(_l("Affected information systems"), choices=[], validate_choice=False)
    server_ids = SelectMultipleField(_l("Affected servers"), choices=[], validate_choice=False)
    affected_systems = StringField(_l("Other systems (not in the inventory)"), validators=[_at_most(2000)])
    affected_servers = StringField(_l("Other servers (not in the inventory)"), validators=[_at_most(2000)])
    # InputRequired, not DataRequired: a date that does not parse keeps its own message
    discovered_at = DateTimeLocalField(_l("Discovered at"), format=DT_FORMATS, invalid_value_message=BAD_DATE,
                                       validators=[InputRequired(REQUIRED)])
    assignee_id = SelectField(_l("Assignee"), choices=[], validate_choice=False)
    version = HiddenField()

    def fill_choices(self, can_choose_agency, can_assign, user=None, incident=None):
        self.category.choices = _pairs(CATEGORIES)
        self.sub_type.choices = _pairs(SUB_TYPES)
        self.severity.choices = _pairs(SEVERITIES)
        self.priority.choices = _pairs(PRIORITIES)
        self.tlp.choices = _pairs(TLPS)
        self.agency_id.choices = agency_choices()
        self.assignee_id.choices = worker_choices()
        self.system_ids.choices = system_choices(user, incident.systems if incident else ())
        self.server_ids.choices = server_choices(user, incident.servers if incident else ())
        if not can_choose_agency:
            del self.agency_id
        if not can_assign:
            del self.assignee_id
        return self

    def service_data(self):
        data = {k: v for k, v in self.data.items() if k not in ("csrf_token", "version")}
        return data


class StatusForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    reason = SelectField(_l("Reason"), choices=[("", "")] + _pairs(REJECT_REASONS), validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[_at_most(20000)])
    version = HiddenField()


class AssignForm(FlaskForm):
    """Quick assignment from the incident page ("assign to me", "assign to…")."""
    assignee_id = SelectField(_l("Assign to"), choices=[], validate_choice=False)
    version = HiddenField()


class NoteForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("note", _l("Note")), ("action", _l("Action taken"))],
                       invalid_choice_message=CHOICE)
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(REQUIRED), _at_most(20000)])


class TaskForm(FlaskForm):
    title = StringField(_l("Task"), validators=[DataRequired(REQUIRED), _at_most(300)])
    owner_id = SelectField(_l("Owner"), choices=[], validate_choice=False)
    due_at = DateTimeLocalField(_l("Due"), format=DT_FORMATS, invalid_value_message=BAD_DATE,
                                validators=[Optional()])


class EvidenceForm(FlaskForm):
    file = FileField(_l("File"))
    description = StringField(_l("Description"), validators=[_at_most(500)])


class SentReportForm(FlaskForm):
    """A report sent to an authority (csirt/incidents/sent_reports.py)."""
    duty = SelectField(_l("Duty it meets"), choices=[], validate_choice=False)
    kind = SelectField(_l("Kind"), choices=_pairs(REPORT_KINDS), invalid_choice_message=CHOICE)
    sent_at = DateTimeLocalField(_l("Sent at"), format=DT_FORMATS, invalid_value_message=BAD_DATE,
                                 validators=[InputRequired(REQUIRED)])
    channel = SelectField(_l("Channel"), choices=_pairs(REPORT_CHANNELS), invalid_choice_message=CHOICE)
    recipient = StringField(_l("Recipient"), validators=[DataRequired(REQUIRED), _at_most(200)])
    reference = StringField(_l("Reference (dispatch number)"), validators=[_at_most(100)])
    note = TextAreaField(_l("Note"), validators=[_at_most(5000)])
    file = FileField(_l("File sent"))


def sent_report_form(incident, form=None):
    """The form of a report sent, its duties those the incident has a clock for."""
    form = form or SentReportForm(formdata=None, prefix="report")
    form.duty.choices = [("", str(_l("(none: an update or another report)")))] + [
        (key, str(rule_label(key))) for key in duty_choices(incident)]
    return form
