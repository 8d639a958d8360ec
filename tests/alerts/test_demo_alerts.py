"""The demo province's alert stream (csirt/demo/alerts.py): after `demo load` the alerts are there,
routed by the shipped playbooks through the real intake into incidents those playbooks opened
(with their checklists), some joined, the portal outage closed by its resolution; loading again,
the same day or later, adds nothing."""
from datetime import timedelta

import sqlalchemy as sa

from csirt import clock
from csirt.alerts.models import Alert
from csirt.demo import load
from csirt.incidents.models import Incident


def _count(db, model):
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()


def test_demo_load_routes_a_month_of_alerts_into_playbook_incidents_and_a_second_load_adds_nothing(app, db):
    summary = load()
    alerts = db.session.execute(sa.select(Alert).order_by(Alert.occurred_at, Alert.id)).scalars().all()
    assert summary["created"]["alerts"] == summary["alerts"] == len(alerts) >= 12
    assert {a.source for a in alerts} == {"wazuh", "alertmanager", "check", "manual"}
    now = clock.utcnow()
    assert now - timedelta(days=31) < alerts[0].occurred_at and alerts[-1].occurred_at < now

    for a in alerts:  # every alert went to an incident its playbook opened, with the playbook's steps
        assert a.playbook_id is not None and a.incident_id is not None, (a.id, a.title)
        assert a.incident.playbook_id == a.playbook_id
        assert a.route["playbook"] == a.playbook_id
    outcomes = [a.route["outcome"] for a in alerts]
    assert outcomes.count("joined") >= 3 and outcomes.count("resolved") == 1
    books = {a.playbook_id for a in alerts}
    assert {"web-defacement", "portal-outage", "unauthorized-access", "check-firewall-drift", "check-antivirus",
            "phishing", "triage-catch-all"} <= books

    opened = db.session.execute(sa.select(Incident).where(Incident.id.in_({a.incident_id for a in alerts}))).scalars()
    opened = {i.playbook_id: i for i in opened}
    assert all(i.tasks for i in opened.values())
    assert opened["portal-outage"].status == "closed"  # closed by the Alertmanager resolution
    assert opened["web-defacement"].status != "closed"
    assert summary["incidents"] == _count(db, Incident)

    again = load()
    assert again["created"] == {key: 0 for key in again["created"]}
    assert _count(db, Alert) == len(alerts)
    with clock.moved_to(now + timedelta(days=2)):  # another day: other times, the same fingerprints
        later = load()
    assert later["created"]["alerts"] == 0 and _count(db, Alert) == len(alerts)
