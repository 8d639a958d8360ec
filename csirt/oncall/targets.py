"""Who a playbook's `notify` or escalation step reaches: its targets turned into people (and, for
`agency_contact`, an address), only those who may see the incident.

Targets are plain data here, as stored with an alert or an escalation: {"kind", "value", "layer"}.
- assignee: the incident's assignee;
- person: that active member;
- role: every active member of that role (a notification is not an assignment: all of them);
- rotation: whoever is on call now on that rotation's layer (the first layer when none is named);
- agency_contact: the e-mail address of the incident's agency, when it has one.
"""
from dataclasses import dataclass, field

from ..extensions import db
from ..incidents import policy
from ..team.models import Agency, User


@dataclass
class Recipients:
    users: list = field(default_factory=list)       # User, each once, in the order found
    addresses: list = field(default_factory=list)   # (channel, address)
    notes: list = field(default_factory=list)       # (code, value): a target that found nobody
    paged: set = field(default_factory=set)         # ids reached as the assignee or the person on call

    def add(self, user):
        if user is not None and user.active and all(u.id != user.id for u in self.users):
            self.users.append(user)
            return True
        return False


def _on_call(key, at, layer):
    from .resolve import on_call

    return on_call(key, at, layer=layer)


def as_data(target):
    """A compiled Target (or its stored form) as the plain dict stored with alerts and escalations:
    {"kind", "value"}, and "layer" when it names one."""
    if not isinstance(target, dict):
        target = {"kind": target.kind, "value": target.value, "layer": getattr(target, "layer", None)}
    out = {"kind": target["kind"], "value": target.get("value")}
    if target.get("layer"):
        out["layer"] = target["layer"]
    return out


def resolve(targets, incident, at):
    """The Recipients of `targets` for `incident` at instant `at`."""
    out = Recipients()
    for target in map(as_data, targets):
        kind, value = target["kind"], target["value"]
        found = []
        if kind == "assignee":
            found = [incident.assignee] if incident.assignee_id else []
        elif kind == "person":
            found = [db.session.execute(db.select(User).where(User.username == value)).scalar_one_or_none()]
        elif kind == "role":
            found = db.session.execute(db.select(User).where(User.role == value, User.active.is_(True))
                                       .order_by(User.id)).scalars().all()
        elif kind == "rotation":
            found = [_on_call(value, at, target.get("layer"))]
        elif kind == "agency_contact":
            email = db.session.execute(db.select(Agency.email).where(Agency.id == incident.agency_id)).scalar()
            if email:
                out.addresses.append(("email", email))
                continue
        added = [u for u in found if u is not None and u.active and policy.can_see(u, incident)]
        if not added:
            out.notes.append((f"{kind}_nobody", value or ""))
        for user in added:
            out.add(user)
            if kind in ("rotation", "assignee"):
                out.paged.add(user.id)
    return out
