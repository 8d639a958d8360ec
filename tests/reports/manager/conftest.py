"""A small province whose every dashboard figure is computed by hand in the tests.

Now: 2026-12-04 05:00 UTC (12:00 in Hanoi). The months covered: 01/2026 to 12/2026; the days of
alerts: 05/11 to 04/12 (Hanoi).

| # | agency | created (UTC)     | Hanoi month | category | severity | status    | ack after | closed after |
|---|--------|-------------------|-------------|----------|----------|-----------|-----------|--------------|
| 1 | A      | 2026-12-01 01:00  | 12          | malware  | ordinary | new       | —         | —            |
| 2 | A      | 2026-12-02 02:00  | 12          | malware  | serious  | triaged   | 1 h       | —            |
| 3 | A      | 2026-11-30 18:00  | 12 (01:00)  | spoofing | ordinary | closed    | 2 h       | 10 h         |
| 4 | A      | 2026-11-10 00:00  | 11          | malware  | ordinary | closed    | 4 h       | 20 h         |
| 5 | A      | 2026-11-20 00:00  | 11          | spoofing | ordinary | rejected  | 1 h       | (5 h: not resolved) |
| 6 | B      | 2026-12-03 00:00  | 12          | malware  | serious  | contained | 3 h       | —            |
| 7 | B      | 2026-11-15 00:00  | 11          | dos      | ordinary | closed    | 6 h       | 30 h         |
| 8 | B      | 2025-12-15 00:00  | outside     | dos      | ordinary | closed    | 1 h       | 2 h          |
| 9 | B      | 2026-12-04 03:00  | 12          | other    | ordinary | new       | —         | —            |

Incident 1 has an active escalation (1 step fired). Clocks: on 2 due 2026-12-03 05:00 (24 h late),
on 6 due 2026-12-04 04:30 (0.5 h late), on 3 stopped, on 1 due tomorrow.
Alerts (received UTC → Hanoi day): wazuh/A 12-04 01:00 ×2 and 12-03 20:00 (→ 04/12), wazuh/B
12-02 10:00, check/no agency 12-03 10:00, generic/A 11-04 18:00 (→ 05/11), generic/A 11-03 10:00
(outside). One system of A: layer 1 valid, the other three missing.
"""
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from csirt.alerts.models import Alert
from csirt.clock import freeze
from csirt.incidents.models import Incident, IncidentClock
from csirt.oncall.escalation_models import Escalation
from csirt.systems.models import InformationSystem, LayerRecord

NOW = datetime(2026, 12, 4, 5, 0)
H = timedelta(hours=1)

INCIDENTS = [
    # agency, created, category, severity, status, ack after, closed after
    ("a", datetime(2026, 12, 1, 1), "malware", "ordinary", "new", None, None),
    ("a", datetime(2026, 12, 2, 2), "malware", "serious", "triaged", 1, None),
    ("a", datetime(2026, 11, 30, 18), "spoofing", "ordinary", "closed", 2, 10),
    ("a", datetime(2026, 11, 10), "malware", "ordinary", "closed", 4, 20),
    ("a", datetime(2026, 11, 20), "spoofing", "ordinary", "rejected", 1, 5),
    ("b", datetime(2026, 12, 3), "malware", "serious", "contained", 3, None),
    ("b", datetime(2026, 11, 15), "dos", "ordinary", "closed", 6, 30),
    ("b", datetime(2025, 12, 15), "dos", "ordinary", "closed", 1, 2),
    ("b", datetime(2026, 12, 4, 3), "other", "ordinary", "new", None, None),
]


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(NOW)
    yield
    freeze(None)


def add_incident(db, agency, reporter, n, created, category, severity, status, ack, closed):
    row = Incident(reference=f"LC-T-{n:03d}", title=f"Sự cố số {n}", category=category, severity=severity,
                   status=status, agency_id=agency.id, reporter_id=reporter.id, discovered_at=created - H,
                   reported_at=created, created_at=created, updated_at=created,
                   acknowledged_at=created + ack * H if ack is not None else None,
                   closed_at=created + closed * H if closed is not None else None)
    db.session.add(row)
    db.session.flush()
    return row


def add_alert(db, reporter, n, source, agency, received):
    db.session.add(Alert(dedup_key=f"k{n}", fingerprint=f"f{n}", source=source, severity="high", status="firing",
                         title=f"Cảnh báo {n}", occurred_at=received, received_at=received,
                         agency_id=agency.id if agency else None, reporter_id=reporter.id, labels={}))


@pytest.fixture
def province(app, db, make):
    unit = make.agency(name="Đơn vị chuyên trách")
    a, b = make.agency(name="Sở A"), make.agency(name="Sở B")
    reporter = make.user("coordinator", agency_obj=unit)
    agencies = {"a": a, "b": b}
    incidents = [add_incident(db, agencies[k], reporter, n, *rest) for n, (k, *rest) in enumerate(INCIDENTS, 1)]
    db.session.add(Escalation(incident_id=incidents[0].id, steps=[{"after": 0, "to": [], "channels": []}],
                              started_at=incidents[0].created_at, next_at=NOW + H, status="active", fired=1))
    for incident, key, due, stopped in ((incidents[1], "incident.notice", datetime(2026, 12, 3, 5), None),
                                        (incidents[5], "incident.report", datetime(2026, 12, 4, 4, 30), None),
                                        (incidents[2], "incident.notice", datetime(2026, 12, 1, 5), NOW - H),
                                        (incidents[0], "incident.notice", NOW + 24 * H, None)):
        db.session.add(IncidentClock(incident_id=incident.id, key=key, started_at=incident.created_at, due_at=due,
                                     stopped_at=stopped))
    alerts = [("wazuh", a, datetime(2026, 12, 4, 1)), ("wazuh", a, datetime(2026, 12, 4, 1, 30)),
              ("wazuh", a, datetime(2026, 12, 3, 20)), ("wazuh", b, datetime(2026, 12, 2, 10)),
              ("check", None, datetime(2026, 12, 3, 10)), ("generic", a, datetime(2026, 11, 4, 18)),
              ("generic", a, datetime(2026, 11, 3, 10))]
    for n, (source, agency, received) in enumerate(alerts):
        add_alert(db, reporter, n, source, agency, received)
    system = InformationSystem(code="HT-A", name="Cổng thông tin Sở A", level=3, owner_agency_id=a.id,
                               created_at=datetime(2025, 1, 1))
    db.session.add(system)
    db.session.flush()
    db.session.add(LayerRecord(system_id=system.id, layer=1, provider="Tổ ứng cứu", valid_from=date(2026, 1, 1),
                               valid_to=None, created_by_id=reporter.id))
    db.session.commit()
    return SimpleNamespace(unit=unit, a=a, b=b, incidents=incidents, reporter=reporter)
