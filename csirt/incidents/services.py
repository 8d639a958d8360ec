"""Incident rules: open, edit, assign, move through the lifecycle, add notes.

Each public function takes the acting user, checks the policy, changes the records, writes the
timeline and the audit log, and commits once. Tasks and evidence live in their own modules.
"""
import logging

from flask import current_app
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..audit.services import diff, record, snapshot
from ..catalogue import gettext as _
from ..clock import utc_to_local, utcnow
from ..errors import Conflict, ValidationError, invalid
from ..extensions import db, on_postgres
from ..ids import as_id
from ..team.models import Agency, User
from . import clocks, lifecycle, links, notices, opening, policy
from .models import Incident, TimelineEntry
from .references import next_reference
from .validation import clean_incident
from .vocab import REJECT_REASONS

logger = logging.getLogger(__name__)

AUDITED = ("title", "description", "category", "sub_type", "severity", "priority", "tlp", "status",
           "agency_id", "affected_systems", "affected_servers", "discovered_at", "assignee_id",
           "resolution", "reject_reason")
NOTE_LIMIT = 20000


def _audited(incident, change=None):
    """The audited fields of `incident`, with the ids of its linked systems and servers when `change`
    touches them (the edit conflict page reads these entries: see conflicts.py)."""
    values = snapshot(incident, AUDITED)
    for kind in links.KINDS:
        if change is not None and getattr(change, kind.relation) is not None:
            values[kind.ids_key] = links.ids_of(getattr(incident, kind.relation))
    return values


def _commit():
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(_("Someone else changed this incident; reload it and try again.")) from None


def _check_version(incident, expected_version):
    if expected_version is None:
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError(_("The form is missing its version; reload and try again.")) from None
    if expected != incident.version:
        raise Conflict(_("Someone else changed this incident; reload it and try again."))


def append_timeline(incident, actor, kind, body="", data=None):
    """Add an entry to the incident's timeline in the current transaction (the caller commits)."""
    entry = TimelineEntry(incident=incident, author_id=getattr(actor, "id", None), kind=kind,
                          body=body, data=data, at=utcnow())
    db.session.add(entry)
    return entry


def touch(incident):
    """Mark the incident as updated now without editing its fields. Notes, tasks and evidence
    use this instead of an ORM change: it does not bump the optimistic version, so they never
    lose to (or break) a concurrent edit of the incident."""
    now = utcnow()
    table = Incident.__table__
    db.session.execute(table.update().where(table.c.id == incident.id).values(updated_at=now))
    set_committed_value(incident, "updated_at", now)


def _assignment_data(old_id, new_id):
    """What an assignment entry records: who had it and who has it now (names kept as they
    were then)."""

    def name(user_id):
        user = db.session.get(User, user_id) if user_id else None
        return user.full_name if user else None

    return {"from": old_id, "to": new_id, "from_name": name(old_id), "to_name": name(new_id)}


def _assignment(incident, actor, old_id, new_id):
    append_timeline(incident, actor, "assignment", data=_assignment_data(old_id, new_id))


# Built once: every new incident runs them. Plain Core inserts: the unit of work's bookkeeping
# (or the ORM's bulk path) cost more than the statements themselves.
_INCIDENTS = Incident.__table__
_INSERT_INCIDENT = _INCIDENTS.insert().returning(_INCIDENTS.c.id)
_INSERT_TIMELINE = TimelineEntry.__table__.insert()


def _column_defaults(table):
    """{column: value} a new row gets for the columns an INSERT leaves out: the scalar defaults,
    else NULL. Columns with a computed default (a clock) are given by the caller; one it left out
    would still be right, only read back (one SELECT) when first used."""
    return {c.key: c.default.arg if c.default is not None else None for c in table.c
            if not c.primary_key and not (c.default is not None and callable(c.default.arg))}


_NEW_INCIDENT = _column_defaults(_INCIDENTS)


def _insert_incident(row, related):
    """INSERT the incident's `row` and return it as a persistent object (`_loaded`)."""
    row = {**_NEW_INCIDENT, **row}
    row["id"] = db.session.execute(_INSERT_INCIDENT, row).scalar_one()
    return _loaded(row, related)


