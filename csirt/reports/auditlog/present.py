"""Audit entries as people read them: names instead of ids, links to the objects, translated
codes, times in the province's zone, long texts shortened.

Everything one page refers to is loaded in a fixed number of queries (one per kind of object,
whatever the number of rows). Values stay plain text: the template escapes them.
"""
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for

from ...auth.models import ApiToken
from ...catalogue import gettext as _
from ...clock import local_to_utc
from ...extensions import db
from ...incidents import vocab
from ...incidents.models import Evidence, Incident, Task, TimelineEntry
from ...systems.models import InformationSystem, Server
from ...team.forms import kind_label
from ...team.labels import role_label
from ...team.models import Agency, User
from ...templating import when
from . import labels

SHORT = 80  # characters shown before "…"; the whole text stays one click away
UNKNOWN_PREFIX = "unknown:"  # what the sign-in code writes for a user name that does not exist

USER_KEYS = {"assignee_id", "owner_id", "done_by_id", "user_id", "reporter_id", "assignee"}
AGENCY_KEYS = {"agency_id", "agency"}
VOCABS = {"status": vocab.STATUSES, "severity": vocab.SEVERITIES, "category": vocab.CATEGORIES,
          "priority": vocab.PRIORITIES, "sub_type": vocab.SUB_TYPES, "tlp": vocab.TLPS,
          "reject_reason": vocab.REJECT_REASONS}


@dataclass
class Shown:
    """One thing to display: text, an optional link, the whole text when shortened, a detail in
    small print, and whether it is a stand-in ("—", "unknown user name") rather than a value."""
    text: str
    url: str | None = None
    full: str | None = None
    detail: str | None = None
    muted: bool = False
    code: bool = False


@dataclass
class Change:
    label: str
    before: Shown | None  # None on a creation: only the value set is shown
    after: Shown | None


@dataclass
class Row:
    id: int
    at: datetime
    ip: str | None
    actor: Shown
    channel: tuple
    action: str
    action_code: str
    object_kind: str
    object: Shown
    changes: list = field(default_factory=list)


def _as_id(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value) or None
    return None


def _text(text, **kw):
    text = str(text)
    if len(text) > SHORT:
        return Shown(text[:SHORT].rstrip() + "…", full=text, **kw)
    return Shown(text, **kw)


def _empty():
    return Shown("—", muted=True)


class _Lookup:
    """The objects a page of entries refers to, loaded by kind in one query each."""

    QUERIES = {
        "entry": (TimelineEntry.id, TimelineEntry.incident_id, TimelineEntry.body),
        "evidence": (Evidence.id, Evidence.incident_id, Evidence.original_name),
        "task": (Task.id, Task.incident_id, Task.title),
        "token": (ApiToken.id, ApiToken.name, ApiToken.user_id),
        "incident": (Incident.id, Incident.reference, Incident.title),
        "agency": (Agency.id, Agency.name),
        "system": (InformationSystem.id, InformationSystem.name),
        "server": (Server.id, Server.hostname),
    }

    def __init__(self):
        self.ids = defaultdict(set)
        self.usernames = set()
        self.found = defaultdict(dict)
        self.by_username = {}

    def want(self, kind, value):
        ident = _as_id(value)
        if ident is not None:
            self.ids[kind].add(ident)

    def get(self, kind, value):
        ident = _as_id(value)
        return self.found[kind].get(ident) if ident is not None else None

    def _load(self, kind):
        ids = self.ids.get(kind)
        if not ids:
            return
        columns = self.QUERIES[kind]
        for row in db.session.execute(db.select(*columns).where(columns[0].in_(ids))):
            self.found[kind][row[0]] = row

    def load(self):
        # Entries, evidence, tasks and tokens point at incidents and users: load them first.
        for kind in ("entry", "evidence", "task", "token"):
            self._load(kind)
        for kind in ("entry", "evidence", "task"):
            for row in self.found[kind].values():
                self.ids["incident"].add(row.incident_id)
        for row in self.found["token"].values():
            self.ids["user"].add(row.user_id)
        for kind in ("incident", "agency", "system", "server"):
            self._load(kind)
        ids, names = self.ids.get("user"), self.usernames
        if ids or names:
            where = db.or_(User.id.in_(ids or ()), User.username.in_(names or ()))
            for row in db.session.execute(db.select(User.id, User.username, User.full_name).where(where)):
                self.found["user"][row.id] = row
                self.by_username[row.username] = row


# --- what each entry refers to ------------------------------------------------------------

OBJECT_KINDS = {"incident": "incident", "evidence": "evidence", "incident_task": "task", "api_token": "token",
                "user_account": "user", "agency": "agency", "information_system": "system", "server": "server"}


def _wanted(entry, lookup):
    kind = OBJECT_KINDS.get(entry.object_type)
    if kind:
        lookup.want(kind, entry.object_id)
    if entry.object_type == "user" and entry.object_id and not entry.object_id.startswith(UNKNOWN_PREFIX):
        lookup.usernames.add(entry.object_id)
    lookup.want("user", entry.actor_id)
    for values in (entry.before, entry.after):
        for key, value in (values or {}).items() if isinstance(values, dict) else ():
            if key in USER_KEYS:
                lookup.want("user", value)
            elif key in AGENCY_KEYS:
                lookup.want("agency", value)
            elif key == "incident_id":
                lookup.want("incident", value)
            elif key == "timeline_entry":
                lookup.want("entry", value)


