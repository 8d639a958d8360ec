"""Benchmark of alert intake and routing (issue 9), each figure a ratio measured in the same run.

(a) routing in process through 100 playbooks: `bench/alerts_routing.py` (imported and run as is);
(b) single-alert POST /api/v1/alerts through gunicorn (2 sync workers) on PostgreSQL, beside
    `bench/api.py:bare_app()` (one INSERT ... RETURNING per request) on the same database;
    target ≥ 0.5 of the bare rate;
(c) batch POST of 100 alerts per request: alerts/s against the single-alert rate; target ≥ 10×;
(d) 16 clients posting the same alert at the same moment (a barrier), several rounds: answers
    5xx (target 0) and rows stored per alert (target 1).

The alerts of (b) and (c) are realistic for the shipped playbooks (CSIRT_PLAYBOOKS_DIR, the
folder `playbooks/`), sent in the generic JSON by other tools: malware found by an EDR (30 %,
malware-server), SSH password guessing from an IDS (20 %, unauthorized-access), phishing from the
mail gateway (10 %, phishing) and disk alerts from Zabbix (40 %, the triage catch-all); 300
inventory servers; each alert with a new time but a fingerprint that repeats (per server and
kind), and one alert of each group sent before the load, so most alerts join the open incident
of their group; 5 % are resolutions. wrk builds each body in Lua.
The three targets of (b) and (c) take turns on every repetition; each figure is the median.
Nothing is asserted.

    .venv/bin/python bench/alerts.py     # PostgreSQL from CSIRT_BENCH_DATABASE_URL, else
                                         # CSIRT_TEST_DATABASE_URL, else the local server
    CSIRT_BENCH_SECONDS=10 CSIRT_BENCH_REPEATS=3 (defaults)
"""
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import alerts_routing
import api
import sqlalchemy as sa
from scratch import scratch_database
from sqlalchemy.engine import make_url

SECONDS = int(os.environ.get("CSIRT_BENCH_SECONDS", "10"))
REPEATS = int(os.environ.get("CSIRT_BENCH_REPEATS", "3"))
SERVERS = int(os.environ.get("CSIRT_BENCH_SERVERS", "300"))
SYSTEMS, BATCH, CLIENTS, ROUNDS = 12, 100, 16, 10
SENDERS = ("taichinh-laocai@example.net", "hopthu-congvu@example.org", "ketoan.sotc@example.com",
           "noreply-vneid@example.net", "thue-dientu@example.org")


# --- the database -----------------------------------------------------------------------------

def seed(url, instance):
    """Tables, the rules, an agency per 30 servers, SERVERS servers in SYSTEMS systems, three
    coordinators (the playbooks assign to the role) and an intake token; returns the token."""
    from flask_babel import force_locale

    from csirt import create_app
    from csirt.auth.tokens import create_token
    from csirt.config import Config
    from csirt.extensions import db
    from csirt.rules import seed as rules_seed
    from csirt.rules.models import Rule
    from csirt.systems.models import InformationSystem, Server
    from csirt.team.models import Agency, User

    config = Config()
    config.SQLALCHEMY_DATABASE_URI, config.INSTANCE_PATH = url, str(instance)
    app = create_app(config)
    with app.app_context():
        db.create_all()
        api.BARE_TABLE.create(db.engine)
        with db.engine.begin() as conn:
            rules_seed.insert(conn, Rule.__table__, datetime.now(timezone.utc).replace(tzinfo=None))
        agencies = [Agency(code="CSIRT", name="Đơn vị chuyên trách", kind="dedicated_unit")]
        agencies += [Agency(code=f"CQ{n:02d}", name=f"Cơ quan {n}", kind="department") for n in range(1, 10)]
        db.session.add_all(agencies)
        db.session.flush()
        people = [User(username=f"dieu-phoi-{n}", full_name=f"Điều phối viên {n}", role="coordinator",
                       agency_id=agencies[0].id, password_hash="!", locale="vi") for n in range(3)]
        db.session.add_all(people)
        systems = [InformationSystem(code=f"HT{n:02d}", name=f"Hệ thống {n}", level=2 + n % 3,
                                     owner_agency_id=agencies[n % len(agencies)].id) for n in range(SYSTEMS)]
        db.session.add_all(systems)
        db.session.flush()
        for n in range(1, SERVERS + 1):
            db.session.add(Server(hostname=f"srv-{n:03d}", agency_id=agencies[n % len(agencies)].id,
                                  addresses=[f"10.20.{n // 250}.{n % 250}"], systems=[systems[n % SYSTEMS]]))
        db.session.commit()
        _row, token = create_token(None, people[0], "bench", ["alerts:read", "alerts:write"], 30)
        with force_locale("vi"):
            opened = open_groups(people[0])
        db.engine.dispose()
    return token, opened