def _loaded(row, related):
    """The incident of the `row` just inserted as a persistent object, as if read back: every
    column set (what the INSERT wrote), `related` objects attached, nothing left to load."""
    incident = Incident(**row)
    make_transient_to_detached(incident)  # its values become the loaded state of row `id`
    db.session.add(incident)
    for key, value in related.items():  # attached as loaded, as a joined load would
        set_committed_value(incident, key, value)
    return incident


def _insert_first_rows(actor, row, related, assignment, now):
    """The reference, the incident and its first timeline entries: one statement on PostgreSQL
    (`opening.py`), three on SQLite. The incident, as loaded."""
    prefix, year = current_app.config["CSIRT_REF_PREFIX"], utc_to_local(now).year
    if on_postgres():
        row = {**_NEW_INCIDENT, **row}
        row["id"], row["reference"] = opening.insert(db.session, prefix, year, row, actor.id, now, assignment)
        return _loaded(row, related)
    reference = next_reference(prefix, year)
    incident = _insert_incident({**row, "reference": reference}, related)
    entries = [{"incident_id": incident.id, "author_id": actor.id, "kind": "created", "body": "",
                "data": {"reference": reference}, "at": now}]
    if assignment:
        entries.append({**entries[0], "kind": "assignment", "data": assignment})
    db.session.execute(_INSERT_TIMELINE, entries)
    return incident


def open_incident(actor, data, source="manual"):
    """Create an incident from `data` (validated here), with its first timeline entry.

    Every read comes first; the reference number is taken last, just before the inserts and
    the commit, because the counter's row stays locked until the commit and every other
    creation waits for it. The rows are written by one INSERT each, without the unit of work:
    the incident (the object returned is as if read back), its timeline entries, the audit entry."""
    policy.require(policy.can_create(actor), _("You may not log incidents."))
    # The agency and assignee the data names, loaded once and held here: the session forgets
    # objects nobody holds, and the validation, the timeline and the answer each need them.
    named = [db.session.get(model, ident) for model, key in ((Agency, "agency_id"), (User, "assignee_id"))
             if (ident := as_id(data.get(key)))]
    values = clean_incident(data)
    change = links.resolve(actor, values)
    if not policy.can_choose_agency(actor) or not values.get("agency_id"):
        values["agency_id"] = actor.agency_id
    if not policy.can_work_any(actor):
        values.pop("assignee_id", None)
    related = {"agency": db.session.get(Agency, values["agency_id"]), "reporter": actor,
               "assignee": db.session.get(User, values["assignee_id"]) if values.get("assignee_id") else None,
               "systems": change.systems or [], "servers": change.servers or []}
    assignment = _assignment_data(None, values["assignee_id"]) if values.get("assignee_id") else None
    username = actor.username  # for the log line: read now, not reloaded after the commit
    now = utcnow()
    incident = _insert_first_rows(actor, dict(status="new", source=source, reporter_id=actor.id, reported_at=now,
                                              created_at=now, updated_at=now, **values),
                                  related, assignment, now)
    reference = incident.reference
    del named  # the incident holds them now
    links.insert_links(incident.id, change)
    clocks.start_new(incident, change.systems or [])
    record(actor, "incident.create", incident, after=_audited(incident, change if change else None))
    _commit()
    logger.info("incident %s opened by %s", reference, username)
    return incident


def update_incident(actor, incident, data, expected_version=None):
    """Edit the editable fields; refuses a stale version."""
    policy.require(policy.can_work(actor, incident), _("You may not edit this incident."))
    _check_version(incident, expected_version)
    values = clean_incident(data, partial=True)
    if "agency_id" in values and not values["agency_id"]:
        values.pop("agency_id")
    change = links.resolve(actor, values, incident)
    before = _audited(incident, change)
    old_assignee = incident.assignee_id
    for key, value in values.items():
        setattr(incident, key, value)
    for kind in links.KINDS:
        records = getattr(change, kind.relation)
        if records is not None and links.ids_of(records) != before[kind.ids_key]:
            setattr(incident, kind.relation, records)
    after = _audited(incident, change)
    changed_before, changed_after = diff(before, after)
    if not changed_after:
        return incident
    incident.updated_at = utcnow()
    flag_modified(incident, "updated_at")  # a change of links alone must raise the version too
    if incident.assignee_id != old_assignee:
        _assignment(incident, actor, old_assignee, incident.assignee_id)
        notices.assigned(actor, incident, db.session.get(User, incident.assignee_id) if incident.assignee_id else None)
    other = sorted(k for k in changed_after if k != "assignee_id")
    if other:
        append_timeline(incident, actor, "edit", data={"fields": other})
    clocks.sync(incident)
    record(actor, "incident.update", incident, before=changed_before, after=changed_after)
    _commit()
    # A changed foreign key does not refresh its loaded relationship; when the session keeps
    # values after the commit (the API), the next read must load the new agency or assignee.
    stale = [rel for rel, key in (("agency", "agency_id"), ("assignee", "assignee_id")) if key in changed_after]
    if stale:
        db.session.expire(incident, stale)
    return incident


