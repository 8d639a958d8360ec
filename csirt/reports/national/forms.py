"""Forms 03 and 04 as data: their sections and fields, where each value comes from, and the two
directions between a form and the stored facts.

A field's value is, in order: the typed column of `IncidentFacts` it names (`column`); else the
answer saved under its key (`IncidentFacts.answers`); else what csirt knows (`facts.known`);
else empty (the form asks it). Saving keeps an answer only where it differs from what csirt
knows, so a known value that later changes (the status, a new evidence file) still shows, unless
someone chose to word it differently.
"""
from dataclasses import dataclass, field

from ...catalogue import gettext as _
from ...catalogue import lazy_gettext as _l
from ...incidents.facts import answered
from ..textsafe import newlines
from . import facts as known_facts

LINE_LIMIT = 300
TEXT_LIMIT = 5000
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Field:
    key: str
    label: object  # a lazy translated string
    kind: str = "line"  # line | text | flag | choice | auto (filled at export, not edited)
    column: str | None = None  # a typed column of IncidentFacts
    choices: object = None  # () -> [(value, label)] for "choice"

    @property
    def limit(self):
        return LINE_LIMIT if self.kind == "line" else TEXT_LIMIT


@dataclass(frozen=True)
class Form:
    number: str  # "03", "04"
    slug: str  # in URLs and file names
    title: object
    title_own: object  # the title of csirt's own layout (2026 regime)
    sections: tuple = field(default_factory=tuple)  # ((heading, (Field, ...)), ...)
    subject_prefix: bool = False  # the e-mail subject starts with [TBSC]

    @property
    def fields(self):
        return [f for _heading, fields in self.sections for f in fields]

    @property
    def editable(self):
        return [f for f in self.fields if f.kind != "auto"]


def _flag_choices():
    return [("", "—"), (YES, _("Yes")), (NO, _("No"))]


def _handled_with_choices():
    return [("", "—")] + known_facts.handled_with_choices()


REPORTER = (
    Field("reporter_name", _l("Reporter's name")),
    Field("reporter_agency", _l("Reporting organisation")),
    Field("reporter_phone", _l("Phone")),
    Field("reporter_email", _l("E-mail")),
)
SYSTEM = (
    Field("system_name", _l("Information system affected")),
    Field("system_level", _l("Security level")),
)

FORM03 = Form(
    number="03", slug="form03",
    title=_l("INITIAL REPORT OF A CYBERSECURITY INCIDENT"),
    title_own=_l("INITIAL REPORT OF A CYBERSECURITY INCIDENT (csirt's own layout)"),
    subject_prefix=True,
    sections=(
        (_l("Recipient"), (Field("recipient", _l("Addressed to")),)),
        (_l("1. The reporter"), REPORTER + (
            Field("contact_name", _l("Contact person")),
            Field("contact_phone", _l("Contact person's phone")),
            Field("contact_email", _l("Contact person's e-mail")),
        )),
        (_l("2. The affected system"), (
            Field("owner_agency", _l("Owner agency")),
            Field("operator", _l("Operator")),
        ) + SYSTEM + (
            Field("domains", _l("Domain names")),
            Field("addresses", _l("IP addresses")),
            Field("hosting", _l("Where it is hosted")),
            Field("purpose", _l("Purpose of the system"), "text"),
            Field("security_provider", _l("Security service provider")),
            Field("connectivity_provider", _l("Connectivity provider (ISP)")),
        )),
        (_l("3. The incident"), (
            Field("incident_name", _l("Incident")),
            Field("description", _l("Description of the incident"), "text"),
            Field("discovered_at", _l("Discovered at (date and time)")),
            Field("handled", _l("Handled or not")),
            Field("detected_by", _l("How it was detected (IDS, logs, notified by, other)")),
            Field("notified", _l("Who has been notified")),
            Field("beyond_capacity", _l("Beyond the operator's capacity to handle"), "flag",
                  column="beyond_capacity"),
            Field("national_security", _l("Affects national security or public order"), "flag",
                  column="national_security"),
        )),
        (_l("4. Technical details"), (
            Field("operating_system", _l("Operating system and version"), "text"),
            Field("services", _l("Services running (web, mail, database, other)"), "text"),
            Field("controls", _l("Controls in place (antivirus, firewall, IDS, other)"), "text"),
        )),
        (_l("5. Other information"), (
            Field("attachments", _l("Attachments (logs, samples)"), "text"),
            Field("confidential", _l("Confidential")),
            Field("support_requested", _l("Support requested"), "text"),
            Field("report_time", _l("Time of this report"), "auto"),
        )),
    ),
)