def open_groups(actor):
    """One firing alert of each group the load will send (per server: malware, password
    guessing, disk; per sender: phishing), through the intake: the load then finds the
    open incidents a day of alerts would have left, and most of its alerts join one."""
    from csirt.alerts import intake, normalise

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    when = (now - timedelta(minutes=30)).isoformat() + "Z"
    items = []
    for n in range(1, SERVERS + 1):
        host = f"srv-{n:03d}"
        items += [
            {"source": "edr", "title": f"Trojan.Win32.Agent detected on {host}", "severity": "medium", "host": host,
             "labels": {"kind": "malware", "family": "Trojan.Win32.Agent"}, "occurred_at": when,
             "fingerprint": f"mw-{host}"},
            {"source": "ids", "title": f"SSH password guessing on {host}", "severity": "medium", "host": host,
             "labels": {"kind": "brute_force", "srcip": "45.95.147.1"}, "occurred_at": when,
             "fingerprint": f"bf-{host}"},
            {"source": "zabbix", "title": f"Free disk space is less than 10% on {host}", "severity": "medium",
             "host": host, "labels": {"trigger_id": "24518"}, "occurred_at": when, "fingerprint": f"disk-{host}"}]
    items += [{"source": "mail-gateway", "title": f"Thư giả mạo từ {sender}", "severity": "high",
               "host": "mail.laocai.example", "labels": {"kind": "phishing", "sender": sender},
               "occurred_at": when, "fingerprint": f"ph-{n}"} for n, sender in enumerate(SENDERS, start=1)]
    opened = 0
    for start in range(0, len(items), BATCH):
        outcomes = intake.ingest(actor, normalise.parse("generic", items[start:start + BATCH], now), via="bench")
        opened += sum(1 for o in outcomes if o.status == "opened")
    return opened


# --- the load ---------------------------------------------------------------------------------

