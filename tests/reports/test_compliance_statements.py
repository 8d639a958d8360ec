"""The compliance dashboard costs a constant number of SQL statements, whatever the number of
systems, layer records, assessments, findings, servers and snapshots."""
from datetime import timedelta

from csirt.auth.tokens import create_token
from csirt.clock import utcnow
from csirt.reports.compliance import jobs
from csirt.reports.manager import rollup
from csirt.systems.models import Assessment, Finding, InformationSystem, LayerRecord, Server

from ..conftest import recorded_statements


def _seed(db, agencies, author, count, start):
    today = utcnow().date()
    for i in range(start, start + count):
        agency = agencies[i % len(agencies)]
        system = InformationSystem(code=f"S{i}", name=f"Hệ thống {i}", level=1 + i % 5, owner_agency_id=agency.id)
        db.session.add(system)
        db.session.flush()
        for layer in (1, 2, 3, 4):
            if (i + layer) % 7 == 0:
                continue  # some layers missing
            db.session.add(LayerRecord(system_id=system.id, layer=layer, provider=f"Đơn vị {layer}",
                                       valid_from=today - timedelta(days=400),
                                       valid_to=today + timedelta(days=(i * 13 + layer * 17) % 90 - 20),
                                       created_by_id=author.id))
        assessment = Assessment(system_id=system.id, performed_on=today - timedelta(days=100 + i * 37 % 700),
                                assessor="Đơn vị 3", created_by_id=author.id)
        db.session.add(assessment)
        db.session.flush()
        db.session.add(Finding(assessment_id=assessment.id, title="Lỗ hổng", due_on=today - timedelta(days=i % 3)))
        server = Server(hostname=f"srv-{i}", agency_id=agency.id, baseline_ports="443/tcp" if i % 2 else "")
        server.systems = [system]
        db.session.add(server)
    db.session.commit()


def _count(db, request):
    request()  # warm-up: the first request loads the user and the rules like any other, but also the app
    with recorded_statements(db.engine) as seen:
        assert request().status_code == 200
    return len(seen)


def test_the_page_csv_and_api_cost_the_same_statements_for_3_and_30_systems(app, db, client, auth, make):
    agencies = [make.agency(), make.agency()]
    manager = make.user("manager", agency_obj=agencies[0])
    _row, token = create_token(None, manager, "bench", ["systems:read"], 30)
    headers = {"Authorization": f"Bearer {token}"}
    auth.login(manager)
    requests = {"page": lambda: client.get("/compliance"),
                "csv": lambda: client.get("/compliance.csv"),
                "api": lambda: client.get("/api/v1/compliance", headers=headers)}

    _seed(db, agencies, manager, 3, 0)
    last_month = jobs.previous_month(utcnow().date())
    jobs.take_snapshot(jobs.previous_month(last_month))
    small = {name: _count(db, request) for name, request in requests.items()}
    _seed(db, agencies, manager, 27, 3)
    jobs.take_snapshot(last_month)
    large = {name: _count(db, request) for name, request in requests.items()}
    assert large == small, (small, large)
    # session, user, agencies, the stored figures looked for (none yet), systems, rules, servers,
    # coverage, trend
    assert small["page"] <= 9, small

    rollup.refresh()  # readers of every system now read the stored figures and one page of systems
    stored = {name: _count(db, request) for name, request in requests.items()}
    _seed(db, agencies, manager, 30, 30)
    rollup.refresh()
    assert {name: _count(db, request) for name, request in requests.items()} == stored, stored
    # session, user, agencies, the stored figures, how many systems, one page of them, rules
    assert stored["page"] <= 7 and stored["api"] <= 6, stored
