"""Benchmark of the notification outbox's speed of a page (issue 10): alert POST → message received.

The app runs as in production: gunicorn (2 sync workers) and a separate `csirt scheduler` process
(the lease, the notify-deliver job and its woken delivery loop) on a fresh PostgreSQL database,
beside a local SMTP server (aiosmtpd) and a local webhook receiver (http.server), both on
127.0.0.1. One coordinator has an e-mail and a webhook contact method; a bench playbook opens a
serious (P1) incident for each alert and notifies the coordinators by e-mail and webhook.
N serious alerts are POSTed to /api/v1/alerts one after another (at most CSIRT_BENCH_RATE per
second); for each, the time from the POST to the message received by the SMTP server and by the
webhook receiver (matched through the notification's X-Csirt-Notification header and its incident).
Target: p95 < 5 s (the poll fallback is 10 s, so a p95 under it shows the LISTEN/NOTIFY wake-up
at work). `--enqueue` measures instead the commit of `outbox.enqueue` → received, without the
intake. Nothing is asserted.

    .venv/bin/python bench/notify.py [--enqueue]   # PostgreSQL from CSIRT_BENCH_DATABASE_URL, else
                                                   # CSIRT_TEST_DATABASE_URL, else the local server
    CSIRT_BENCH_NOTIFICATIONS=200 CSIRT_BENCH_RATE=10 (defaults)
"""
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from scratch import scratch_database

COUNT = int(os.environ.get("CSIRT_BENCH_NOTIFICATIONS", "200"))
RATE = float(os.environ.get("CSIRT_BENCH_RATE", "10"))
PLAYBOOK = """
id: bench-page
title: {vi: "Bench: cảnh báo nghiêm trọng", en: "Bench: serious alert"}
order: 1
continue: false
match:
  any:
    - 'kind="bench"'
group:
  by: [title]
  window: 1d
  on_resolved: note
incident:
  title: {vi: "{{ title }}", en: "{{ title }}"}
  description: "{{ description }}"
  category: malware
  sub_type: ""
  severity: serious
  priority: P1
  tlp: AMBER
  agency: host
actions:
  - assign: [{role: coordinator}]
  - notify:
      to: [{role: coordinator}]
      channels: [email, webhook]
      on: [opened]
"""
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parent.parent

arrivals = {"email": {}, "webhook": {}}  # notification id -> monotonic time received
lock = threading.Lock()


class SmtpHandler:
    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"x-csirt-notification:"):
                with lock:
                    arrivals["email"].setdefault(int(line.split(b":", 1)[1]), now)
        return "250 OK"