LUA = """
local HOSTS, BATCH = %(hosts)d, %(batch)d
local SENDERS = {%(senders)s}
local threads, counter, tid = {}, 0, 0
function setup(thread) table.insert(threads, thread); thread:set("id", #threads) end
function init(args) bad = 0; tid = tonumber(id) or 0; math.randomseed(os.time() * 7919 + tid) end

local function alert()
  counter = counter + 1
  local host = string.format("srv-%%03d", math.random(1, HOSTS))
  local when = os.date("!%%Y-%%m-%%dT%%H:%%M:%%S", os.time() - math.random(0, 600))
    .. string.format(".%%d%%05dZ", tid %% 10, counter %% 100000)
  local status = (math.random(1, 20) == 1) and "resolved" or "firing"
  local r = math.random(1, 10)
  if r <= 3 then
    return string.format('{"source":"edr","title":"Trojan.Win32.Agent detected on %%s","severity":"medium",'
      .. '"status":"%%s","host":"%%s","labels":{"kind":"malware","family":"Trojan.Win32.Agent"},'
      .. '"occurred_at":"%%s","fingerprint":"mw-%%s"}', host, status, host, when, host)
  elseif r <= 5 then
    return string.format('{"source":"ids","title":"SSH password guessing on %%s","severity":"medium",'
      .. '"status":"firing","host":"%%s","labels":{"kind":"brute_force","srcip":"45.95.147.%%d"},'
      .. '"occurred_at":"%%s","fingerprint":"bf-%%s"}', host, host, math.random(1, 254), when, host)
  elseif r == 6 then
    local n = math.random(1, #SENDERS)
    return string.format('{"source":"mail-gateway","title":"Thư giả mạo từ %%s","severity":"high",'
      .. '"status":"firing","host":"mail.laocai.example","labels":{"kind":"phishing","sender":"%%s"},'
      .. '"occurred_at":"%%s","fingerprint":"ph-%%d"}', SENDERS[n], SENDERS[n], when, n)
  else
    return string.format('{"source":"zabbix","title":"Free disk space is less than 10%%%% on %%s",'
      .. '"severity":"medium","status":"%%s","host":"%%s","labels":{"trigger_id":"24518"},'
      .. '"occurred_at":"%%s","fingerprint":"disk-%%s"}', host, status, host, when, host)
  end
end

function request()
  local body
  if BATCH > 1 then
    local items = {}
    for i = 1, BATCH do items[i] = alert() end
    body = "[" .. table.concat(items, ",") .. "]"
  else
    body = alert()
  end
  return wrk.format("POST", nil, nil, body)
end

wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = %(authorization)s
function response(status, headers, body)
  if status < 200 or status > 299 then
    if bad == 0 then
      local log = io.open(%(log)s, "a")
      log:write(string.format("%%d %%s\\n", status, body:sub(1, 300)))
      log:close()
    end
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("non-2xx: %%d\\n", total))
end
"""


def lua_script(folder, name, batch, token):
    path = folder / f"{name}.lua"
    path.write_text(LUA % {"hosts": SERVERS, "batch": batch, "authorization": json.dumps(f"Bearer {token}"),
                           "log": json.dumps(str(folder / "non2xx.txt")),
                           "senders": ", ".join(json.dumps(s) for s in SENDERS)})
    return path


