"""Prometheus Alertmanager's webhook payload (webhook_config, payload version "4").

Alertmanager posts one notification per alert group:

    {"version": "4", "groupKey": "...", "truncatedAlerts": 0, "status": "firing|resolved",
     "receiver": "...", "groupLabels": {...}, "commonLabels": {...}, "commonAnnotations": {...},
     "externalURL": "http://...:9093",
     "alerts": [{"status": "firing|resolved", "labels": {...}, "annotations": {...},
                 "startsAt": "RFC 3339", "endsAt": "RFC 3339", "generatorURL": "...",
                 "fingerprint": "16 hex"}, ...]}

Each alert of the group becomes one canonical alert (source "alertmanager"):
- status: the alert's own (the group's status only when the alert has none);
- labels: the alert's own labels (they already include the group's common labels);
- title: annotations.summary, else labels.alertname; made one line, cut to the cap with "…";
- description: annotations.description, else annotations.message; cut with a marker when over
  the cap (Alertmanager cannot be asked to send less, and losing the alert would be worse);
- host: labels.instance without its port ("[2001:db8::5]:9100" → "2001:db8::5", a probe's URL →
  its host name), else labels.host, labels.hostname, labels.nodename; lower case;
- occurred_at: startsAt when firing, endsAt when resolved; Alertmanager's zero time
  ("0001-01-01T00:00:00Z") means absent, and absent means the time received;
- fingerprint: the alert's `fingerprint` (Alertmanager's hash of its labels), else computed;
- raw: {"receiver", "groupKey", "externalURL", "alert": the alert as sent}, cut to RAW_MAX.

Severity, from labels.severity (any case); absent or not in this table → medium, and the label
itself stays in `labels` for playbooks that want the sender's own word:

    critical, crit, page, fatal, emergency, alert, disaster, p1   → critical
    high, error, err, major, p2                                   → high
    medium, warning, warn, average, moderate, p3                  → medium
    low, minor, notice, p4                                        → low
    info, informational, information, none, debug, ok, p5         → info

Fields csirt does not read (generatorURL, Grafana's extras such as orgId or values) are allowed
and kept in raw. A group Alertmanager cut (`truncatedAlerts` > 0, from max_alerts) is logged:
the alerts it left out never reached csirt.
"""
import logging
from urllib.parse import urlsplit

from ...catalogue import lazy_gettext as _l
from .. import canonical
from . import fields
from .errors import BadAlert
from .fingerprint import compute

logger = logging.getLogger(__name__)

FORMAT = SOURCE = "alertmanager"
VERSION = "4"
ZERO_TIME = "0001-01-01"  # Go's zero time.Time, how Alertmanager writes "not set"
SEVERITY = {
    **dict.fromkeys(("critical", "crit", "page", "fatal", "emergency", "alert", "disaster", "p1"),
                    "critical"),
    **dict.fromkeys(("high", "error", "err", "major", "p2"), "high"),
    **dict.fromkeys(("medium", "warning", "warn", "average", "moderate", "p3"), "medium"),
    **dict.fromkeys(("low", "minor", "notice", "p4"), "low"),
    **dict.fromkeys(("info", "informational", "information", "none", "debug", "ok", "p5"), "info"),
}
DEFAULT_SEVERITY = "medium"
HOST_LABELS = ("host", "hostname", "nodename")


