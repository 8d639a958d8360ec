"""End to end with real nmap: a port the test opens on 127.0.8.x outside the server's baseline
fails the firewall check and raises exactly one alert, which opens an incident through the shipped
playbook check-firewall-drift; closing the port recovers with one resolving alert that closes it."""
import shutil
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from csirt import clock
from csirt.alerts.models import Alert
from csirt.checks import runner
from csirt.incidents.models import Incident

from .engine_support import config, items, results, server

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
ADDRESS = "127.0.8.1"

pytestmark = pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap is not installed")


def _listen():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((ADDRESS, 0))
    sock.listen(8)
    return sock


def _alerts(db):
    db.session.expire_all()
    return db.session.execute(db.select(Alert).order_by(Alert.id)).scalars().all()


def test_an_unexpected_open_port_fails_once_alerts_once_and_its_closing_resolves(app, db, make):
    app.config["CSIRT_PLAYBOOKS_DIR"] = str(PLAYBOOKS)
    agency = make.agency(code="SOTTTT")
    make.user("responder", agency_obj=agency)
    make.user("coordinator", agency_obj=agency)
    baseline_sock, rogue = _listen(), _listen()
    try:
        baseline_port, rogue_port = baseline_sock.getsockname()[1], rogue.getsockname()[1]
        target = server(agency, "dc-web-09", [ADDRESS], baseline=f"{baseline_port}/tcp")
        cfg = config("firewall", target, params={"ports": f"{rogue_port}/tcp", "closed_fails": False},
                     interval=300, timeout=30, name="Tường lửa DC")
        now = clock.utcnow()

        report = runner.tick(now=now)
        [stored] = report.stored
        assert stored.result.status == "fail", stored.result.details
        assert stored.result.details["unexpected"] == [f"{rogue_port}/tcp"]
        assert stored.result.command[0] == "nmap" and stored.result.command[-1] == ADDRESS
        [fired] = _alerts(db)
        assert (fired.source, fired.status, fired.host) == ("check", "firing", "dc-web-09")
        assert fired.labels["ports"] == f"{rogue_port}/tcp" and fired.labels["check"] == "firewall"
        incident = db.session.get(Incident, fired.incident_id)
        assert incident.playbook_id == "check-firewall-drift" and incident.agency_id == agency.id
        assert f"{rogue_port}/tcp" in incident.title

        report = runner.tick(now=now + timedelta(seconds=300))  # still failing
        assert report.stored[0].result.status == "fail" and report.alerts == 0
        assert len(_alerts(db)) == 1
        assert db.session.execute(db.select(db.func.count()).select_from(Incident)).scalar() == 1

        rogue.close()
        report = runner.tick(now=now + timedelta(seconds=600))
        assert report.stored[0].result.status == "pass", report.stored[0].result.details
        fired, resolved = _alerts(db)
        assert resolved.status == "resolved" and resolved.fingerprint == fired.fingerprint
        assert resolved.incident_id == incident.id
        db.session.expire_all()
        assert db.session.get(Incident, incident.id).status == "closed"
        [item] = items(cfg)
        assert item.state == "pass" and item.alerting is False
        assert [r.status for r in results(item.id)] == ["fail", "fail", "pass"]
        assert [r.changed for r in results(item.id)] == [True, False, True]
    finally:
        baseline_sock.close()
        rogue.close()
