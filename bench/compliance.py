"""Benchmark of the compliance dashboard at national scale, beside the same SQL run directly.

Seeds a PostgreSQL database of its own (created here, dropped at the end) with bulk inserts:
5,000 information systems in 250 agencies, 20,000 layer records (current ones in every state,
some layers missing, renewals kept as history), 50,000 servers linked to the systems, one
assessment per system with findings, and 6 monthly snapshots (written by the snapshot job),
then runs the scheduler's `dashboard-rollups` job once (it stores the compliance figures that
readers of every system are shown). Then, for a manager (who sees everything) and an agency
liaison (who sees one agency):

- the page:  GET /compliance          (HTML, the whole figures, 100 rows of the matrix)
- the API:   GET /api/v1/compliance   (JSON, the whole figures, 100 rows of systems)
- raw SQL:   the statements that request sent (captured once with their parameters: session,
             user, agencies, then the stored figures and one page of systems for the manager,
             the figures' own statements for the liaison), replayed on a plain connection,
             each result fetched whole.

Requests go through the Flask test client in this process, one after the other (the latency of
one request, without a network or a WSGI server in front). Each figure is p50 / p95 over the
repetitions, the three targets taking turns. Targets (issue 7): p95 < 100 ms and <= 2x raw SQL.
Nothing is asserted; this is a measurement.

    .venv/bin/python bench/compliance.py     # PostgreSQL from CSIRT_BENCH_DATABASE_URL,
                                             # else CSIRT_TEST_DATABASE_URL, else the local server
    CSIRT_BENCH_REPEATS=60 (default); CSIRT_BENCH_PROFILE=1 also prints a profile of the manager's
    and the liaison's page (=api: of their API responses)
"""
import os
import random
import re
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from scratch import scratch_database
from sqlalchemy import event
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from csirt import create_app
from csirt.auth.tokens import create_token
from csirt.clock import utcnow
from csirt.config import Config
from csirt.extensions import db
from csirt.reports.compliance import jobs
from csirt.reports.manager import rollup
from csirt.rules import seed
from csirt.rules.models import Rule
from csirt.systems.models import (
    Assessment,
    Finding,
    InformationSystem,
    LayerRecord,
    Server,
    system_server,
)
from csirt.team.models import Agency, User

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REPEATS = int(os.environ.get("CSIRT_BENCH_REPEATS", "60"))
AGENCIES, SYSTEMS, LAYER_RECORDS, SERVERS, SNAPSHOT_MONTHS = 250, 5_000, 20_000, 50_000, 6
BATCH = 5_000
PASSWORD = "bench-password-2026"  # noqa: S105 - a throwaway database
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class BenchConfig(Config):
    def __init__(self, url, instance):
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = url
        self.INSTANCE_PATH = str(instance)
        self.UPLOAD_FOLDER = str(Path(instance) / "evidence")
        self.CSIRT_SCHEDULER = False


# --- seeding --------------------------------------------------------------------------------

def _insert(table, rows):
    rows = list(rows)
    for start in range(0, len(rows), BATCH):
        db.session.execute(table.insert(), rows[start:start + BATCH])
    db.session.commit()


def _layer_rows(system_ids, author_id, today, rng):
    """20,000 records for 5,000 systems: each system gets its layers (about 1 in 12 missing), and
    the records left over are older periods of a layer (history)."""
    rows = []
    for system_id in system_ids:
        for layer in (1, 2, 3, 4):
            if rng.random() < 0.08:
                continue
            start = today - timedelta(days=rng.randint(30, 700))
            end = None if layer == 1 and rng.random() < 0.5 else today + timedelta(days=rng.randint(-60, 400))
            end = end if end is None or end >= start else start + timedelta(days=30)
            rows.append({"system_id": system_id, "layer": layer, "provider": f"Nhà cung cấp {rng.randint(1, 40)}",
                         "reference": f"HĐ {rng.randint(1, 999)}/2026", "valid_from": start, "valid_to": end,
                         "notes": "", "created_by_id": author_id, "created_at": utcnow(), "updated_at": utcnow(),
                         "version": 1})
    while len(rows) < LAYER_RECORDS:
        system_id, layer = rng.choice(system_ids), rng.randint(1, 4)
        start = today - timedelta(days=rng.randint(800, 1500))
        rows.append({"system_id": system_id, "layer": layer, "provider": f"Nhà cung cấp {rng.randint(1, 40)}",
                     "reference": "HĐ cũ", "valid_from": start, "valid_to": start + timedelta(days=365), "notes": "",
                     "created_by_id": author_id, "created_at": utcnow(), "updated_at": utcnow(), "version": 1})
    return rows[:LAYER_RECORDS]


