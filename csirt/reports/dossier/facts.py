"""The dossier's content as plain data: a title and (heading, blocks) sections, which the page
(templates/dossier/system.html) and `render.docx_document` both show. A block is a paragraph
string, a list of (label, value) pairs, or a `render.Table`. Reads only what it is given (the
system, the servers the user may see, the layer summary); labels are translated here."""
from flask_babel import format_date, get_locale

from ...catalogue import gettext as _
from ...systems import labels
from ...systems import layer_labels as ll
from ...systems.summary import agents_label
from ..render import Table

LAST_ASSESSMENTS = 5  # the latest assessments the dossier lists
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}


def day(value):
    """A date in the province's format (the user's locale), or a dash."""
    if value is None:
        return "—"
    return format_date(value, DATE_PATTERNS.get(str(get_locale()), "dd/MM/yyyy"))


def _or_dash(value):
    return value if value not in (None, "", []) else "—"


def _joined(values):
    return ", ".join(values or []) or "—"


def _size(n):
    return _("%(size)s bytes", size=f"{n:,}".replace(",", " "))


def _system(system):
    f = labels.SYSTEM_FIELDS
    return [
        (f["code"], system.code),
        (f["name"], system.name),
        (f["owner_agency_id"], system.owner_agency.name if system.owner_agency else "—"),
        (f["operator"], _or_dash(system.operator)),
        (f["purpose"], _or_dash(system.purpose)),
        (f["description"], _or_dash(system.description)),
        (f["domains"], _joined(system.domains)),
        (f["public_addresses"], _joined(system.public_addresses)),
        (f["hosting"], _or_dash(system.hosting)),
    ] + ([(f["archived_at"], day(system.archived_at.date()))] if system.archived_at else [])


def _level(system):
    f = labels.SYSTEM_FIELDS
    return [
        (f["level"], labels.level_label(system.level)),
        (f["information_kind"], labels.label(labels.INFORMATION_KINDS, system.information_kind)),
        (f["served"], labels.label(labels.SERVED, system.served)),
        (f["classification_notes"], _or_dash(system.classification_notes)),
        (f["level_decision"], _or_dash(system.level_decision)),
        (f["level_decision_date"], day(system.level_decision_date)),
        (f["level_approver"], _or_dash(system.level_approver)),
    ]


def _servers(servers, hidden):
    f = labels.SERVER_FIELDS
    rows = []
    for s in servers:
        location = " / ".join(x for x in (s.data_centre, s.rack) if x) or "—"
        rows.append([s.hostname, labels.label(labels.SERVER_KINDS, s.kind), _joined(s.addresses),
                     _or_dash(s.operating_system), location, _or_dash(s.baseline_ports),
                     _or_dash(s.antivirus_expected), _or_dash(s.agent_expected)])
    blocks = [Table([f["hostname"], f["kind"], f["addresses"], f["operating_system"], _("Location"),
                     f["baseline_ports"], f["antivirus_expected"], f["agent_expected"]], rows)] if rows \
        else [_("No servers linked.")]
    if hidden:
        blocks.append(_("%(num)d more server(s), run by other agencies, are not shown.", num=hidden))
    return blocks


def _flags(row):
    flags = []
    if row.non_independent:
        flags.append(_("not independent"))
    if row.verification_overdue:
        flags.append(_("verification overdue"))
    if row.layer == 2:
        flags.append(_("monitoring agents: %(state)s", state=agents_label(row.agents)))
    return "; ".join(flags) or "—"


def _layers(summary):
    f = ll.LAYER_FIELDS
    rows, files = [], []
    for row in summary.layers:
        c = row.current
        rows.append([row.name, c.provider if c else "—", _or_dash(c.reference) if c else "—",
                     day(c.valid_from) if c else "—", day(c.valid_to) if c else "—", row.status_label,
                     day(c.last_verified) if c else "—", day(c.next_due) if c else "—", _flags(row)])
        for e in (c.evidence if c else []):
            files.append([row.name, e.original_name, _size(e.size), e.sha256])
    blocks = [Table([f["layer"], f["provider"], f["reference"], f["valid_from"], f["valid_to"], _("Status"),
                     f["last_verified"], f["next_due"], _("Flags")], rows),
              _("Evidence files of the records in force:")]
    blocks.append(Table([f["layer"], _("File"), _("Size"), "SHA-256"], files) if files
                  else _("No evidence files."))
    return blocks


def _assessments(summary):
    f, ff = ll.ASSESSMENT_FIELDS, ll.FINDING_FIELDS
    if summary.next_assessment_due:
        due = _("Next assessment due: %(date)s", date=day(summary.next_assessment_due))
        if summary.assessment_overdue:
            due += " (" + _("overdue") + ")"
    else:
        due = _("Next assessment due: unknown (%(why)s)", why=summary.rule_problem or "—")
    shown = summary.assessments[:LAST_ASSESSMENTS]
    if not shown:
        return [due, _("No assessments recorded.")]
    blocks = [due, Table([f["performed_on"], f["assessor"], f["kind"], f["report_reference"], f["summary"]],
                         [[day(a.performed_on), a.assessor, ll.kind_label(a.kind), _or_dash(a.report_reference),
                           _or_dash(a.summary)] for a in shown])]
    findings = [[day(a.performed_on), x.title, ll.severity_label(x.severity), _or_dash(x.remediation_owner),
                 day(x.due_on), day(x.closed_on)] for a in shown for x in a.findings]
    blocks.append(Table([f["performed_on"], ff["title"], ff["severity"], ff["remediation_owner"], ff["due_on"],
                         ff["closed_on"]], findings) if findings else _("No findings."))
    return blocks


def title(system):
    return _("Level dossier: %(code)s · %(name)s", code=system.code, name=system.name)


def sections(system, servers, hidden_servers, summary, made_on, made_by):
    """The dossier's sections for `system` (the caller has checked the user may see it)."""
    return [
        (_("Information system"), [_system(system)]),
        (_("Security level and classification"), [_level(system)]),
        (_("Servers"), _servers(servers, hidden_servers)),
        (_("The four protection layers"), _layers(summary)),
        (_("Last assessments"), _assessments(summary)),
        (_("About this dossier"), [_("Made on %(date)s by %(name)s.", date=day(made_on), name=made_by)]),
    ]