FORM04 = Form(
    number="04", slug="form04",
    title=_l("CLOSING REPORT OF AN INCIDENT RESPONSE"),
    title_own=_l("CLOSING REPORT OF AN INCIDENT RESPONSE (csirt's own layout)"),
    sections=(
        (_l("Recipient"), (Field("recipient", _l("Addressed to")),)),
        (_l("1. The reporter"), REPORTER),
        (_l("2. The initial report"), (
            Field("initial_reference", _l("Reference of the initial report")),
            Field("initial_date", _l("Date of the initial report")),
        )),
        (_l("3. The system and the incident"), SYSTEM + (
            Field("incident_name", _l("Incident")),
            Field("discovered_at", _l("Discovered at (date and time)")),
        )),
        (_l("4. Outcome of the response"), (
            Field("outcome", _l("Outcome"), "text"),
            Field("actions", _l("Actions taken"), "text"),
            Field("lessons", _l("Lessons learned"), "text"),
            Field("handled_with", _l("How it was handled"), "choice", column="handled_with",
                  choices=_handled_with_choices),
            Field("damage_estimate", _l("Estimated damage"), "text", column="damage_estimate"),
        )),
        (_l("5. Other information"), (
            Field("attachments", _l("Attachments (logs, samples)"), "text"),
            Field("report_time", _l("Time of this report"), "auto"),
        )),
    ),
)

FORMS = {f.slug: f for f in (FORM03, FORM04)}


def normalised(field_, value):
    """`value` as the browser sends it back when shown unchanged: newlines as \n (a textarea
    sends \r\n), none at all in a one-line field (an <input> drops them), stripped. Two values
    that normalise alike are the same answer."""
    value = newlines(value or "")
    if field_.kind != "text":
        value = value.replace("\n", "")
    return value.strip()


def _column_value(field_, row):
    value = getattr(row, field_.column)
    if field_.kind == "flag":
        # False is also what an unanswered question holds: shown empty until someone answers
        return (YES if value else NO) if field_.column in answered(row) else ""
    return value or ""


def values(form, known, row):
    """{field key: text} of `form` for the incident whose facts are `row` and known values `known`."""
    answers = row.answers or {}
    out = {}
    for f in form.fields:
        if f.column:
            out[f.key] = _column_value(f, row)
        elif f.key in answers:
            out[f.key] = answers[f.key]
        else:
            out[f.key] = known.get(f.key, "")
    return out


def shown(field_, value):
    """What the exported document shows for `value` (a flag or a choice as its label)."""
    if field_.kind == "flag":
        return {YES: _("Yes"), NO: _("No")}.get(value, "")
    if field_.kind == "choice":
        return dict(field_.choices()).get(value, "") if value else ""
    return value


def changes(form, submitted, known):
    """The service's changes for the submitted {field key: text} of `form`: typed columns set,
    answers kept where they differ from what csirt knows and dropped (None) where they agree."""
    out, answers = {}, {}
    for f in form.fields:
        if f.key not in submitted or f.kind == "auto":
            continue
        value = newlines(submitted[f.key] or "").strip()
        if f.column and f.kind == "flag":
            if value:
                out[f.column] = value == YES
        elif f.column:
            out[f.column] = value or (None if f.kind == "choice" else "")
        else:
            same = normalised(f, value) == normalised(f, known.get(f.key, ""))
            answers[f.key] = None if same else value
    out["answers"] = answers
    return out


def one_line_keys(form):
    """The keys of `form`'s one-line answers (no control character at all, not even a newline)."""
    return frozenset(f.key for f in form.fields if f.kind == "line" and not f.column)


def email_subject(form, incident):
    return known_facts.subject(incident) if form.subject_prefix else None
