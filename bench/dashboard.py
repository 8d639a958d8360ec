"""Benchmark of the manager dashboard at the issue's volume, beside the same SQL run directly.

Seeds a PostgreSQL database of its own (created here, dropped at the end), the big tables with
`INSERT ... SELECT generate_series` in the server: 100,000 incidents over three years in 50
agencies (2 % still open, 95 % acknowledged), 20,000 regulatory clocks (the last 10,000
incidents' two duties; those of open incidents still running, many overdue), an active
escalation on every unacknowledged open incident, 1,000,000 alerts over the last year from six
sources, 500 information systems with their layer records, 5,000 servers with a firewall, an
agent and an antivirus check each (15,000 work items) and 1,000,000 check results. Then it runs
the rollup job once (timed) and, for a manager (sees everything) and an agency liaison (one
agency), times through the Flask test client, one request after the other:

- GET /dashboard                       the manager dashboard (every figure)
- GET /compliance                      the compliance dashboard
- GET /incidents                       the incident list, first page
- GET /incidents?cursor=...            page 50, by its keyset cursor
- GET /incidents?status=triaged&agency=...   filtered, first page

and beside each the **same SQL run directly**: the statements that request sent (captured once
with their parameters: session, user, figures), replayed on a plain psycopg connection, every
row fetched. p50 / p95 over the repetitions, the targets taking turns. Targets (issue): p95 <
100 ms and <= 2x the raw SQL. Nothing is asserted; this is a measurement.

    .venv/bin/python bench/dashboard.py    # PostgreSQL from CSIRT_BENCH_DATABASE_URL, else
                                           # CSIRT_TEST_DATABASE_URL, else the local server
    CSIRT_BENCH_REPEATS=40 (default); CSIRT_BENCH_PROFILE=1 also prints a profile of the manager's page
"""
import os
import random
import sys
import time
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from compliance import BenchConfig, captured, ms, percentile, raw_runner, signed_in_client
from scratch import scratch_database
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from csirt import create_app
from csirt.clock import utcnow
from csirt.extensions import db
from csirt.incidents import listing
from csirt.incidents.listing import ListQuery
from csirt.reports.manager import rollup
from csirt.rules import seed
from csirt.rules.models import Rule
from csirt.systems.models import InformationSystem, LayerRecord, Server, system_server
from csirt.team.models import Agency, User

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REPEATS = int(os.environ.get("CSIRT_BENCH_REPEATS", "40"))
AGENCIES, INCIDENTS, ALERTS, SYSTEMS, SERVERS, RESULTS = 50, 100_000, 1_000_000, 500, 5_000, 1_000_000
CLOCKED = 10_000  # the newest incidents carry two clocks each
DEEP_PAGE = 50
PASSWORD = "bench-password-2026"  # noqa: S105 - a throwaway database
CATEGORIES = ("dos", "spoofing", "malware", "unauthorized_access", "defacement", "ransomware", "destruction",
              "data_theft", "combined", "other")
SOURCES = ("wazuh", "alertmanager", "check", "generic", "suricata", "zabbix")


def _sql(statement, **params):
    db.session.execute(sa.text(statement), params)
    db.session.commit()


