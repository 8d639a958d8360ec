"""CSV export of the filtered incident list, streamed, safe to open in a spreadsheet."""
from types import SimpleNamespace

from flask import Response, stream_with_context

from ..audit.services import record
from ..catalogue import gettext as _
from ..clock import iso_utc
from ..csvfile import chunks
from ..extensions import db
from . import listing
from .vocab import CATEGORIES, SEVERITIES, STATUSES, label


def _header():
    return [_("Reference"), _("Title"), _("Status"), _("Severity"), _("Priority"), _("Category"),
            _("Sub-type"), _("TLP"), _("Affected agency"), _("Assignee"), _("Reporter"),
            _("Discovered at (UTC)"), _("Reported at (UTC)"), _("Closed at (UTC)"), _("Source")]


def _row(i):
    return [i.reference, i.title, label(STATUSES, i.status), label(SEVERITIES, i.severity), i.priority,
            label(CATEGORIES, i.category), i.sub_type, i.tlp, i.agency.name,
            i.assignee.full_name if i.assignee else "", i.reporter.full_name,
            iso_utc(i.discovered_at), iso_utc(i.reported_at), iso_utc(i.closed_at), i.source]


def csv_response(user, lq):
    header = _header()
    # the generator outlives this request's session: keep only what the visibility filter needs
    reader = SimpleNamespace(id=user.id, role=user.role, agency_id=user.agency_id, is_active=user.is_active)
    record(user, "incident.export", object_type="incident", object_id="*", after=lq.active_filters())
    db.session.commit()

    rows = (_row(incident) for incident in listing.iterate(reader, lq))
    return Response(stream_with_context(chunks(header, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=incidents.csv"})
