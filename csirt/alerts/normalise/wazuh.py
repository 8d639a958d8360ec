"""A Wazuh alert as the manager's integrator hands it to an integration (`<integration>` with
`<alert_format>json</alert_format>`): the alert object of alerts.json, posted as it is, or a
list of them (at most 1,000).

    {"timestamp": "2026-12-03T08:15:02.417+0000", "id": "1764749702.1234567",
     "rule": {"level": 12, "id": "31106", "description": "...", "groups": [...], "firedtimes": 3,
              "mitre": {"id": ["T1190"], ...}},
     "agent": {"id": "004", "name": "portal-web01", "ip": "127.0.20.11"},
     "manager": {"name": "wazuh-laocai"}, "decoder": {"name": "web-accesslog"},
     "location": "/var/log/nginx/access.log", "full_log": "...", "data": {"srcip": ...},
     "syscheck": {"path": "...", "event": "modified", ...}}

Canonical alert (source "wazuh", status always firing: Wazuh has no "resolved"):
- severity from rule.level (0–16; 16 is allowed by the integrator's filter, rules use 0–15):

      0–3 → info, 4–7 → low, 8–10 → medium, 11–12 → high, 13–16 → critical

- title: rule.description (one line, cut to the cap with "…");
- description: full_log; a log over the cap IS cut, with a marker saying how long it was
  (one decoded log line can be megabytes, and refusing the alert would lose it);
- host: agent.ip unless absent or "any", else the agent's name; agent "000" is the manager
  itself, named by manager.name;
- labels (only those present): rule_id, rule_level, rule_groups (comma-joined), agent_id,
  agent_name, agent_ip, decoder, location, srcip (data.srcip), syscheck_path, syscheck_event,
  mitre_ids (comma-joined);
- occurred_at: timestamp (Wazuh writes "+0000", read as an offset); absent → the time received;
- fingerprint: computed from the source, rule_id, agent_id and syscheck_path when present, so
  the same rule on the same agent (and file) is one problem; each event still has its own time
  and raw alert;
- raw: the alert as sent, cut to RAW_MAX.
Fields csirt does not read are allowed (Wazuh adds many by decoder and module).
"""
from ...catalogue import lazy_gettext as _l
from .. import canonical
from . import fields
from .errors import BadAlert
from .fingerprint import compute

FORMAT = SOURCE = "wazuh"
LEVEL_MAX = 16
LEVELS = ((3, "info"), (7, "low"), (10, "medium"), (12, "high"), (LEVEL_MAX, "critical"))
MANAGER_AGENT = "000"
NO_IP = ("", "any")
LIST_LABEL_MAX = canonical.LABEL_VALUE_MAX


def severity_of(level):
    """The canonical severity of a Wazuh rule level (see the table above)."""
    return next(name for top, name in LEVELS if level <= top)


def parse(payload, now):
    """The canonical alerts of a Wazuh alert or list; BadAlert names the first wrong field."""
    return [_one(alert, path, now) for path, alert in fields.batch(payload)]


def _one(alert, path, now):
    def at(key):
        return fields.at(path, key)

    rule = fields.obj(alert.get("rule"), at("rule"), required=True)
    agent = fields.obj(alert.get("agent"), at("agent"))
    manager = fields.obj(alert.get("manager"), at("manager"))
    decoder = fields.obj(alert.get("decoder"), at("decoder"))
    data = fields.obj(alert.get("data"), at("data"))
    syscheck = fields.obj(alert.get("syscheck"), at("syscheck"))
    mitre = fields.obj(rule.get("mitre"), at("rule.mitre"))

    level = _level(rule.get("level"), at("rule.level"))
    rule_id = rule.get("id")  # a string in alerts.json; some forwarders send it unquoted
    rule_id = _word(str(rule_id) if type(rule_id) is int else rule_id, at("rule.id"), required=True)
    title = fields.headline(rule.get("description"), at("rule.description"), canonical.TITLE_MAX)
    if not title:
        raise fields.missing(at("rule.description"))
    agent_id = _word(agent.get("id"), at("agent.id"))
    agent_name = _word(agent.get("name"), at("agent.name"), canonical.HOST_MAX)
    agent_ip = _word(agent.get("ip"), at("agent.ip"), canonical.HOST_MAX)
    manager_name = _word(manager.get("name"), at("manager.name"), canonical.HOST_MAX)

    labels = {
        "rule_id": rule_id,
        "rule_level": str(level),
        "rule_groups": _joined(rule.get("groups"), at("rule.groups")),
        "agent_id": agent_id,
        "agent_name": agent_name,
        "agent_ip": agent_ip,
        "decoder": _word(decoder.get("name"), at("decoder.name")),
        "location": _word(alert.get("location"), at("location")),
        "srcip": _word(data.get("srcip"), at("data.srcip")),
        "syscheck_path": _word(syscheck.get("path"), at("syscheck.path")),
        "syscheck_event": _word(syscheck.get("event"), at("syscheck.event")),
        "mitre_ids": _joined(mitre.get("id"), at("rule.mitre.id")),
    }
    labels = {key: value for key, value in labels.items() if value}
    identity = {key: labels[key] for key in ("rule_id", "agent_id", "syscheck_path") if key in labels}
    return canonical.Alert(
        source=SOURCE, severity=severity_of(level), status="firing", title=title,
        occurred_at=fields.when(alert.get("timestamp"), at("timestamp"), now),
        fingerprint=compute(SOURCE, identity),
        description=fields.text(alert.get("full_log"), at("full_log"), canonical.DESCRIPTION_MAX,
                                truncate=True),
        host=_host(agent_id, agent_name, agent_ip, manager_name), labels=labels,
        raw=fields.raw(alert), format=FORMAT)


def _level(value, path):
    """rule.level: Wazuh writes an integer; a string of digits (from a forwarder that quotes
    numbers) is read too."""
    if value is None:
        raise fields.missing(path)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LEVEL_MAX:
        raise BadAlert(path, _l("Must be a whole number from 0 to %(max)d.", max=LEVEL_MAX))
    return value


def _word(value, path, cap=canonical.LABEL_VALUE_MAX, required=False):
    """A short string field ("" when absent)."""
    return fields.text(value, path, cap, required=required)


def _joined(value, path):
    """A list of strings as one comma-joined label value ("" when absent)."""
    if value is None:
        return ""
    if not isinstance(value, list) or not all(isinstance(one, str) for one in value):
        raise BadAlert(path, _l("Must be a list of strings."))
    joined = ",".join(one.strip() for one in value if one.strip())
    if len(joined) > LIST_LABEL_MAX:
        raise BadAlert(path, _l("Must be at most %(max)d characters (it has %(count)d).",
                                max=LIST_LABEL_MAX, count=len(joined)))
    return joined


def _host(agent_id, agent_name, agent_ip, manager_name):
    if agent_ip.lower() not in NO_IP:
        host = agent_ip
    elif agent_id == MANAGER_AGENT:
        host = manager_name or agent_name
    else:
        host = agent_name
    return host.lower()