def _array(values):
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def seed_all():
    rng = random.Random(20261204)
    now = utcnow().replace(microsecond=0)
    with db.engine.begin() as conn:
        seed.insert(conn, Rule.__table__, utcnow())
    db.session.execute(Agency.__table__.insert(), [
        {"code": f"CQ{n:03d}", "name": f"Sở ngành {n:03d}", "kind": "department", "active": True,
         "created_at": now} for n in range(AGENCIES)])
    agency_ids = db.session.execute(sa.select(Agency.id).order_by(Agency.id)).scalars().all()
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    manager = User(username="lanh-dao", full_name="Lãnh đạo", role="manager", agency_id=agency_ids[0],
                   password_hash=password_hash)
    liaison = User(username="dau-moi", full_name="Đầu mối", role="member", agency_id=agency_ids[7],
                   password_hash=password_hash)
    reporter = User(username="dieu-phoi", full_name="Điều phối", role="coordinator", agency_id=agency_ids[0],
                    password_hash=password_hash)
    db.session.add_all([manager, liaison, reporter])
    db.session.commit()
    first_agency, span = agency_ids[0], 3 * 365 * 86400
    # incidents: ids and creation times grow together, over three years up to now
    _sql(f"""
        INSERT INTO incident (reference, title, description, category, sub_type, severity, priority, tlp, status,
            source, agency_id, affected_systems, affected_servers, discovered_at, reported_at, reporter_id,
            created_at, updated_at, closed_at, resolution, acknowledged_at, version)
        SELECT 'LC-B-' || n, 'Sự cố thử nghiệm số ' || n, '', ({_array(CATEGORIES)})[1 + n % 10], '',
            CASE WHEN n % 10 = 0 THEN 'serious' ELSE 'ordinary' END, 'P3', 'AMBER', s.status, 'manual',
            :first + n % :agencies, '', '', c.at - interval '2 hours', c.at, :reporter, c.at, c.at,
            CASE WHEN s.status IN ('closed', 'rejected')
                 THEN c.at + make_interval(secs => 3600 + (n * 104729) % (10 * 86400)) END, '',
            CASE WHEN n % 20 <> 0 OR s.status IN ('closed', 'rejected')
                 THEN c.at + make_interval(secs => 60 + (n * 7919) % 86400) END, 1
        FROM generate_series(CAST(1 AS bigint), CAST(:count AS bigint)) AS n,
             LATERAL (SELECT CAST(:now AS timestamp) - make_interval(secs => (:count - n) * (:span / :count)) AS at) c,
             LATERAL (SELECT CASE WHEN n > :count - 2000 AND n % 3 <> 0
                                  THEN (ARRAY['new', 'triaged', 'contained'])[1 + n % 3]
                                  WHEN n % 10 = 7 THEN 'rejected' ELSE 'closed' END AS status) s
    """, first=first_agency, agencies=AGENCIES, reporter=reporter.id, count=INCIDENTS, now=now, span=span)
    # two clocks on each of the newest incidents; running on the open ones
    _sql("""
        INSERT INTO incident_clock (incident_id, key, started_at, due_at, stopped_at, started_by, regime)
        SELECT i.id, k.key, i.created_at, i.created_at + k.period,
               CASE WHEN i.status IN ('closed', 'rejected') THEN i.created_at + k.period - interval '1 hour' END,
               'bench', '2026'
        FROM (SELECT id, created_at, status FROM incident ORDER BY id DESC LIMIT :clocked) i,
             (VALUES ('incident.notice', interval '24 hours'),
                     ('incident.report', interval '72 hours')) AS k(key, period)
    """, clocked=CLOCKED)
    _sql("""
        INSERT INTO escalation (incident_id, playbook_id, steps, repeat, round, step_index, fired, started_at,
                                next_at, status)
        SELECT id, 'bench', '[{"after": 0, "to": [], "channels": []}, {"after": 900, "to": [], "channels": []}]',
               2, 0, 1, 1, created_at, CAST(:now AS timestamp) + interval '5 minutes', 'active'
        FROM incident WHERE status IN ('new', 'triaged', 'contained') AND acknowledged_at IS NULL
    """, now=now)
    # alerts: one million over the last year; one in ten about a host of no known agency
    _sql(f"""
        INSERT INTO alert (dedup_key, fingerprint, source, format, severity, status, title, description, host, labels,
                           occurred_at, received_at, agency_id, reporter_id)
        SELECT md5(n::text), 'fp-' || n % 5000, ({_array(SOURCES)})[1 + (n * 7) % 6], 'generic',
               (ARRAY['info', 'low', 'medium', 'high', 'critical'])[1 + n % 5],
               CASE WHEN n % 4 = 0 THEN 'resolved' ELSE 'firing' END, 'Cảnh báo ' || n, '', 'host-' || n % 5000,
               '{{}}', t.at, t.at, CASE WHEN n % 10 = 0 THEN NULL ELSE :first + n % :agencies END, :reporter
        FROM generate_series(CAST(1 AS bigint), CAST(:count AS bigint)) AS n,
             LATERAL (SELECT CAST(:now AS timestamp)
                             - make_interval(secs => (:count - n) * (365 * 86400.0 / :count)) AS at) t
    """, first=first_agency, agencies=AGENCIES, reporter=reporter.id, count=ALERTS, now=now)
    # the inventory: systems with their layers, servers, one check of each control per server
    created = now - timedelta(days=400)
    db.session.execute(InformationSystem.__table__.insert(), [
        {"code": f"HT{n:04d}", "name": f"Hệ thống thông tin {n}", "level": rng.choice((1, 2, 3, 3, 4)),
         "owner_agency_id": agency_ids[n % AGENCIES], "operator": "", "purpose": "", "description": "",
         "information_kind": "internal", "served": "internal", "classification_notes": "", "level_decision": "",
         "level_approver": "", "domains": [], "public_addresses": [], "hosting": "", "created_at": created,
         "updated_at": created, "version": 1} for n in range(SYSTEMS)])
    system_ids = db.session.execute(sa.select(InformationSystem.id).order_by(InformationSystem.id)).scalars().all()
    today = date.today()
    def period():
        start = today - timedelta(days=rng.randint(30, 600))
        return start, max(start + timedelta(days=30), today + timedelta(days=rng.randint(-60, 400)))

    db.session.execute(LayerRecord.__table__.insert(), [
        {"system_id": s, "layer": layer, "provider": f"Nhà cung cấp {rng.randint(1, 20)}", "reference": "HĐ",
         "valid_from": start, "valid_to": end, "notes": "", "created_by_id": manager.id,
         "created_at": now, "updated_at": now, "version": 1}
        for s in system_ids for layer in (1, 2, 3, 4) if rng.random() > 0.08 for start, end in [period()]])
    db.session.execute(Server.__table__.insert(), [
        {"hostname": f"host-{n}", "agency_id": agency_ids[n % AGENCIES],
         "addresses": [f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"], "kind": "virtual",
         "operating_system": "Linux", "role": "", "data_centre": "", "rack": "", "baseline_ports": "22/tcp, 443/tcp",
         "antivirus_expected": "AV", "agent_expected": "Agent", "created_at": created, "updated_at": created,
         "version": 1} for n in range(SERVERS)])
    server_ids = db.session.execute(sa.select(Server.id).order_by(Server.id)).scalars().all()
    db.session.execute(system_server.insert(), [{"system_id": system_ids[n % SYSTEMS], "server_id": s}
                                                for n, s in enumerate(server_ids)])
    db.session.commit()
    _sql("""
        INSERT INTO check_config (name, kind, params, interval_seconds, timeout_seconds, enabled, created_at,
                                  updated_at, version)
        VALUES ('Tường lửa', 'firewall', '{}', 3600, 60, true, :now, :now, 1),
               ('Agent', 'agent', '{}', 900, 60, true, :now, :now, 1),
               ('Diệt virus', 'antivirus', '{}', 86400, 60, true, :now, :now, 1)
    """, now=now)
    _sql("""
        INSERT INTO server_check (config_id, server_id, kind, active, next_run_at, retry, state, last_run_at, alerting)
        SELECT c.id, s.id, c.kind, true, CAST(:now AS timestamp) + interval '10 minutes', false,
               CASE WHEN s.id % 17 = 0 THEN 'fail' ELSE 'pass' END,
               CAST(:now AS timestamp) - CASE WHEN s.id % 23 = 0 THEN interval '3 days' ELSE interval '5 minutes' END,
               false
        FROM server s CROSS JOIN check_config c
    """, now=now)
    _sql("""
        INSERT INTO check_result (server_check_id, server_id, kind, status, changed, started_at, finished_at,
                                  duration_ms, details)
        SELECT w.id, w.server_id, w.kind, CASE WHEN (w.id + n) % 17 = 0 THEN 'fail' ELSE 'pass' END, n % 50 = 0,
               t.at, t.at + interval '2 seconds', 2000, '{}'
        FROM server_check w, generate_series(1, CAST(:per AS integer)) AS n,
             LATERAL (SELECT CAST(:now AS timestamp) - make_interval(secs => n * 3600) AS at) t
    """, per=-(-RESULTS // (SERVERS * 3)), now=now)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    return manager.id, liaison.id, agency_ids[7]


def deep_cursor(app, user_id):
    """The cursor of page DEEP_PAGE of the list (walked, not timed)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        cursor = ""
        for _ in range(DEEP_PAGE - 1):
            found = listing.page(user, ListQuery.from_args({"cursor": cursor}), with_total=False)
            if not found.next_cursor:
                break
            cursor = found.next_cursor
        db.session.remove()
    return cursor


TARGETS = ("dashboard", "compliance", "incidents, page 1", f"incidents, page {DEEP_PAGE}", "incidents, filtered")


def measure(app, url, user_id, username, agency_id):
    client = signed_in_client(app, username)
    cursor = deep_cursor(app, user_id)
    paths = {"dashboard": "/dashboard", "compliance": "/compliance", "incidents, page 1": "/incidents",
             f"incidents, page {DEEP_PAGE}": f"/incidents?cursor={cursor}",
             "incidents, filtered": f"/incidents?status=triaged&agency={agency_id}"}
    targets = {name: (lambda path=path: client.get(path)) for name, path in paths.items()}
    with app.app_context():
        engine = db.engine
    raws, conns, statements, size = {}, [], {}, {}
    for name, request in targets.items():
        request()  # warm-up
        seen = captured(engine, request)
        statements[name] = len(seen)
        raws[name], conn = raw_runner(url, seen)
        conns.append(conn)
        raws[name]()
        size[name] = len(request().get_data())
    samples = {name: ([], []) for name in targets}
    for _ in range(REPEATS):
        for name, request in targets.items():
            samples[name][0].append(ms(request))
            samples[name][1].append(ms(raws[name]))
    for conn in conns:
        conn.close()
    return samples, statements, size, paths


def report(label, samples, statements, size, paths):
    print(f"\n{label}")
    print(f"{'':<26}{'p50 (ms)':>10}{'p95 (ms)':>10}{'SQL p50':>9}{'SQL p95':>9}{'ratio p95':>11}{'stmts':>7}"
          f"{'bytes':>9}")
    for name, (app_samples, sql_samples) in samples.items():
        app_p95, sql_p95 = percentile(app_samples, .95), percentile(sql_samples, .95)
        verdict = "ok" if app_p95 < 100 and app_p95 <= 2 * sql_p95 else "MISSED"
        print(f"{name:<26}{percentile(app_samples, .5):>10.1f}{app_p95:>10.1f}{percentile(sql_samples, .5):>9.1f}"
              f"{sql_p95:>9.1f}{app_p95 / sql_p95:>10.2f}x{statements[name]:>7}{size[name]:>9}  {verdict}")


def profile(app, username):
    """Where the manager's dashboard request spends its time (CSIRT_BENCH_PROFILE=1)."""
    import cProfile
    import pstats

    client = signed_in_client(app, username)
    client.get("/dashboard")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get("/dashboard")
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


def run(url, instance):
    app = create_app(BenchConfig(url, instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        manager_id, liaison_id, liaison_agency = seed_all()
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        rows = rollup.refresh()
        job = time.perf_counter() - started
        version = db.session.execute(sa.text("show server_version")).scalar()
        counts = {t: db.session.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar()
                  for t in ("incident", "incident_clock", "alert", "check_result", "server_check", "server",
                            "information_system")}
        other_agency = db.session.execute(sa.select(Agency.id).order_by(Agency.id).offset(3).limit(1)).scalar()
        db.session.remove()
    print(f"PostgreSQL {version}: seeded in {seconds:.1f} s: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    print(f"rollup job (dashboard-rollups): {job * 1000:.0f} ms, {rows[0]} incident rows and {rows[1]} alert rows")
    print(f"{REPEATS} requests per target, taking turns; targets: p95 < 100 ms and <= 2x the raw SQL")
    if os.environ.get("CSIRT_BENCH_PROFILE") == "1":
        profile(app, "lanh-dao")
    for label, user_id, username, agency_id in (
            ("manager (sees all 100,000 incidents, 1,000,000 alerts)", manager_id, "lanh-dao", other_agency),
            ("agency liaison (sees one agency: 2,000 incidents)", liaison_id, "dau-moi", liaison_agency)):
        report(label, *measure(app, url, user_id, username, agency_id))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main():
    print(f"csirt dashboard benchmark, {datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    url = (os.environ.get("CSIRT_BENCH_DATABASE_URL") or os.environ.get("CSIRT_TEST_DATABASE_URL")
           or DEFAULT_URL).strip()
    if not url.startswith("postgresql"):
        sys.exit(f"a PostgreSQL URL is needed, not {make_url(url).drivername}")
    with scratch_database(url, "csirt_bench") as (db_url, _version, tmp):
        run(db_url, tmp)


if __name__ == "__main__":
    main()
