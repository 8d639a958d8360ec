"""A Wazuh alert as its integrator sends it."""
from datetime import datetime

import pytest

from csirt.alerts import canonical
from csirt.alerts.normalise import parse, wazuh
from csirt.alerts.normalise.fingerprint import compute

from .normalise_helpers import NOW, bad, load


def edited(name="wazuh_web_attack", **changes):
    """A fixture with dotted keys replaced ("agent.ip": "any"); None deletes the key."""
    payload = load(name)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = payload
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return payload


def test_a_web_attack_alert():
    [one] = parse("wazuh", load("wazuh_web_attack"), NOW)
    assert one.source == "wazuh" and one.format == "wazuh" and one.status == "firing"
    assert one.severity == "high"  # level 12
    assert one.title == "A web attack returned code 200 (success)."
    assert one.description.startswith("203.0.113.45 - - [01/Dec/2026:09:41:16 +0700]")
    assert one.host == "127.0.20.11"
    assert one.occurred_at == datetime(2026, 12, 1, 2, 41, 17, 328000)
    assert one.labels == {
        "rule_id": "31106", "rule_level": "12", "rule_groups": "web,accesslog,attack",
        "agent_id": "004", "agent_name": "portal-web01", "agent_ip": "127.0.20.11",
        "decoder": "web-accesslog", "location": "/var/log/nginx/portal.laocai.example.access.log",
        "srcip": "203.0.113.45", "mitre_ids": "T1190",
    }
    assert one.fingerprint == compute("wazuh", {"rule_id": "31106", "agent_id": "004"})
    assert one.raw == load("wazuh_web_attack")


def test_a_file_integrity_alert_carries_the_file():
    [one] = wazuh.parse(load("wazuh_syscheck"), NOW)
    assert one.severity == "low"  # level 7
    assert one.labels["syscheck_path"] == "/var/www/portal/index.php"
    assert one.labels["syscheck_event"] == "modified"
    assert one.labels["rule_groups"] == "ossec,syscheck,syscheck_entry_modified,syscheck_file"
    assert one.labels["mitre_ids"] == "T1565.001"
    assert "srcip" not in one.labels
    assert one.description.startswith("File '/var/www/portal/index.php' modified\nMode: realtime")


@pytest.mark.parametrize("level, severity", [
    (0, "info"), (3, "info"), (4, "low"), (7, "low"), (8, "medium"), (10, "medium"),
    (11, "high"), (12, "high"), (13, "critical"), (15, "critical"), (16, "critical"), ("5", "low"),
])
def test_rule_level_maps_to_severity(level, severity):
    [one] = wazuh.parse(edited(rule__level=level), NOW)
    assert one.severity == severity
    assert one.labels["rule_level"] == str(level)


@pytest.mark.parametrize("level", [-1, 17, 7.5, True, "high", None])
def test_a_bad_rule_level_is_named(level):
    assert bad(wazuh.parse, edited(rule__level=level)).path == "rule.level"


@pytest.mark.parametrize("changes, path", [
    ({"rule": None}, "rule"),
    ({"rule": "31106"}, "rule"),
    ({"rule__id": None}, "rule.id"),
    ({"rule__id": ["31106"]}, "rule.id"),
    ({"rule__description": None}, "rule.description"),
    ({"rule__description": "  "}, "rule.description"),
    ({"rule__groups": "web"}, "rule.groups"),
    ({"rule__groups": ["web", 3]}, "rule.groups"),
    ({"rule__mitre__id": "T1190"}, "rule.mitre.id"),
    ({"agent": "portal-web01"}, "agent"),
    ({"agent__ip": 12}, "agent.ip"),
    ({"agent__name": "n" * 256}, "agent.name"),
    ({"data": ["x"]}, "data"),
    ({"data__srcip": {"ip": "x"}}, "data.srcip"),
    ({"decoder__name": False}, "decoder.name"),
    ({"location": "l" * 1001}, "location"),
    ({"timestamp": "01/Dec/2026:09:41:16"}, "timestamp"),
    ({"full_log": 7}, "full_log"),
])
def test_wrong_fields_are_named(changes, path):
    assert bad(wazuh.parse, edited(**changes)).path == path


def test_in_a_list_the_path_carries_the_index():
    payload = [load("wazuh_web_attack"), edited(rule__level="x")]
    assert bad(wazuh.parse, payload).path == "[1].rule.level"