def stampede(base_url, token, engine):
    """(d): CLIENTS threads post one alert at the same moment, ROUNDS times with a new alert;
    returns (answers by status, rows stored per alert, socket errors)."""
    parts = urlsplit(base_url)
    statuses, errors, stored = {}, 0, []
    lock = threading.Lock()
    for round_number in range(ROUNDS):
        fingerprint = f"stampede-{uuid.uuid4().hex[:12]}"
        body = json.dumps({"source": "ids", "title": "SSH password guessing on srv-001",
                           "severity": "high", "host": "srv-001", "fingerprint": fingerprint,
                           "labels": {"kind": "brute_force", "srcip": "45.95.147.10"},
                           "occurred_at": (datetime.now(timezone.utc) - timedelta(seconds=round_number))
                           .isoformat().replace("+00:00", "Z")})
        barrier = threading.Barrier(CLIENTS)

        def post(body, barrier):
            nonlocal errors
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            try:
                conn.connect()
                barrier.wait()
                conn.request("POST", "/api/v1/alerts", body, {"Content-Type": "application/json",
                                                              "Authorization": f"Bearer {token}"})
                status = conn.getresponse().status
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
            except OSError:
                with lock:
                    errors += 1
            finally:
                conn.close()

        clients = [threading.Thread(target=post, args=(body, barrier)) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        with engine.connect() as conn:
            stored.append(conn.execute(sa.text("SELECT count(*) FROM alert WHERE fingerprint = :f"),
                                       {"f": fingerprint}).scalar())
    return statuses, stored, errors


def wrk(url, script, seconds):
    """api.wrk with a 30 s timeout: a batch answered after wrk's default 2 s is still an answer."""
    done = subprocess.run(["wrk", f"-t{api.WRK_THREADS}", f"-c{api.CONNECTIONS}", f"-d{seconds}s", "--latency",
                           "--timeout", "30s", "-s", str(script), url], capture_output=True, text=True, check=True)
    out = done.stdout
    latency = {p: api._ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": latency.get("50", 0.0), "p99": latency.get("99", 0.0),
            "non2xx": int(re.search(r"non-2xx: (\d+)", out).group(1)),
            "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0}


def settle(engine, table):
    """Wait until the server has finished the requests wrk left behind (no statement of the
    bench's database running and the row count still, twice in a row, a second apart), so one
    target's backlog is neither counted in the next one's run nor slowing it down."""
    last, quiet = None, 0
    for _ in range(600):
        with engine.connect() as conn:
            busy = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND pid <> pg_backend_pid() AND state <> 'idle'")).scalar()
        rows = count(engine, table)
        quiet = quiet + 1 if not busy and rows == last else 0
        if quiet >= 2:
            return
        last = rows
        time.sleep(1)


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def outcomes(engine):
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT route->>'outcome', count(*) FROM alert GROUP BY 1 ORDER BY 2 DESC")).all()
        incidents = conn.execute(sa.text("SELECT count(*) FROM incident")).scalar()
    return {str(k): v for k, v in rows}, incidents


def run(url, folder):
    started = time.perf_counter()
    token, opened = seed(url, folder / "instance")
    print(f"  seeded in {time.perf_counter() - started:.0f} s: {SERVERS} servers, {opened:,} incidents opened "
          "by one alert of each group", flush=True)
    engine = sa.create_engine(url)
    env = {**os.environ, "BENCH_DATABASE_URL": url, "CSIRT_DATABASE_URL": url, "CSIRT_ENV": "production",
           "CSIRT_SECRET_KEY": secrets.token_hex(32), "CSIRT_SCHEDULER": "0",
           "CSIRT_INSTANCE_PATH": str(folder / "instance")}
    servers = [api.gunicorn("api:bare_app()", env, folder / "bare.log"),
               api.gunicorn("csirt:create_app()", env, folder / "csirt.log")]
    results, extra = {}, {}
    try:
        (bare, bare_url), (csirt, csirt_url) = servers
        api.wait_ready(bare_url + "/ready", bare)
        api.wait_ready(csirt_url + "/api/v1/openapi.json", csirt)
        targets = {
            "bare POST": (bare, bare_url + "/insert", lua_script(folder, "bare", 1, token), 1),
            "alert POST": (csirt, csirt_url + "/api/v1/alerts", lua_script(folder, "one", 1, token), 1),
            "batch POST": (csirt, csirt_url + "/api/v1/alerts", lua_script(folder, "batch", BATCH, token), BATCH),
        }
        for process, target_url, script, _n in targets.values():  # warm-up: connections, caches
            wrk(target_url, script, 3)
            settle(engine, "bench_bare_item" if process is bare else "alert")
        extra["warm"] = outcomes(engine)
        results.update({name: [] for name in targets})
        for repeat in range(REPEATS):
            for name, (process, target_url, script, per_request) in targets.items():
                table = "bench_bare_item" if per_request == 1 and process is bare else "alert"
                before, rows_before = api.workers_cpu(process), count(engine, table)
                started = time.perf_counter()
                result = wrk(target_url, script, SECONDS)
                elapsed = time.perf_counter() - started
                stored = count(engine, table) - rows_before
                settle(engine, table)
                result["alerts"] = stored / elapsed   # rows written per second, not requests answered
                result["cpu_ms"] = 1000 * (api.workers_cpu(process) - before) / max(1, stored)
                results[name].append(result)
            with engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE bench_bare_item"))
            print(f"  repetition {repeat + 1}/{REPEATS}: " + ", ".join(
                f"{name} {r[-1]['alerts']:.0f} alerts/s" for name, r in results.items()), flush=True)
        extra["after"] = outcomes(engine)
        extra["stampede"] = stampede(csirt_url, token, engine)
        return results, extra
    finally:
        for process, _url in servers:
            process.send_signal(signal.SIGTERM)
        if any(r["non2xx"] for runs in results.values() for r in runs) or \
                any(code >= 500 for code in extra.get("stampede", ({},))[0]):
            bad = folder / "non2xx.txt"
            print("answers that were not 2xx; the first of each run (status, body):")
            print(bad.read_text(errors="replace") if bad.exists() else "(none recorded)")
            print("the end of the csirt log:")
            print("\n".join((folder / "csirt.log").read_text(errors="replace").splitlines()[-40:]))
        for process, _url in servers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        engine.dispose()


def report(results, extra, version):
    def median(name, key):
        return statistics.median(r[key] for r in results[name])

    bare, single, batch = median("bare POST", "rps"), median("alert POST", "alerts"), median("batch POST", "alerts")
    print(f"\n{version}; gunicorn {api.WORKERS} sync workers each; wrk {api.WRK_THREADS} threads, "
          f"{api.CONNECTIONS} connections, {SECONDS} s a run; median of {REPEATS} runs (the three take turns)")
    print(f"{'target':<12}{'req/s':>8}{'alerts/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>9}"
          f"{'CPU ms/alert':>14}  runs (alerts/s)")
    print("-" * 100)
    for name, runs in results.items():
        print(f"{name:<12}{median(name, 'rps'):>8.0f}{median(name, 'alerts'):>10.0f}{median(name, 'p50'):>9.1f}"
              f"{median(name, 'p99'):>9.1f}{sum(r['non2xx'] for r in runs):>9d}"
              f"{sum(r['socket_errors'] for r in runs):>9d}{median(name, 'cpu_ms'):>14.2f}  "
              + " ".join(f"{r['alerts']:.0f}" for r in runs))
    verdict = {True: "met", False: "MISSED"}
    print(f"(b) single-alert POST / bare INSERT: {single / bare:.2f}  (target ≥ 0.5: {verdict[single / bare >= 0.5]})")
    print(f"(c) batch of {BATCH} / single-alert, alerts/s: {batch / single:.1f}x  "
          f"(target ≥ 10x: {verdict[batch / single >= 10]})")
    counts, incidents = extra["after"]
    total = sum(counts.values())
    print(f"alerts stored: {total:,} into {incidents:,} incidents; outcomes: "
          + ", ".join(f"{k} {v:,} ({100 * v / total:.0f} %)" for k, v in counts.items()))
    statuses, stored, errors = extra["stampede"]
    fives = sum(n for code, n in statuses.items() if code >= 500)
    print(f"(d) {CLIENTS} clients posting the same alert at once, {ROUNDS} rounds: answers "
          + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
          + f"; socket errors {errors}; 5xx {fives} (target 0: {verdict[fives == 0]}); rows stored per alert "
          f"{sorted(set(stored))} (target [1]: {verdict[set(stored) == {1}]})")
    print("(alerts/s: rows the run stored, per second of the run; CPU ms/alert: user + system time of the two "
          "gunicorn workers per row stored; PostgreSQL and wrk are not counted)")


def main():
    print("(a) routing in process")
    try:
        alerts_routing.main()
    except Exception as err:  # noqa: BLE001 - its own script; (b)-(d) still run
        print(f"bench/alerts_routing.py failed: {err!r}")
    print()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs it (Debian package wrk), or apt-get install wrk")
    url = (os.environ.get("CSIRT_BENCH_DATABASE_URL") or os.environ.get("CSIRT_TEST_DATABASE_URL") or "").strip()
    url = url or api.DEFAULT_URL
    if not url.startswith("postgresql"):
        print(f"bench/alerts.py (b)-(d) need PostgreSQL; skipped ({make_url(url).drivername})")
        return
    print(f"csirt alert intake benchmark, {datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    with scratch_database(url, "csirt_bench_alerts") as (db_url, version, tmp):
        results, extra = run(db_url, tmp)
        report(results, extra, f"PostgreSQL {version}")


if __name__ == "__main__":
    main()