def seed_all():
    rng = random.Random(20261203)
    today = date.today()
    with db.engine.begin() as conn:
        seed.insert(conn, Rule.__table__, utcnow())
    _insert(Agency.__table__, ({"code": f"CQ{n:03d}", "name": f"Cơ quan {n:03d}", "kind": "department",
                                "active": True, "created_at": utcnow()}
                               for n in range(AGENCIES)))
    agency_ids = db.session.execute(sa.select(Agency.id).order_by(Agency.id)).scalars().all()
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    manager = User(username="lanh-dao", full_name="Lãnh đạo", role="manager", agency_id=agency_ids[0],
                   password_hash=password_hash)
    liaison = User(username="dau-moi", full_name="Đầu mối", role="member", agency_id=agency_ids[7],
                   password_hash=password_hash)
    db.session.add_all([manager, liaison])
    db.session.commit()
    created = utcnow() - timedelta(days=400)
    _insert(InformationSystem.__table__, (
        {"code": f"HT{n:05d}", "name": f"Hệ thống thông tin {n}", "level": rng.choice((1, 2, 2, 3, 3, 3, 4, 5)),
         "owner_agency_id": agency_ids[n % AGENCIES], "operator": "", "purpose": "", "description": "",
         "information_kind": "internal", "served": "internal", "classification_notes": "", "level_decision": "",
         "level_approver": "", "domains": [], "public_addresses": [], "hosting": "", "created_at": created,
         "updated_at": created, "version": 1} for n in range(SYSTEMS)))
    system_ids = db.session.execute(sa.select(InformationSystem.id).order_by(InformationSystem.id)).scalars().all()
    _insert(LayerRecord.__table__, _layer_rows(system_ids, manager.id, today, rng))
    _insert(Assessment.__table__, ({"system_id": s, "performed_on": today - timedelta(days=rng.randint(10, 900)),
                                    "assessor": f"Tổ chức đánh giá {rng.randint(1, 20)}", "kind": "compliance",
                                    "report_reference": "", "summary": "", "created_by_id": manager.id,
                                    "created_at": utcnow()} for s in system_ids))
    assessment_ids = db.session.execute(sa.select(Assessment.id)).scalars().all()
    _insert(Finding.__table__, ({"assessment_id": a, "title": "Phát hiện", "severity": "medium",
                                 "remediation_owner": "", "due_on": today + timedelta(days=rng.randint(-90, 90)),
                                 "closed_on": today if rng.random() < 0.5 else None}
                                for a in assessment_ids for _ in range(rng.randint(0, 3))))
    _insert(Server.__table__, (
        {"hostname": f"srv-{n:05d}", "agency_id": agency_ids[n % AGENCIES],
         "addresses": [f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"],
         "kind": "virtual", "operating_system": "Linux", "role": "", "data_centre": "", "rack": "",
         "baseline_ports": "22/tcp, 443/tcp" if n % 3 else "", "antivirus_expected": "AV" if n % 2 else "",
         "agent_expected": "Agent" if n % 5 else "", "created_at": created, "updated_at": created, "version": 1}
        for n in range(SERVERS)))
    server_ids = db.session.execute(sa.select(Server.id).order_by(Server.id)).scalars().all()
    _insert(system_server, ({"system_id": system_ids[n % SYSTEMS], "server_id": s}
                            for n, s in enumerate(server_ids)))
    month = today.replace(day=1)
    for _month in range(SNAPSHOT_MONTHS):
        month = jobs.previous_month(month)
        jobs.take_snapshot(month)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    return manager.id, liaison.id


# --- measuring ------------------------------------------------------------------------------

def signed_in_client(app, username):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303), response.status_code
    return client


def captured(engine, request):
    """The statements one request sends, with their parameters."""
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert request().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


def raw_runner(url, statements):
    """Replay `statements` on a plain psycopg connection, fetching every row."""
    import psycopg

    conn = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                           autocommit=True)

    def run():
        with conn.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
    return run, conn


def ms(fn):
    started = time.perf_counter()
    result = fn()
    elapsed = (time.perf_counter() - started) * 1000
    if hasattr(result, "status_code"):
        assert result.status_code == 200, result.status_code
    return elapsed