def assign_incident(actor, incident, assignee_id, expected_version=None):
    return update_incident(actor, incident, {"assignee_id": assignee_id}, expected_version)


def change_status(actor, incident, target, note="", reason=None, expected_version=None):
    """Move the incident to `target` if the lifecycle allows it; rejecting needs a reason,
    closing needs a summary of outcome and lessons."""
    policy.require(policy.can_work(actor, incident), _("You may not change the status of this incident."))
    _check_version(incident, expected_version)
    current = incident.status
    if not lifecycle.is_allowed(current, target):
        raise ValidationError(_("An incident cannot go from this status to that one."),
                              errors={"status": _("Not allowed from the current status.")})
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise ValidationError(_("The note is too long."), errors={"note": _("Too long.")})
    if "\x00" in note:  # PostgreSQL cannot store NUL in text
        raise invalid({"note": _("Contains a character that is not allowed.")})
    if target == "rejected" and reason not in REJECT_REASONS:
        raise ValidationError(_("Say why the incident is rejected."),
                              errors={"reason": _("Choose a reason.")})
    if target == "closed" and not note:
        raise ValidationError(_("Closing needs a summary of the outcome and lessons learned."),
                              errors={"note": _("This field is required.")})
    if target == "closed":
        _require_steps_done(incident)
    before = snapshot(incident, AUDITED)
    now = utcnow()
    incident.status = target
    incident.updated_at = now
    if target in lifecycle.FINAL_STATUSES:
        incident.closed_at = now
        incident.resolution = note
        incident.reject_reason = reason if target == "rejected" else None
    elif lifecycle.is_reopen(current, target):
        # the old outcome is no longer current; it stays in the timeline entry of the close
        incident.closed_at = None
        incident.resolution = ""
        incident.reject_reason = None
    append_timeline(incident, actor, "status", body=note,
              data={"from": current, "to": target, "reason": reason if target == "rejected" else None})
    notices.status_changed(actor, incident, current, target)
    changed_before, changed_after = diff(before, snapshot(incident, AUDITED))
    action = "incident.reopen" if lifecycle.is_reopen(current, target) else "incident.status"
    record(actor, action, incident, before=changed_before, after=changed_after)
    clocks.sync(incident)
    _commit()
    return incident


def _require_steps_done(incident):
    """An incident closes only when the required steps of its playbook are done (rejecting it
    as a duplicate or false positive needs no steps)."""
    waiting = [t.title for t in incident.tasks if t.required and t.done_at is None]
    if waiting:
        raise ValidationError(
            _("Required steps are still open: %(steps)s.", steps="; ".join(waiting)),
            errors={"status": _("Finish the required steps first.")})


def add_note(actor, incident, body, kind="note"):
    """Append a Markdown note (or an 'action taken') to the timeline."""
    policy.require(policy.can_contribute(actor, incident), _("You may not add notes to this incident."))
    if kind not in ("note", "action"):
        raise ValidationError(_("Unknown kind of entry."), errors={"kind": _("Choose note or action.")})
    body = (body or "").strip() if isinstance(body, str) else None
    if not body:
        raise ValidationError(_("The note is empty."), errors={"body": _("This field is required.")})
    if len(body) > NOTE_LIMIT:
        raise ValidationError(_("The note is too long."),
                              errors={"body": _("At most %(n)d characters.", n=NOTE_LIMIT)})
    if "\x00" in body:  # PostgreSQL cannot store NUL in text
        raise invalid({"body": _("Contains a character that is not allowed.")})
    # The incident's row first: parallel notes queue on its lock, so each entry's time is read
    # and its id drawn after the previous note committed (ids and times in the same order).
    touch(incident)
    entry = append_timeline(incident, actor, kind, body=body)
    db.session.flush()
    record(actor, f"incident.{kind}", incident, after={"timeline_entry": entry.id})
    db.session.commit()
    return entry
