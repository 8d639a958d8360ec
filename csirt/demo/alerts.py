"""The demo's alert stream: about thirty days of alerts, routed into incidents by the shipped playbooks.

Each alert is written as its sender writes it (a Wazuh alert, an Alertmanager webhook; csirt's
own check and a person's report as canonical alerts, the way the checks and the form build them)
and goes through the real normaliser and `alerts.intake.ingest`, with the app clock moved to the
minute it was received: the playbooks (CSIRT_PLAYBOOKS_DIR) open and join the incidents, write
their tasks, clocks and notes, and close the portal outage when its resolution arrives. Nothing
here writes a row by hand.

What the desk then shows: integrity changes under the portal's web root (web-defacement, the
second joining the first), web attacks on the portal landing in triage (the catch-all, joined
per rule), the portal down then up (portal-outage: opened, then closed by the resolution), SSH
password guessing on the mail server (unauthorized-access, three alerts in one incident), a
firewall drift and an out-of-date antivirus found by csirt's checks, and a phishing e-mail
reported by hand.

Times are days before the day of loading at a fixed local hour, like the demo's incidents.
Idempotent: the stream is one unit, skipped when any of its fingerprints is already stored (and
within one day the intake's dedup key alone would make a second load store nothing).
"""
from datetime import datetime, timedelta

from ..alerts import canonical, intake, normalise
from ..alerts.models import Alert
from ..alerts.normalise.fingerprint import compute
from ..clock import local_to_utc, moved_to, utc_to_local, utcnow
from ..extensions import db
from . import data

MANAGER = "wazuh-laocai"
REPORTER = "nguyen.duc.thang"  # the coordinator who reports the phishing e-mail by hand
SENDER = "tran.quoc.khanh"     # the 24/7 monitoring coordinator: Wazuh, Alertmanager and the checks
                               # post with his intake token


def address(hostname):
    """The demo server's loopback address (loader: 127.0.10.<its number in data.SERVERS>)."""
    number = next(n for n, row in enumerate(data.SERVERS, start=1) if row[0] == hostname)
    return f"127.0.10.{number}"


def _iso(moment):
    return moment.isoformat(timespec="seconds") + "Z"


def wazuh(moment, hostname, agent_id, rule_id, level, description, groups, *, full_log="", location="",
          decoder="", srcip=None, syscheck=None):
    payload = {"timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
               "rule": {"level": level, "id": rule_id, "description": description, "groups": list(groups),
                        "firedtimes": 1},
               "agent": {"id": agent_id, "name": hostname, "ip": address(hostname)},
               "manager": {"name": MANAGER}, "id": f"{int(moment.timestamp())}.{agent_id}{rule_id}",
               "full_log": full_log, "decoder": {"name": decoder}, "location": location}
    if srcip:
        payload["data"] = {"srcip": srcip}
    if syscheck:
        payload["syscheck"] = syscheck
    return "wazuh", payload


def portal_down(status, started, ended=None):
    alert = {"status": status,
             "labels": {"alertname": "PortalDown", "instance": "dc-web-01:443", "job": "blackbox-http",
                        "severity": "critical", "service": "cong-thong-tin-dien-tu",
                        "target": "https://laocai.example/"},
             "annotations": {"summary": "Cổng thông tin điện tử tỉnh (laocai.example) không truy cập được",
                             "description": "Blackbox probe https://laocai.example/ failed for 5 minutes "
                                            "(probe_success == 0) from the data centre."},
             "startsAt": _iso(started), "endsAt": _iso(ended) if ended else "0001-01-01T00:00:00Z",
             "generatorURL": "http://prometheus.laocai.example:9090/graph", "fingerprint": "9d3f1c07a2b4e815"}
    return "alertmanager", {"version": "4", "groupKey": '{}:{alertname="PortalDown"}', "status": status,
                            "receiver": "csirt-laocai", "groupLabels": {"alertname": "PortalDown"},
                            "commonLabels": alert["labels"], "commonAnnotations": alert["annotations"],
                            "externalURL": "http://alertmanager.laocai.example:9093", "alerts": [alert]}


def check(moment, status, kind, hostname, title, description, severity="medium", **labels):
    """As csirt's own checks raise it: a canonical alert of source "check" (a source the API
    refuses to other senders, so the check playbooks can trust it)."""
    labels = {"check": kind, "server": hostname, **labels}
    raw = {"check": kind, "server": hostname, "title": title, "status": status, "labels": labels}
    return "check", canonical.Alert(source="check", severity=severity, status=status, title=title,
                                    occurred_at=moment, fingerprint=compute("check", labels, hostname, title),
                                    description=description, host=hostname, labels=labels, raw=raw, format="check")


def phishing(moment):
    """As the "report an alert" form builds it (alerts/forms.py)."""
    labels = {"kind": "phishing", "sender": "taichinh-laocai@example.net", "reported_by": "STC"}
    title = "Thư giả mạo Sở Tài chính: \"Thông báo điều chỉnh lương tháng 12\""
    description = ("Cán bộ Sở Tài chính chuyển tiếp thư từ taichinh-laocai@example.net có đường link đăng nhập "
                   "giả mạo hộp thư công vụ; 3 người đã bấm vào link, 1 người đã nhập mật khẩu.")
    host = "mail.laocai.example"
    raw = {"title": title, "severity": "high", "host": host, "description": description, "labels": labels,
           "occurred_at": _iso(moment)}
    return "manual", canonical.Alert(source="manual", severity="high", status="firing", title=title,
                                     occurred_at=moment, fingerprint=compute("manual", labels, host, title),
                                     description=description, host=host, labels=labels, raw=raw, format="manual")


