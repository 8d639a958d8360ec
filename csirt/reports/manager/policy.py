"""Who may read the manager dashboard, and which slice of its rollups each reader gets. The
scoping itself stays with the records' own policies: live figures go through
`incidents.policy.visible_incidents`, `alerts.policy.visible` and the systems policy (via the
compliance figures); this module only maps what those policies decide onto the rollups' slices
(every agency, or one agency), and says when no slice fits so that the figure is computed from
the records instead.
"""
from types import SimpleNamespace

from ...alerts import policy as alerts_policy
from ...extensions import db
from ...incidents import policy as incidents_policy
from ...incidents.models import Incident
from ...systems import policy as systems_policy
from ...team.models import Agency

ALL = "all"


def can_read(user):
    """Every active person signed in: each sees the figures of the records they may see (a
    liaison their own agency's)."""
    return user is not None and bool(getattr(user, "is_active", False))


def _agency_ids():
    return db.session.execute(db.select(Agency.id).order_by(Agency.id)).scalars().all()


def incident_slice(user):
    """ALL when the incidents policy lets `user` see every incident (it leaves a query as it is),
    else the tuple of agency ids whose incidents they see (possibly empty)."""
    probe = db.select(Incident.id)
    if not can_read(user):
        return ()
    if incidents_policy.visible_incidents(user, probe) is probe:
        return ALL
    return tuple(i for i in _agency_ids() if incidents_policy.can_see(user, SimpleNamespace(agency_id=i)))


def alert_slice(user):
    """ALL when the alerts policy lets `user` see every alert (agency-less ones included), else
    the tuple of agency ids whose alerts `alerts.policy.can_see` grants."""
    from ...alerts.models import Alert

    probe = db.select(Alert.id)
    if not can_read(user):
        return ()
    if alerts_policy.visible(user, probe) is probe:
        return ALL
    return tuple(i for i in _agency_ids() if alerts_policy.can_see(user, SimpleNamespace(agency_id=i)))


def compliance_slice(user):
    """ALL when the systems policy lets `user` see every system and server; else the one agency
    whose systems and servers `systems.policy.can_see_system` / `can_see_server` grant them (the
    job stores each agency's summary, filtered by owner agency and server agency as the compliance
    dashboard's agency filter does); None otherwise: the summary is then computed for them."""
    if systems_policy.sees_all(user):
        return ALL
    if not can_read(user):
        return None
    found = tuple(i for i in _agency_ids()
                  if systems_policy.can_see_system(user, SimpleNamespace(owner_agency_id=i))
                  and systems_policy.can_see_server(user, SimpleNamespace(agency_id=i)))
    return found if len(found) == 1 else None