def test_a_list_of_alerts_is_read_and_capped():
    assert len(wazuh.parse([load("wazuh_web_attack"), load("wazuh_syscheck")], NOW)) == 2
    assert bad(wazuh.parse, [load("wazuh_syscheck")] * 1001).path == ""


def test_an_unquoted_rule_id_is_read_as_text():
    assert wazuh.parse(edited(rule__id=31106), NOW)[0].labels["rule_id"] == "31106"


@pytest.mark.parametrize("agent, manager, host", [
    ({"id": "004", "name": "portal-web01", "ip": "127.0.20.11"}, {"name": "wazuh-laocai"}, "127.0.20.11"),
    ({"id": "004", "name": "Portal-Web01", "ip": "any"}, {"name": "wazuh-laocai"}, "portal-web01"),
    ({"id": "004", "name": "portal-web01"}, {"name": "wazuh-laocai"}, "portal-web01"),
    ({"id": "000", "name": "wazuh-laocai"}, {"name": "wazuh-manager-01"}, "wazuh-manager-01"),
    ({"id": "000", "name": "wazuh-laocai"}, None, "wazuh-laocai"),
    (None, None, ""),
])
def test_host_is_the_agent_ip_else_its_name_and_the_manager_for_agent_000(agent, manager, host):
    [one] = wazuh.parse(edited(agent=agent, manager=manager), NOW)
    assert one.host == host


def test_without_agent_the_labels_say_only_what_is_known():
    [one] = wazuh.parse(edited(agent=None, data=None, decoder=None), NOW)
    assert set(one.labels) == {"rule_id", "rule_level", "rule_groups", "location", "mitre_ids"}


@pytest.mark.parametrize("given, expected", [
    ("2026-12-01T02:41:17.328+0000", datetime(2026, 12, 1, 2, 41, 17, 328000)),
    ("2026-12-01T09:41:17.328+0700", datetime(2026, 12, 1, 2, 41, 17, 328000)),
    ("2026-12-01T02:41:17Z", datetime(2026, 12, 1, 2, 41, 17)),
    (None, NOW),
])
def test_timestamp(given, expected):
    assert wazuh.parse(edited(timestamp=given), NOW)[0].occurred_at == expected


def test_a_huge_full_log_is_cut_with_a_marker_not_refused():
    [one] = wazuh.parse(edited(full_log="A" * 500_000), NOW)
    assert len(one.description) == canonical.DESCRIPTION_MAX
    assert one.description.endswith("[… truncated: 500000 characters in all]")
    assert one.raw["truncated"] is True and one.raw["bytes"] > 500_000
    assert one.raw["head"].startswith('{"timestamp":"2026-12-01T02:41:17.328+0000"')


def test_a_long_rule_description_is_cut_to_the_title_cap():
    [one] = wazuh.parse(edited(rule__description="Windows logon " * 40), NOW)
    assert len(one.title) == canonical.TITLE_MAX and one.title.endswith("…")


def test_fingerprint_is_rule_and_agent_and_file_not_the_event():
    attack = wazuh.parse(load("wazuh_web_attack"), NOW)[0]
    again = wazuh.parse(edited(timestamp="2026-12-01T02:50:00.000+0000", id="1764557400.1",
                               rule__firedtimes=9, data__srcip="198.51.100.7"), NOW)[0]
    other_agent = wazuh.parse(edited(agent={"id": "005", "name": "dvc-web01", "ip": "127.0.20.12"}), NOW)[0]
    other_rule = wazuh.parse(edited(rule__id="31104"), NOW)[0]
    assert again.fingerprint == attack.fingerprint
    assert again.occurred_at != attack.occurred_at
    assert len({attack.fingerprint, other_agent.fingerprint, other_rule.fingerprint}) == 3


def test_each_changed_file_is_its_own_problem():
    index = wazuh.parse(load("wazuh_syscheck"), NOW)[0]
    config = wazuh.parse(edited("wazuh_syscheck", syscheck__path="/var/www/portal/config.php"), NOW)[0]
    assert index.fingerprint != config.fingerprint
    assert index.fingerprint == compute("wazuh", {"rule_id": "550", "agent_id": "004",
                                                  "syscheck_path": "/var/www/portal/index.php"})