def stream(at):
    """[(format, payload)] in time order; `at(days_ago, "HH:MM")` gives the UTC moment."""
    web = ("/var/log/nginx/laocai.example.access.log", "web-accesslog")
    portal_down_at, portal_up_at = at(14, "08:12"), at(14, "08:47")
    return [
        wazuh(at(27, "09:40"), "dc-web-01", "012", "550", 7, "Integrity checksum changed.",
              ("ossec", "syscheck", "syscheck_entry_modified", "syscheck_file"),
              full_log="File '/var/www/portal/index.php' modified\nSize changed from '18231' to '2764'",
              location="syscheck", decoder="syscheck_integrity_changed",
              syscheck={"path": "/var/www/portal/index.php", "event": "modified", "size_before": "18231",
                        "size_after": "2764"}),
        wazuh(at(27, "09:52"), "dc-web-01", "012", "554", 7, "File added to the system.",
              ("ossec", "syscheck", "syscheck_entry_added", "syscheck_file"),
              full_log="File '/var/www/portal/uploads/img/thumb.php' added", location="syscheck",
              decoder="syscheck_new_entry",
              syscheck={"path": "/var/www/portal/uploads/img/thumb.php", "event": "added"}),
        wazuh(at(20, "22:14"), "dc-web-01", "012", "31103", 7, "SQL injection attempt.",
              ("web", "accesslog", "attack", "sql_injection"), srcip="203.0.113.45", location=web[0], decoder=web[1],
              full_log='203.0.113.45 - - "GET /tin-tuc/chi-tiet.php?id=1%27%20OR%201=1-- HTTP/1.1" 200 8731'),
        wazuh(at(20, "22:31"), "dc-web-01", "012", "31103", 7, "SQL injection attempt.",
              ("web", "accesslog", "attack", "sql_injection"), srcip="203.0.113.45", location=web[0], decoder=web[1],
              full_log='203.0.113.45 - - "GET /tin-tuc/chi-tiet.php?id=1%20UNION%20SELECT%20null-- HTTP/1.1" 500 0'),
        wazuh(at(19, "02:05"), "dc-web-01", "012", "31106", 12, "A web attack returned code 200 (success).",
              ("web", "accesslog", "attack"), srcip="198.51.100.23", location=web[0], decoder=web[1],
              full_log='198.51.100.23 - - "GET /lien-he.php?ten=<script>alert(1)</script> HTTP/1.1" 200 5120'),
        portal_down("firing", portal_down_at),
        portal_down("resolved", portal_down_at, portal_up_at),
        *[wazuh(at(10, when), "dc-mail-01", "010", "5763", 10,
                "sshd: brute force trying to get access to the system. Authentication failed.",
                ("syslog", "sshd", "authentication_failures"), srcip=ip, location="/var/log/auth.log",
                decoder="sshd", full_log=f"sshd[2211]: Failed password for root from {ip} port 52144 ssh2")
          for when, ip in (("01:17", "45.95.147.10"), ("01:49", "45.95.147.10"), ("03:02", "185.224.128.7"))],
        check(at(6, "07:00"), "firing", "firewall", "dc-igate-01",
              "dc-igate-01 mở cổng ngoài danh mục phê duyệt: 8080/tcp",
              "Kiểm tra tường lửa định kỳ: cổng 8080/tcp (HTTP alternate) mở, không có trong danh mục "
              "22/tcp, 443/tcp đã phê duyệt.", ports="8080/tcp"),
        check(at(3, "07:00"), "firing", "antivirus", "dc-bak-01",
              "dc-bak-01: mẫu nhận diện virus quá hạn cập nhật 9 ngày",
              "Kaspersky Endpoint Security 12: cơ sở dữ liệu mẫu nhận diện cập nhật lần cuối 9 ngày trước "
              "(ngưỡng 3 ngày).", severity="high", signatures_age_days="9"),
        phishing(at(2, "10:25")),
    ]


def _moments(now):
    today = utc_to_local(now).replace(tzinfo=None).date()
    latest = now - timedelta(minutes=5)

    def at(days_ago, hour_minute):
        hour, minute = (int(part) for part in hour_minute.split(":"))
        day = today - timedelta(days=days_ago)
        local = datetime(day.year, day.month, day.day, hour, minute)
        return min(local_to_utc(local), latest)

    return at


def _canonical(items, now):
    out = []
    for fmt, payload in items:
        alerts = [payload] if fmt in ("manual", "check") else normalise.parse(fmt, payload, now)
        out += [(fmt, a) for a in alerts]
    return out


def load_alerts(people):
    """Send the demo stream through the intake (each alert a minute after it occurred); returns
    (alerts stored, incidents the playbooks opened) by this call, (0, 0) when the stream is there."""
    now = utcnow()
    alerts = _canonical(stream(_moments(now)), now)
    fingerprints = sorted({a.fingerprint for _fmt, a in alerts})
    if db.session.execute(db.select(Alert.id).where(Alert.fingerprint.in_(fingerprints)).limit(1)).first():
        return 0, 0
    stored = opened = 0
    for fmt, alert in sorted(alerts, key=lambda item: item[1].occurred_at):
        actor = people[REPORTER if fmt == "manual" else SENDER]
        with moved_to(min(alert.occurred_at + timedelta(minutes=1), now)):
            outcomes = intake.ingest(actor, [alert], via="manual" if fmt == "manual" else f"demo:{fmt}")
        stored += sum(1 for o in outcomes if o.created)
        opened += sum(1 for o in outcomes if o.status == "opened")
    return stored, opened
