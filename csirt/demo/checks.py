"""The demo province's scheduled checks, so `CSIRT_DEMO=1 make run` (scheduler in-process) checks
the 15 shared servers out of the box and the compliance dashboard shows coverage.

- firewall: one configuration per server, scanning its loopback stand-in 127.0.10.N (server N
  of `data.SERVERS`; the real addresses of a province's servers cannot be scanned from here, and
  the allowed networks default to loopback) for a few common ports besides its baseline;
- agent and antivirus: one group configuration each over the data centre's servers, judged on
  the heartbeats;
- portal: the desk's own health URL (`CSIRT_BASE_URL` + /healthz) as dc-web-01's portal; left out
  when that address lies outside the networks checks may reach;
- demo heartbeats: recent for most servers, a few with old antivirus signatures, one server
  silent for days and one that never reported, so the dashboard shows a realistic mix. Each load
  refreshes the demo heartbeats' times (those not sent by a real token), so a desk restarted with
  `make run` the next day still shows the same mix. The agent threshold is generous (12 hours)
  for the same reason.

Configurations go through the real service (validation, audit, work items) as the demo
coordinator; one whose name exists is skipped, so loading twice creates nothing twice.
"""
import logging
from datetime import timedelta

from flask import current_app

from ..checks import services as check_services
from ..checks.models import CheckConfig, ServerHeartbeat
from ..clock import utcnow
from ..errors import ValidationError
from ..extensions import db
from ..systems.models import Server
from . import data

logger = logging.getLogger(__name__)

FIREWALL_PORTS = "21-23/tcp, 25/tcp, 80/tcp, 443/tcp, 445/tcp, 1433/tcp, 3306/tcp, 3389/tcp, 5432/tcp, 8080/tcp"
HEALTH_PATH = "/healthz"  # csirt/health.py
PORTAL_SERVER = "dc-web-01"
# hostname -> (minutes since the last heartbeat or None: never reported, signature age in days)
SILENT = {"dc-bak-01": None, "dc-igate-02": 3 * 24 * 60}
OLD_SIGNATURES = {"dc-app-02": 12, "dc-web-02": 21}
AGENT_VERSION = "4.7.2"


def stand_in(number):
    """The loopback address standing for demo server `number` (1-based)."""
    return f"127.0.10.{number}"


def _specs(agency_id):
    """(name, data for check_services.create_config) of every demo configuration."""
    specs = []
    for number, (hostname, *_rest) in enumerate(data.SERVERS, start=1):
        server_id = db.session.execute(db.select(Server.id).where(Server.hostname == hostname)).scalar()
        if server_id is None:
            continue
        specs.append({"name": f"Tường lửa {hostname}", "kind": "firewall", "scope": "server", "server_id": server_id,
                      "ports": FIREWALL_PORTS, "targets": stand_in(number), "closed_fails": False,
                      "interval_seconds": 900, "timeout_seconds": 120})
    specs.append({"name": "Agent giám sát – máy chủ dùng chung", "kind": "agent", "scope": "group",
                  "agency_id": agency_id, "mode": "heartbeat", "stale_minutes": 720,
                  "interval_seconds": 300, "timeout_seconds": 30})
    specs.append({"name": "Phần mềm diệt virus – máy chủ dùng chung", "kind": "antivirus", "scope": "group",
                  "agency_id": agency_id, "max_signature_days": 7, "stale_minutes": 1440,
                  "interval_seconds": 900, "timeout_seconds": 30})
    portal = db.session.execute(db.select(Server.id).where(Server.hostname == PORTAL_SERVER)).scalar()
    if portal is not None:
        url = current_app.config.get("CSIRT_BASE_URL", "http://127.0.0.1:5000").rstrip("/") + HEALTH_PATH
        specs.append({"name": "Cổng thông tin – sức khỏe của csirt", "kind": "portal", "scope": "server",
                      "server_id": portal, "url": url, "expect_status": 200, "max_latency_ms": 3000,
                      "interval_seconds": 300, "timeout_seconds": 15})
    return specs


def load_checks(actor, agency_id):
    """Create the missing demo configurations as `actor` (a coordinator); returns how many."""
    existing = set(db.session.execute(db.select(CheckConfig.name)).scalars())
    created = 0
    for spec in _specs(agency_id):
        if spec["name"] in existing:
            continue
        try:
            check_services.create_config(actor, spec)
        except ValidationError as err:  # e.g. CSIRT_BASE_URL outside the allowed networks
            db.session.rollback()
            logger.warning("demo check %r left out: %s", spec["name"], getattr(err, "errors", err))
            continue
        created += 1
    return created


def load_heartbeats():
    """Demo heartbeats for the shared servers (see the module's docstring); returns how many were
    created. Rows a real heartbeat token wrote are left alone."""
    now, today = utcnow(), utcnow().date()
    rows = {row.server_id: row for row in db.session.execute(db.select(ServerHeartbeat)).scalars()}
    created = 0
    for number, (hostname, *_rest) in enumerate(data.SERVERS, start=1):
        server = db.session.execute(db.select(Server).where(Server.hostname == hostname)).scalar_one_or_none()
        if server is None or hostname in SILENT and SILENT[hostname] is None:
            continue
        _baseline, antivirus, agent, _host, _rack = data.SERVER_CONTROLS[hostname]
        minutes = SILENT.get(hostname, 2 + number % 5)
        seen = now - timedelta(minutes=minutes)
        row = rows.get(server.id)
        if row is None:
            row = ServerHeartbeat(server_id=server.id, remote_address=stand_in(number))
            db.session.add(row)
            created += 1
        elif row.token_id is not None:
            continue  # a real heartbeat
        row.received_at = row.reported_at = seen
        row.agent_name, row.agent_version = (agent, AGENT_VERSION) if agent else ("", "")
        row.antivirus_product = antivirus
        row.antivirus_enabled = True if antivirus else None
        row.signature_date = today - timedelta(days=OLD_SIGNATURES.get(hostname, 1)) if antivirus else None
    db.session.commit()
    return created