def parse(payload, now):
    """The canonical alerts of one Alertmanager notification; BadAlert names the first wrong field."""
    payload = fields.obj(payload, "", required=True)
    version = payload.get("version")
    if version is None:
        raise fields.missing("version")
    if version != VERSION:
        raise BadAlert("version", _l("Unsupported payload version %(version)s; this endpoint reads "
                                     "Alertmanager's version 4.", version=repr(version)[:20]))
    group_status = fields.choice(payload.get("status"), "status", canonical.STATUSES, default="firing")
    group = {key: fields.text(payload.get(key), key, 4096, truncate=True)
             for key in ("receiver", "groupKey", "externalURL")}
    alerts = payload.get("alerts")
    if alerts is None:
        raise fields.missing("alerts")
    if not isinstance(alerts, list):
        raise BadAlert("alerts", _l("Must be a list."))
    truncated = payload.get("truncatedAlerts")
    if isinstance(truncated, int) and truncated > 0:
        logger.warning("Alertmanager left %d alerts out of group %s (max_alerts)", truncated,
                       group["groupKey"])
    return [_one(alert, where, group_status, group, now) for where, alert in fields.batch(alerts, "alerts")]


def _one(alert, path, group_status, group, now):
    status = fields.choice(alert.get("status"), fields.at(path, "status"), canonical.STATUSES,
                           default=group_status)
    labels = fields.labels(alert.get("labels"), fields.at(path, "labels"))
    annotations = fields.obj(alert.get("annotations"), fields.at(path, "annotations"))
    title = _title(annotations, labels, path)
    description = _first_text(annotations, ("description", "message"), fields.at(path, "annotations"))
    starts = _time(alert.get("startsAt"), fields.at(path, "startsAt"), now)
    ends = _time(alert.get("endsAt"), fields.at(path, "endsAt"), now)
    occurred_at = (ends if status == "resolved" else starts) or now
    host = _host(labels, fields.at(path, "labels"))
    fingerprint = fields.fingerprint(alert.get("fingerprint"), fields.at(path, "fingerprint"))
    return canonical.Alert(
        source=SOURCE, severity=SEVERITY.get(labels.get("severity", "").strip().lower(), DEFAULT_SEVERITY),
        status=status, title=title, occurred_at=occurred_at,
        fingerprint=fingerprint or compute(SOURCE, labels, host, title),
        description=description, host=host, labels=labels,
        raw=fields.raw({**group, "alert": alert}), format=FORMAT)


def _title(annotations, labels, path):
    summary = fields.headline(annotations.get("summary"), fields.at(path, "annotations.summary"),
                              canonical.TITLE_MAX)
    title = summary or fields.headline(labels.get("alertname"), fields.at(path, "labels.alertname"),
                                       canonical.TITLE_MAX)
    if not title:
        raise BadAlert(fields.at(path, "labels.alertname"),
                       _l("An alert needs a summary annotation or an alertname label."))
    return title


def _first_text(annotations, keys, path):
    for key in keys:
        value = fields.text(annotations.get(key), fields.at(path, key), canonical.DESCRIPTION_MAX,
                            truncate=True)
        if value:
            return value
    return ""


def _time(value, path, now):
    """None for absent or Alertmanager's zero time, else the time as naive UTC."""
    if value is None or (isinstance(value, str) and value.strip().startswith(ZERO_TIME)):
        return None
    return fields.when(value, path, now)


def _host(labels, path):
    if labels.get("instance", "").strip():
        where, value = fields.at(path, "instance"), host_of_instance(labels["instance"])
    else:
        where, value = next(((fields.at(path, key), labels[key].strip()) for key in HOST_LABELS
                             if labels.get(key, "").strip()), (path, ""))
    if len(value) > canonical.HOST_MAX:
        raise BadAlert(where, _l("Must be at most %(max)d characters (it has %(count)d).",
                                 max=canonical.HOST_MAX, count=len(value)))
    return value.lower()


def host_of_instance(instance):
    """The host of a Prometheus `instance` label: "web01:9100" → "web01", "[2001:db8::5]:9100" →
    "2001:db8::5", "https://portal.example/login" (a blackbox probe) → "portal.example"; a bare
    IPv6 address or a name without a port is returned as it is."""
    value = instance.strip()
    if "://" in value:
        try:
            return urlsplit(value).hostname or value
        except ValueError:
            return value
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 1 else value
    head, sep, port = value.rpartition(":")
    if sep and head and ":" not in head and port.isdigit():
        return head
    return value
