"""Benchmark of the JSON API against a bare Flask endpoint doing one INSERT, side by side.

Both run under gunicorn with the same settings (2 sync workers) on the same PostgreSQL, in a
database created here for the run and dropped at the end; `wrk` (Debian package) is the load,
16 connections. Three targets take turns on every repetition, so a change in the machine's load
weighs on all of them:

- bare:       POST /insert                   one INSERT ... RETURNING in one transaction
- csirt POST: POST /api/v1/incidents          a new incident (reference, timeline, audit)
- csirt GET:  GET  /api/v1/incidents?limit=25 a page of the list, with 300 incidents present

Each figure is the median of the repetitions; the ratio is csirt / bare. Incidents created by a
POST run are deleted before the next repetition, so every list run sees the same 300. Nothing is
asserted; a response that is not 2xx is counted and reported (the target is zero).

    .venv/bin/python bench/api.py            # PostgreSQL from CSIRT_BENCH_DATABASE_URL,
                                             # else CSIRT_TEST_DATABASE_URL, else the local server
    CSIRT_BENCH_SECONDS=10 CSIRT_BENCH_REPEATS=3 (defaults)
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from scratch import scratch_database
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECONDS = int(os.environ.get("CSIRT_BENCH_SECONDS", "10"))
REPEATS = int(os.environ.get("CSIRT_BENCH_REPEATS", "3"))
CONNECTIONS, WRK_THREADS, WORKERS, SEEDED = 16, 2, 2, 300
BARE_TABLE = sa.Table("bench_bare_item", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("title", sa.String(300), nullable=False),
                      sa.Column("created_at", sa.DateTime, nullable=False))


def bare_app():
    """The baseline: parse the same JSON body, one INSERT in one transaction, answer 201 JSON.
    A factory, so each gunicorn worker builds its own engine after the fork (as csirt does)."""
    from flask import Flask, jsonify, request

    engine = sa.create_engine(os.environ["BENCH_DATABASE_URL"], pool_pre_ping=True)
    app = Flask("bare")

    @app.post("/insert")
    def insert():
        data = request.get_json()
        with engine.begin() as conn:
            new_id = conn.execute(BARE_TABLE.insert().returning(BARE_TABLE.c.id), {
                "title": data["title"], "created_at": datetime.now(timezone.utc).replace(tzinfo=None)}).scalar_one()
        return jsonify({"id": new_id}), 201

    @app.get("/ready")
    def ready():
        return "ok"

    return app


# --- the database ---------------------------------------------------------------------------

def seed(url, instance):
    """Tables, one coordinator with a read+write token, SEEDED incidents; returns (token, last id)."""
    from csirt import create_app
    from csirt.auth.tokens import create_token
    from csirt.config import Config
    from csirt.extensions import db
    from csirt.incidents.models import Incident
    from csirt.team.models import Agency, User

    config = Config()
    config.SQLALCHEMY_DATABASE_URI, config.INSTANCE_PATH = url, str(instance)
    app = create_app(config)
    with app.app_context():
        db.create_all()
        BARE_TABLE.create(db.engine)
        agency = Agency(code="STTTT", name="Sở Thông tin và Truyền thông", kind="department")
        db.session.add(agency)
        db.session.flush()
        boss = User(username="dieu-phoi", full_name="Điều phối viên", role="coordinator", agency_id=agency.id,
                    password_hash="!", locale="vi")
        db.session.add(boss)
        db.session.commit()
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        db.session.execute(Incident.__table__.insert(), [{
            "reference": f"LC-2025-{n + 1:04d}", "title": f"Máy chủ web bị dò quét cổng {n}",
            "description": "Phát hiện bất thường; đã thu thập nhật ký.", "category": "unauthorized_access",
            "sub_type": "", "severity": "ordinary", "priority": "P3", "tlp": "AMBER", "status": "new",
            "source": "manual", "agency_id": agency.id, "affected_systems": "", "affected_servers": "",
            "discovered_at": now - timedelta(hours=n + 1), "reported_at": now, "reporter_id": boss.id,
            "assignee_id": boss.id if n % 2 else None, "created_at": now, "updated_at": now,
            "resolution": "", "version": 1} for n in range(SEEDED)])
        db.session.commit()
        _row, token = create_token(None, boss, "bench", ["incidents:read", "incidents:write"], 30)
        last_id = db.session.execute(sa.select(sa.func.max(Incident.id))).scalar()
        db.engine.dispose()
    return token, last_id


def reset(engine, last_id):
    """Back to the seeded state: the incidents a POST run created go (their timeline follows by
    ON DELETE CASCADE), and the bare table is emptied."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM incident WHERE id > :last"), {"last": last_id})
        conn.execute(sa.text("TRUNCATE bench_bare_item"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


# --- servers and load -----------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(app_spec, env, log):
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(WORKERS), "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--chdir", str(HERE), "--error-logfile", str(log), "--capture-output",
         app_spec],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def cpu_seconds(pids):
    """CPU seconds (user + system) used so far by the processes `pids` (those still alive)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that was just replaced
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def workers_cpu(process):
    """CPU seconds (user + system) used so far by the workers of a gunicorn master."""
    return cpu_seconds(subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
                       .stdout.split())


def backend_pids(engine):
    """The PostgreSQL server processes serving the bench's database (both servers' pooled
    connections; only the target under load is busy, so their CPU during a run is its own)."""
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()")).scalars().all()


def wait_ready(url, process):
    for _ in range(300):
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped at start ({url}); see its log")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{url} did not answer")


LUA = """
wrk.method = %(method)s
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = %(authorization)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status < 200 or status > 299 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("non-2xx: %%d\\n", total))
end
"""


def lua_script(folder, name, method, body, token):
    path = folder / f"{name}.lua"
    path.write_text(LUA % {"method": json.dumps(method), "body": json.dumps(body) if body else "nil",
                           "authorization": json.dumps(f"Bearer {token}")})
    return path


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, script, seconds):
    done = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
                           "-s", str(script), url], capture_output=True, text=True, check=True)
    out = done.stdout
    latency = {p: _ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": latency["50"], "p99": latency["99"],
            "non2xx": int(re.search(r"non-2xx: (\d+)", out).group(1)),
            "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0}


# --- the run --------------------------------------------------------------------------------

def run(url, folder):
    token, last_id = seed(url, folder / "instance")
    engine = sa.create_engine(url)
    env = {**os.environ, "BENCH_DATABASE_URL": url, "CSIRT_DATABASE_URL": url, "CSIRT_ENV": "production",
           "CSIRT_SECRET_KEY": secrets.token_hex(32), "CSIRT_SCHEDULER": "0",
           "CSIRT_INSTANCE_PATH": str(folder / "instance")}
    discovered = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    body = json.dumps({"title": "Máy chủ thư điện tử bị dò mật khẩu", "category": "unauthorized_access",
                       "discovered_at": discovered})
    servers = [gunicorn("api:bare_app()", env, folder / "bare.log"),
               gunicorn("csirt:create_app()", env, folder / "csirt.log")]
    results = {}
    try:
        (bare, bare_url), (csirt, csirt_url) = servers
        wait_ready(bare_url + "/ready", bare)
        wait_ready(csirt_url + "/api/v1/openapi.json", csirt)
        targets = {
            "bare POST": (bare, bare_url + "/insert", lua_script(folder, "bare", "POST", body, token)),
            "csirt GET": (csirt, csirt_url + "/api/v1/incidents?limit=25",
                          lua_script(folder, "get", "GET", None, token)),
            "csirt POST": (csirt, csirt_url + "/api/v1/incidents", lua_script(folder, "post", "POST", body, token)),
        }
        for _process, target_url, script in targets.values():  # warm-up: connections, caches, imports
            wrk(target_url, script, 2)
        reset(engine, last_id)
        results.update({name: [] for name in targets})
        for repeat in range(REPEATS):
            for name, (process, target_url, script) in targets.items():
                backends = backend_pids(engine)
                before, pg_before = workers_cpu(process), cpu_seconds(backends)
                result = wrk(target_url, script, SECONDS)
                answered = max(1, result["rps"] * SECONDS)
                result["cpu_ms"] = 1000 * (workers_cpu(process) - before) / answered
                result["pg_ms"] = 1000 * (cpu_seconds(backends) - pg_before) / answered
                results[name].append(result)
            reset(engine, last_id)
            print(f"  repetition {repeat + 1}/{REPEATS}: " + ", ".join(
                f"{name} {r[-1]['rps']:.0f} req/s" for name, r in results.items()), flush=True)
        return results
    finally:
        for process, _url in servers:
            process.send_signal(signal.SIGTERM)
        if any(r["non2xx"] for runs in results.values() for r in runs):
            print("answers that were not 2xx; the end of the csirt log:")
            print("\n".join((folder / "csirt.log").read_text(errors="replace").splitlines()[-40:]))
        for process, _url in servers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        engine.dispose()


def report(results, version):
    base = statistics.median(r["rps"] for r in results["bare POST"])
    print(f"\n{version}; gunicorn {WORKERS} sync workers each; wrk {WRK_THREADS} threads, {CONNECTIONS} "
          f"connections, {SECONDS} s a run; median of {REPEATS} runs (the three take turns)")
    print(f"{'target':<12}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'× bare':>8}{'non-2xx':>9}{'sock err':>9}"
          f"{'CPU ms/req':>12}{'PG ms/req':>11}  runs (req/s)")
    print("-" * 107)
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        print(f"{name:<12}{rps:>8.0f}{statistics.median(r['p50'] for r in runs):>9.1f}"
              f"{statistics.median(r['p99'] for r in runs):>9.1f}{rps / base:>8.2f}"
              f"{sum(r['non2xx'] for r in runs):>9d}{sum(r['socket_errors'] for r in runs):>9d}"
              f"{statistics.median(r['cpu_ms'] for r in runs):>12.2f}"
              f"{statistics.median(r['pg_ms'] for r in runs):>11.2f}  "
              + " ".join(f"{r['rps']:.0f}" for r in runs))
    print("(CPU ms/req: user + system time of the two gunicorn workers per answered request, the median of "
          "the runs; PG ms/req: the same for the PostgreSQL server processes of the bench's connections; "
          "wrk and the kernel's network work are in neither)")


def main():
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs it (Debian package wrk), or apt-get install wrk")
    url = (os.environ.get("CSIRT_BENCH_DATABASE_URL") or os.environ.get("CSIRT_TEST_DATABASE_URL") or "").strip()
    url = url or DEFAULT_URL
    if not url.startswith("postgresql"):
        print(f"bench/api.py needs PostgreSQL; skipped ({make_url(url).drivername})")
        return
    print(f"csirt API benchmark, {datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    with scratch_database(url, "csirt_bench_api") as (db_url, version, tmp):
        results = run(db_url, tmp)
        report(results, f"PostgreSQL {version}")


if __name__ == "__main__":
    main()