class _Controller(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


class HookHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        now = time.monotonic()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with lock:
            arrivals["webhook"].setdefault(int(self.headers["X-Csirt-Notification"]), now)

    def log_message(self, *args):
        pass


def make_app(url, instance, env):
    from csirt import create_app
    from csirt.config import Config

    old = dict(os.environ)
    os.environ.update(env)
    try:
        config = Config()
    finally:
        os.environ.clear()
        os.environ.update(old)
    config.SQLALCHEMY_DATABASE_URI, config.INSTANCE_PATH = url, str(instance)
    return create_app(config)


def seed(app, hook_url):
    from csirt.extensions import db
    from csirt.notify.models import ContactMethod
    from csirt.team.models import Agency, User

    with app.app_context():
        db.create_all()
        unit = Agency(code="CSIRT", name="Đơn vị chuyên trách", kind="dedicated_unit")
        db.session.add(unit)
        db.session.flush()
        person = User(username="truc.ban", full_name="Người trực", role="coordinator", agency_id=unit.id,
                      password_hash="!", email="truc.ban@laocai.gov.vn", active=True)
        db.session.add(person)
        db.session.flush()
        db.session.add_all([
            ContactMethod(user_id=person.id, channel="email", address=person.email, label="", enabled=True),
            ContactMethod(user_id=person.id, channel="webhook", address=hook_url, label="", enabled=True,
                          secret=secrets.token_urlsafe(32))])
        db.session.commit()
        return person.id


def api_token(app, user_id):
    from csirt.auth.tokens import create_token
    from csirt.extensions import db
    from csirt.team.models import User

    with app.app_context():
        _row, token = create_token(None, db.session.get(User, user_id), "bench", ["alerts:read", "alerts:write"], 30)
        db.session.commit()
        return token


def post_all(base_url, token):
    """POST one serious alert at a time; [(incident id, monotonic time the POST began)]."""
    parts = base_url.split("//", 1)[1]
    host, port = parts.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    posted, start = [], time.monotonic()
    for n in range(COUNT):
        delay = start + n / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = json.dumps({"source": "edr", "title": f"Mã độc trên máy trạm {n:04d}", "severity": "critical",
                           "labels": {"kind": "bench"}, "description": "bench"}, ensure_ascii=False).encode()
        began = time.monotonic()
        conn.request("POST", "/api/v1/alerts", body=body, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        answer = json.loads(response.read() or b"{}")
        if response.status != 201:
            sys.exit(f"POST answered {response.status}: {answer}")
        incident = (answer["alerts"][0].get("incident") or {}).get("id")
        if incident is None:
            sys.exit(f"the bench alert opened no incident: {answer}")
        posted.append((incident, began))
    conn.close()
    return posted


def by_incident(app, posted):
    """[(notification id, channel, POST time)] for the notifications of the posted incidents."""
    from csirt.extensions import db
    from csirt.notify.models import Notification

    began = dict(posted)
    with app.app_context():
        rows = db.session.execute(db.select(Notification.id, Notification.channel, Notification.incident_id)
                                  .where(Notification.incident_id.in_(list(began)))).all()
    return [(row_id, channel, began[incident]) for row_id, channel, incident in rows]


def enqueue_all(app, user_id):
    """Each notification in its own transaction; (notification id, monotonic commit time)."""
    from csirt.extensions import db
    from csirt.notify import outbox
    from csirt.team.models import User

    committed = []
    with app.app_context():
        person = db.session.get(User, user_id)
        start = time.monotonic()
        for n in range(COUNT):
            delay = start + n / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            rows = outbox.enqueue("incident.opened", person, {"reference": f"LC-2026-{n:04d}",
                                                              "title": "Mã độc trên máy chủ", "severity": "serious"},
                                  serious=True)
            db.session.commit()
            now = time.monotonic()
            committed += [(r.id, r.channel, now) for r in rows]
            db.session.expire_all()
            person = db.session.get(User, user_id)
    return committed


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run(url, folder, mode):
    smtp = _Controller(SmtpHandler(), hostname="127.0.0.1", port=0)
    smtp.start()
    hooks = ThreadingHTTPServer(("127.0.0.1", 0), HookHandler)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    env = {"CSIRT_DATABASE_URL": url, "CSIRT_INSTANCE_PATH": str(folder / "instance"),
           "CSIRT_SECRET_KEY": secrets.token_hex(32), "CSIRT_SMTP_HOST": "127.0.0.1",
           "CSIRT_SMTP_PORT": str(smtp.port), "CSIRT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
           "CSIRT_NOTIFY_POLL_SECONDS": "10", "CSIRT_PLAYBOOKS_DIR": str(folder / "playbooks"),
           "CSIRT_TRIAGE_AGENCY": "CSIRT", "CSIRT_SCHEDULER": "0"}
    (folder / "playbooks").mkdir()
    (folder / "playbooks" / "bench-page.yaml").write_text(PLAYBOOK, encoding="utf-8")
    app = make_app(url, folder / "instance", env)
    user_id = seed(app, f"http://127.0.0.1:{hooks.server_address[1]}/hook")
    web = None
    log = open(folder / "scheduler.log", "w")
    scheduler = subprocess.Popen([str(Path(sys.executable).with_name("csirt")), "scheduler"],
                                 env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(3)  # the scheduler takes its lease and starts the delivery loop
        if scheduler.poll() is not None:
            sys.exit("csirt scheduler stopped at start: " + (folder / "scheduler.log").read_text()[-2000:])
        if mode == "enqueue":
            committed = enqueue_all(app, user_id)
        else:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            import api

            web, web_url = api.gunicorn("csirt:create_app()", {**os.environ, **env}, folder / "gunicorn.log")
            api.wait_ready(web_url + "/api/v1/openapi.json", web)
            committed = by_incident(app, post_all(web_url, api_token(app, user_id)))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with lock:
                got = sum(1 for i, ch, _t in committed if i in arrivals[ch])
            if got == len(committed):
                break
            time.sleep(0.1)
        latencies = {"email": [], "webhook": []}
        missing = 0
        for row_id, channel, at in committed:
            arrived = arrivals[channel].get(row_id)
            if arrived is None:
                missing += 1
            else:
                latencies[channel].append(arrived - at)
        return latencies, missing
    finally:
        if web is not None:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=30)
        scheduler.send_signal(signal.SIGTERM)
        try:
            scheduler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            scheduler.kill()
        log.close()
        hooks.shutdown()
        smtp.stop()
        with app.app_context():
            from csirt.extensions import db

            db.engine.dispose()


def main():
    url = (os.environ.get("CSIRT_BENCH_DATABASE_URL") or os.environ.get("CSIRT_TEST_DATABASE_URL") or "").strip()
    url = url or DEFAULT_URL
    if not url.startswith("postgresql"):
        sys.exit("bench/notify.py needs PostgreSQL (LISTEN/NOTIFY)")
    mode = "enqueue" if "--enqueue" in sys.argv[1:] else "post"
    what = "serious notifications enqueued" if mode == "enqueue" else "serious alerts POSTed"
    print(f"csirt notification benchmark, {datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; {COUNT} {what} at most {RATE:g}/s, each notified by e-mail and webhook")
    with scratch_database(url, "csirt_bench_notify") as (db_url, version, tmp):
        latencies, missing = run(db_url, tmp, mode)
    start = "commit of the enqueue" if mode == "enqueue" else "alert POST (gunicorn, 2 workers)"
    print(f"PostgreSQL {version}; {start} → message received")
    print(f"{'channel':<10}{'received':>10}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}  target p95 < 5000 ms")
    for channel, values in latencies.items():
        if not values:
            print(f"{channel:<10}{0:>10}")
            continue
        p95 = percentile(values, 95) * 1000
        print(f"{channel:<10}{len(values):>10}{statistics.median(values) * 1000:>10.0f}{p95:>10.0f}"
              f"{max(values) * 1000:>10.0f}  {'met' if p95 < 5000 else 'MISSED'}")
    print(f"not received within 120 s: {missing}")


if __name__ == "__main__":
    main()