def _incident_url(incident_id, anchor=None):
    return url_for("incidents.view", incident_id=incident_id, _anchor=anchor)


def _user(row, with_username=True):
    """A member by full name, linked to their page; the user name in small print where the
    entry is about the account itself (who acted, whose account changed)."""
    return Shown(row.full_name, url=url_for("team.member", user_id=row.id),
                 detail=row.username if with_username else None)


def _incident(row):
    return Shown(row.reference, url=_incident_url(row.id), detail=_text(row.title).text)


def _missing(value):
    return Shown(f"#{value}", muted=True)


def _object(entry, lookup):
    kind, value = entry.object_type, entry.object_id
    if not kind:
        return _empty()
    if kind == "incident" and value == "*":
        return Shown(_("Incident list"))
    if kind == "user":
        if not value or value.startswith(UNKNOWN_PREFIX):
            return Shown(_("Unknown user name"), detail=value, muted=True)
        row = lookup.by_username.get(value)
        return _user(row) if row else _text(value)
    if kind == "route":
        return _text(value, code=True)
    row = lookup.get(OBJECT_KINDS.get(kind, ""), value)
    if row is None:
        return _missing(value) if value else _empty()
    if kind == "incident":
        return _incident(row)
    if kind in ("evidence", "incident_task"):
        incident = lookup.get("incident", row.incident_id)
        shown = _text(row[2], url=_incident_url(row.incident_id, "evidence" if kind == "evidence" else "tasks"))
        shown.detail = incident.reference if incident else None
        return shown
    if kind == "user_account":
        return _user(row)
    if kind == "agency":
        return Shown(row.name, url=url_for("team.agency", agency_id=row.id))
    if kind == "api_token":
        return Shown(row.name, detail=f"#{row.id}")
    return _text(row[1])


def _actor(entry, lookup):
    row = lookup.get("user", entry.actor_id)
    name = entry.actor_name or ""
    if name.startswith(UNKNOWN_PREFIX):
        return Shown(_("Unknown user name"), detail=name, muted=True)
    if row is not None:
        return _user(row)
    if name == "console":
        return Shown(_("Console"), muted=True)
    if name:
        return _text(name)
    return Shown(_("System"), muted=True)


# --- values -------------------------------------------------------------------------------

def _datetime(value):
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None:  # stored values are naive UTC; be lenient with others
        moment = local_to_utc(moment)
    return Shown(when(moment))


def _value(object_type, key, value, lookup):
    """One before/after value as text: names for ids, labels for codes, local time for times."""
    if value is None or value == "":
        return _empty()
    if key in USER_KEYS:
        if value == "me":
            return Shown(_("the person exporting"))
        if value == "none":
            return Shown(_("Nobody"))
        row = lookup.get("user", value)
        return _user(row, with_username=False) if row else _missing(value)
    if key in AGENCY_KEYS:
        row = lookup.get("agency", value)
        return Shown(row.name, url=url_for("team.agency", agency_id=row.id)) if row else _missing(value)
    if key == "incident_id":
        row = lookup.get("incident", value)
        return _incident(row) if row else _missing(value)
    if key == "timeline_entry":
        row = lookup.get("entry", value)
        return _text(row.body, url=_incident_url(row.incident_id, "timeline")) if row else _missing(value)
    if isinstance(value, bool):
        return Shown(_("Yes") if value else _("No"))
    if isinstance(value, str):
        if key in VOCABS:
            return _text(vocab.label(VOCABS[key], value))
        if key == "role":
            return _text(role_label(value))
        if key == "record":
            return _text(labels.record_kind_label(value))
        if key == "kind" and object_type == "agency":
            return _text(kind_label(value))
        if key.endswith("_at"):
            shown = _datetime(value)
            if shown is not None:
                return shown
        return _text(value)
    if isinstance(value, (dict, list)):
        return _text(json.dumps(value, ensure_ascii=False))
    return _text(value)


def _changes(entry, lookup):
    before = entry.before if isinstance(entry.before, dict) else None
    after = entry.after if isinstance(entry.after, dict) else None
    if before is None and after is None:
        return []
    keys = list(after or ())
    keys += [k for k in (before or ()) if k not in keys]
    out = []
    for key in keys:
        label = labels.field_label(entry.object_type, key)
        if before is None:  # a creation (or a one-sided record): the values set, empty ones left out
            if after.get(key) in (None, ""):
                continue
            out.append(Change(label, None, _value(entry.object_type, key, after[key], lookup)))
        elif after is None:
            out.append(Change(label, _value(entry.object_type, key, before.get(key), lookup), _empty()))
        else:
            out.append(Change(label, _value(entry.object_type, key, before.get(key), lookup),
                              _value(entry.object_type, key, after.get(key), lookup)))
    return out


def present(entries):
    """The rows of the audit page for `entries` (AuditLog rows), in the same order."""
    lookup = _Lookup()
    for entry in entries:
        _wanted(entry, lookup)
    lookup.load()
    return [Row(id=entry.id, at=entry.at, ip=entry.ip, actor=_actor(entry, lookup),
                channel=labels.channel_badge(entry.channel, entry.via),
                action=labels.action_label(entry.action), action_code=entry.action,
                object_kind=labels.object_type_label(entry.object_type) if entry.object_type else "",
                object=_object(entry, lookup), changes=_changes(entry, lookup))
            for entry in entries]