def percentile(samples, share):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(app, url, user_id, username):
    client = signed_in_client(app, username)
    with app.app_context():
        _row, token = create_token(None, db.session.get(User, user_id), "bench", ["systems:read"], 30)
    headers = {"Authorization": f"Bearer {token}"}
    targets = {"page": lambda: client.get("/compliance"),
               "api": lambda: client.get("/api/v1/compliance", headers=headers)}
    # Requests run outside any app context of this script, each in its own, as in a server.
    with app.app_context():
        engine = db.engine
    raws, conns, statements = {}, [], {}
    for name, request in targets.items():
        request()  # warm-up
        seen = captured(engine, request)
        statements[name] = len(seen)
        raws[name], conn = raw_runner(url, seen)
        conns.append(conn)
    samples = {name: [] for name in ("page", "api", "page SQL", "api SQL")}
    for raw in raws.values():  # warm-up of the raw connections too
        raw()
    for _ in range(REPEATS):
        for name, request in targets.items():
            samples[name].append(ms(request))
            samples[f"{name} SQL"].append(ms(raws[name]))
    for conn in conns:
        conn.close()
    size = {"page": len(targets["page"]().get_data()), "api": len(targets["api"]().get_data())}
    return samples, size, statements


def report(label, samples, size, statements):
    print(f"\n{label}")
    print(f"{'':<28}{'p50 (ms)':>10}{'p95 (ms)':>10}{'SQL p95':>10}{'ratio p95':>11}{'statements':>12}{'bytes':>10}")
    for name in ("page", "api"):
        app_p50, app_p95 = percentile(samples[name], .5), percentile(samples[name], .95)
        sql_p95 = percentile(samples[f"{name} SQL"], .95)
        title = {"page": "GET /compliance", "api": "GET /api/v1/compliance"}[name]
        verdict = "ok" if app_p95 < 100 and app_p95 <= 2 * sql_p95 else "MISSED"
        print(f"{title:<28}{app_p50:>10.1f}{app_p95:>10.1f}{sql_p95:>10.1f}{app_p95 / sql_p95:>10.2f}x"
              f"{statements[name]:>12}{size[name]:>10}  {verdict}")
        sql_p50 = percentile(samples[f"{name} SQL"], .5)
        print(f"{'  the same SQL, raw':<28}{sql_p50:>10.1f}{sql_p95:>10.1f}")


def profile(app, user_id, username, path):
    """Where one user's request spends its time (CSIRT_BENCH_PROFILE=1: the manager's and the
    liaison's page; CSIRT_BENCH_PROFILE=api: their API responses)."""
    import cProfile
    import pstats

    client = signed_in_client(app, username)
    with app.app_context():
        _row, token = create_token(None, db.session.get(User, user_id), "bench", ["systems:read"], 30)
    headers = {"Authorization": f"Bearer {token}"}
    client.get(path, headers=headers)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get(path, headers=headers)
    profiler.disable()
    print(f"\nprofile of {path} for {username} (10 requests)")
    pstats.Stats(profiler).sort_stats(os.environ.get("CSIRT_BENCH_PROFILE_SORT", "cumulative")).print_stats(45)


def run(url, instance):
    app = create_app(BenchConfig(url, instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        manager_id, liaison_id = seed_all()
        seconds = time.perf_counter() - started
        version = db.session.execute(sa.text("show server_version")).scalar()
        counts = {t: db.session.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar()
                  for t in ("information_system", "layer_record", "server", "compliance_snapshot")}
        started = time.perf_counter()
        rollup.refresh()
        job_ms = (time.perf_counter() - started) * 1000
        db.session.remove()
    print(f"PostgreSQL {version}: seeded in {seconds:.1f} s: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    print(f"rollup job (dashboard-rollups, compliance figures of everyone and each agency): {job_ms:.0f} ms")
    print(f"{REPEATS} requests per target, taking turns; targets: p95 < 100 ms and <= 2x the raw SQL")
    wanted = os.environ.get("CSIRT_BENCH_PROFILE")
    if wanted in ("1", "api"):
        for user_id, username in ((manager_id, "lanh-dao"), (liaison_id, "dau-moi")):
            profile(app, user_id, username, "/api/v1/compliance" if wanted == "api" else "/compliance")
    for label, user_id, username in (("manager (sees all 5,000 systems)", manager_id, "lanh-dao"),
                                     ("agency liaison (sees 20 systems)", liaison_id, "dau-moi")):
        report(label, *measure(app, url, user_id, username))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main():
    print(f"csirt compliance benchmark, {datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    url = (os.environ.get("CSIRT_BENCH_DATABASE_URL") or os.environ.get("CSIRT_TEST_DATABASE_URL")
           or DEFAULT_URL).strip()
    if not url.startswith("postgresql"):
        sys.exit(f"a PostgreSQL URL is needed, not {make_url(url).drivername}")
    with scratch_database(url, "csirt_bench") as (db_url, _version, tmp):
        run(db_url, tmp)


if __name__ == "__main__":
    main()
