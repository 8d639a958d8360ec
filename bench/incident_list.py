"""Benchmark of the incident list: how its queries scale from 1,000 to 100,000 incidents.

Seeds fresh SQLite files (and fresh PostgreSQL databases when CSIRT_BENCH_DATABASE_URL is set;
created here and dropped afterwards) with bulk inserts: one with 1,000 incidents (the baseline) and
one with 100,000. Then it times the queries the list page runs (`csirt.incidents.listing`) on both,
the two databases taking turns on every repetition; each figure is the median of the runs and the
ratio is 100,000 / 1,000. Finally it prints the plan of the filtered query and whether an index
serves it. No figure is asserted: this is a measurement, not a test.

    make bench                                        # SQLite only
    CSIRT_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres make bench
"""
import itertools
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from csirt import create_app
from csirt.config import Config
from csirt.extensions import db
from csirt.incidents import listing
from csirt.incidents.listing import ListQuery
from csirt.incidents.models import Incident
from csirt.team.models import Agency, User

BASELINE, FULL = 1_000, 100_000
REPEATS = int(os.environ.get("CSIRT_BENCH_REPEATS", "15"))
PAGE = 25
DEEP_PAGE = 50
BATCH = 5_000
SEARCH_WORD = "LockBit"  # in about 1 % of titles
STATUSES = (("new", 4), ("triaged", 6), ("contained", 4), ("eradicated", 3), ("recovered", 3), ("closed", 70),
            ("rejected", 10))
CATEGORIES = ("dos", "spoofing", "malware", "unauthorized_access", "defacement", "ransomware", "destruction",
              "data_theft", "combined", "other")
TITLES = ("Thư lừa đảo gửi tới cán bộ {n}", "Máy chủ web bị dò quét cổng {n}", "Mã độc trên máy trạm phòng {n}",
          "Trang thông tin điện tử bị thay giao diện {n}", "Tài khoản thư điện tử bị chiếm quyền {n}",
          "Tấn công từ chối dịch vụ cổng dịch vụ công {n}")


class BenchConfig(Config):
    def __init__(self, url, instance):
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = url
        self.INSTANCE_PATH = str(instance)
        self.UPLOAD_FOLDER = str(Path(instance) / "evidence")
        self.CSIRT_SCHEDULER = False


# --- seeding --------------------------------------------------------------------------------

def seed_people():
    agencies = [Agency(code=f"B{n:02d}", name=f"Cơ quan {n:02d}", kind="department") for n in range(20)]
    db.session.add_all(agencies)
    db.session.flush()
    workers = [User(username=f"xl{n}", full_name=f"Ứng cứu viên {n}", role="responder", agency_id=agencies[0].id,
                    password_hash="!") for n in range(30)]
    boss = User(username="dieu-phoi", full_name="Điều phối viên", role="coordinator", agency_id=agencies[0].id,
                password_hash="!")
    db.session.add_all(workers + [boss])
    db.session.commit()
    return [a.id for a in agencies], [w.id for w in workers], boss.id


def incident_rows(start, count, agency_ids, worker_ids, rng):
    statuses = [s for s, w in STATUSES for _ in range(w)]
    first_day = datetime(2023, 1, 1)
    for n in range(start, start + count):
        created = first_day + timedelta(minutes=n * 15 + rng.randrange(15))  # ids and dates grow together
        status = rng.choice(statuses)
        title = rng.choice(TITLES).format(n=n)
        if rng.random() < 0.01:
            title += f" ({SEARCH_WORD})"
        yield {
            "reference": f"LC-{created.year}-{n + 1:06d}", "title": title,
            "description": "Phát hiện bất thường trên hệ thống; đã thu thập nhật ký và báo cáo lãnh đạo.",
            "category": rng.choice(CATEGORIES), "sub_type": "",
            "severity": "serious" if rng.random() < 0.1 else "ordinary",
            "priority": rng.choice(("P1", "P2", "P3", "P3", "P4")), "tlp": "AMBER", "status": status,
            "source": "manual",
            "agency_id": rng.choice(agency_ids), "affected_systems": "", "affected_servers": "",
            "discovered_at": created - timedelta(hours=rng.randrange(1, 72)), "reported_at": created,
            "reporter_id": rng.choice(worker_ids),
            "assignee_id": None if rng.random() < 0.2 else rng.choice(worker_ids),
            "created_at": created, "updated_at": created + timedelta(hours=rng.randrange(0, 500)),
            "closed_at": created + timedelta(days=3) if status in ("closed", "rejected") else None,
            "resolution": "", "version": 1,
        }


def seed_incidents(start, count, agency_ids, worker_ids, rng):
    rows = incident_rows(start, count, agency_ids, worker_ids, rng)
    table = Incident.__table__
    while True:
        batch = list(itertools.islice(rows, BATCH))
        if not batch:
            break
        db.session.execute(table.insert(), batch)
        db.session.commit()


def analyze():
    """Statistics for the planner; on PostgreSQL also the vacuum that autovacuum would otherwise run
    in the middle of the measurements (it wakes up after a bulk insert)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if db.engine.dialect.name == "sqlite" else "VACUUM ANALYZE")


# --- measuring ------------------------------------------------------------------------------

def cursor_of_page(user, number):
    """The cursor that opens page `number` (walked, not timed), or of the last page if fewer."""
    cursor, reached = "", 1
    while reached < number:
        result = listing.page(user, ListQuery.from_args({"limit": str(PAGE), "cursor": cursor}), with_total=False)
        if not result.next_cursor:
            break
        cursor, reached = result.next_cursor, reached + 1
    return cursor, reached


def queries(user, agency_id):
    """name -> a function running the query as the list page does; and the deep page reached."""
    def rows(args):
        lq = ListQuery.from_args({"limit": str(PAGE), **args})
        return lambda: listing.page(user, lq, with_total=False).items

    def count(args):
        lq = ListQuery.from_args(args)
        query = listing.filtered(user, lq).with_only_columns(sa.func.count(Incident.id)).order_by(None)
        return lambda: db.session.execute(query).scalar()

    cursor, reached = cursor_of_page(user, DEEP_PAGE)
    return {
        "page 1 (newest first)": rows({}),
        f"page {DEEP_PAGE} by keyset cursor": rows({"cursor": cursor}),
        "status + agency filter, page 1": rows({"status": "triaged", "agency": str(agency_id)}),
        f"text search '{SEARCH_WORD}', page 1": rows({"q": SEARCH_WORD}),
        "text search with no match": rows({"q": "không-có-ở-đâu"}),  # the worst case: every row is read
        "count of all incidents": count({}),
        "count, status + agency filter": count({"status": "triaged", "agency": str(agency_id)}),
    }, reached


def timed(app, fn):
    with app.app_context():  # a fresh session, as each request gets
        started = time.perf_counter()
        fn()
        return (time.perf_counter() - started) * 1000


def measure(databases):
    """Median ms per query and database. The databases take turns on every repetition, so a
    change in the machine's load during the run weighs on the baseline and the full set alike."""
    prepared = []
    for db_ in databases:
        with db_["app"].app_context():
            user = db.session.get(User, db_["boss_id"])
            named, reached = queries(user, db_["agency_id"])
        prepared.append((db_["app"], named))
        db_["deep_page"] = reached
    results = [{} for _ in databases]
    for name in prepared[0][1]:
        samples = [[] for _ in databases]
        for app, named in prepared:
            timed(app, named[name])  # warm-up: caches and compiled statements
        for _ in range(REPEATS):
            for n, (app, named) in enumerate(prepared):
                samples[n].append(timed(app, named[name]))
        for n in range(len(databases)):
            results[n][name] = statistics.median(samples[n])
    return results


def plan_of_incident_scan(conn, dialect, statement, parameters):
    """(plan lines, how the incident table is read) for a captured statement."""
    if dialect == "sqlite":
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
        line = next((p for p in plan if re.match(r"(SEARCH|SCAN) incident\b", p)), "")
        match = re.search(r"USING (?:COVERING )?INDEX (\w+)(?: \((.*)\))?", line)
        sorted_after = any("TEMP B-TREE FOR ORDER BY" in p for p in plan)
        if line.startswith("SEARCH") and match:
            verdict = f"index {match.group(1)} serves the filter ({match.group(2)})"
        elif match:
            verdict = f"index {match.group(1)} gives the order; the filter is checked row by row"
        elif not sorted_after:
            verdict = "no index for the filter: rows read in id order, checked one by one until the page is full"
        else:
            verdict = "NO index: every row read"
        return plan, verdict + ("; then sorted" if sorted_after else "")
    plan = [row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
    document = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    nodes, found, sorted_after = [document[0]["Plan"]], [], False
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        sorted_after |= node.get("Node Type") in ("Sort", "Incremental Sort")
        if node.get("Relation Name") == "incident" or (node.get("Node Type") == "Bitmap Index Scan"
                                                       and node.get("Index Name", "").startswith("ix_incident")):
            found.append(node)
    indexed = [n for n in found if n.get("Index Name")]
    served = [n for n in indexed if n.get("Index Cond")]
    if served:
        verdict = f"index {served[0]['Index Name']} serves the filter ({served[0]['Index Cond']})"
    elif indexed:
        verdict = (f"index {indexed[0]['Index Name']} gives the order; the filter "
                   f"({indexed[0].get('Filter', '')}) is checked row by row until the page is full")
    else:
        verdict = "NO index: every row read (Seq Scan)"
    return plan, verdict + ("; then sorted" if sorted_after else "")


def explain(app, boss_id, args):
    """The plan of a page query, as the database runs it (the SQL captured from the ORM)."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    with app.app_context():
        user = db.session.get(User, boss_id)
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            listing.page(user, ListQuery.from_args({"limit": str(PAGE), **args}), with_total=False)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        statement, parameters = captured[-1]
        with db.engine.connect() as conn:
            return plan_of_incident_scan(conn, db.engine.dialect.name, statement, parameters)


# --- one database server ----------------------------------------------------------------------

def prepare(url, instance, count):
    app = create_app(BenchConfig(url, instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        rng = random.Random(20261123)
        agency_ids, worker_ids, boss_id = seed_people()
        started = time.perf_counter()
        seed_incidents(0, count, agency_ids, worker_ids, rng)
        analyze()
        seconds = time.perf_counter() - started
        version = db.session.execute(sa.text("select sqlite_version()" if db.engine.dialect.name == "sqlite"
                                             else "show server_version")).scalar()
    return {"app": app, "boss_id": boss_id, "agency_id": agency_ids[3], "seconds": seconds, "version": version}


def run(label, base_url, full_url, instance):
    base = prepare(base_url, instance / "base", BASELINE)
    full = prepare(full_url, instance / "full", FULL)
    try:
        base_ms, full_ms = measure([base, full])
        plan, verdict = explain(full["app"], full["boss_id"],
                                {"status": "triaged", "agency": str(full["agency_id"])})
        _plan, search_verdict = explain(full["app"], full["boss_id"], {"q": SEARCH_WORD})
    finally:
        for db_ in (base, full):
            with db_["app"].app_context():
                db.session.remove()
                db.engine.dispose()
    report(label, full["version"], full["seconds"], base_ms, full_ms, base["deep_page"], full["deep_page"],
           plan, verdict, search_verdict)


def report(label, version, seeded, base, full, base_page, full_page, plan, verdict, search_verdict):
    print(f"\n{label} {version}: {FULL:,} incidents seeded in {seeded:.1f} s; "
          f"median of {REPEATS} runs (the two databases take turns), {PAGE} rows a page")
    width = max(len(name) for name in full) + 2
    print(f"{'query':<{width}}{f'{BASELINE:,} (ms)':>14}{f'{FULL:,} (ms)':>16}{'ratio':>9}")
    print("-" * (width + 39))
    for name in full:
        ratio = full[name] / base[name] if base[name] else float("inf")
        print(f"{name:<{width}}{base[name]:>14.2f}{full[name]:>16.2f}{ratio:>8.1f}x")
    if base_page < DEEP_PAGE:
        print(f"(with {BASELINE:,} incidents the list has {base_page} pages: the baseline of the deep page is "
              f"page {base_page}, the last; with {FULL:,} it is page {full_page})")
    print("plan of the status + agency filter, page 1:")
    for line in plan:
        print("   ", line)
    print("incident table:", verdict)
    print(f"text search '{SEARCH_WORD}', incident table:", search_verdict)


def postgres(url):
    base = make_url(url)
    names = [f"csirt_bench_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
        with tempfile.TemporaryDirectory() as tmp:
            run("PostgreSQL", urls[0], urls[1], Path(tmp))
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def main():
    print(f"csirt incident list benchmark, {datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{Path(tmp) / 'base.sqlite'}", f"sqlite:///{Path(tmp) / 'full.sqlite'}", Path(tmp))
    url = os.environ.get("CSIRT_BENCH_DATABASE_URL", "").strip()
    if url.startswith("postgresql"):
        postgres(url)
    elif url:
        print(f"CSIRT_BENCH_DATABASE_URL is not a PostgreSQL URL; skipped: {make_url(url).drivername}")


if __name__ == "__main__":
    main()
