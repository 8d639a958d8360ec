"""Prometheus Alertmanager's webhook payload, version 4."""
import copy
from datetime import datetime, timedelta

import pytest

from csirt.alerts import canonical
from csirt.alerts.normalise import alertmanager, parse
from csirt.alerts.normalise.alertmanager import host_of_instance
from csirt.alerts.normalise.fingerprint import compute

from .normalise_helpers import NOW, bad, load


def group(**alert_fields):
    """The firing fixture cut to its first alert, with `alert_fields` replaced (None deletes)."""
    payload = load("alertmanager_firing")
    payload["alerts"] = payload["alerts"][:1]
    one = payload["alerts"][0]
    for key, value in alert_fields.items():
        if value is None:
            one.pop(key, None)
        else:
            one[key] = value
    return payload


def labels(**extra):
    base = {"alertname": "HostDown", "instance": "127.0.20.11:9100", "job": "node"}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def test_a_group_with_one_firing_and_one_resolved_alert():
    firing, resolved = parse("alertmanager", load("alertmanager_firing"), NOW)
    assert firing.source == "alertmanager" and firing.format == "alertmanager"
    assert firing.status == "firing" and resolved.status == "resolved"
    assert firing.severity == "critical"
    assert firing.title.startswith("Cổng thông tin điện tử tỉnh Lào Cai")
    assert firing.description.startswith("Blackbox probe https://portal.laocai.example/")
    assert firing.host == "portal.laocai.example" and resolved.host == "dichvucong.laocai.example"
    assert firing.labels["service"] == "cong-thong-tin-dien-tu"
    assert firing.labels == load("alertmanager_firing")["alerts"][0]["labels"]
    assert firing.fingerprint == "5c1e3a7f0d92b4e6"
    assert firing.occurred_at == datetime(2026, 12, 1, 1, 12, 30, 512000)  # startsAt, from +07:00
    assert resolved.occurred_at == datetime(2026, 12, 1, 1, 9, 0, 104000)  # endsAt
    assert firing.raw["receiver"] == "csirt-laocai"
    assert firing.raw["externalURL"] == "http://alertmanager.laocai.example:9093"
    assert firing.raw["groupKey"].startswith("{}/")
    assert firing.raw["alert"] == load("alertmanager_firing")["alerts"][0]


def test_the_resolved_notification_has_the_firing_alerts_fingerprint():
    [firing, _] = alertmanager.parse(load("alertmanager_firing"), NOW)
    [resolved] = alertmanager.parse(load("alertmanager_resolved"), NOW)
    assert resolved.status == "resolved"
    assert resolved.fingerprint == firing.fingerprint
    assert resolved.occurred_at == datetime(2026, 12, 1, 2, 47, 30, 512000)


@pytest.mark.parametrize("version", [None, "3", 4, "5"])
def test_another_version_is_refused_at_version(version):
    payload = load("alertmanager_firing")
    if version is None:
        del payload["version"]
    else:
        payload["version"] = version
    assert bad(alertmanager.parse, payload).path == "version"


@pytest.mark.parametrize("alerts, path", [(None, "alerts"), ({}, "alerts"), ([], "alerts"), (["x"], "alerts[0]")])
def test_the_alerts_list_is_checked(alerts, path):
    payload = load("alertmanager_firing")
    if alerts is None:
        del payload["alerts"]
    else:
        payload["alerts"] = alerts
    assert bad(alertmanager.parse, payload).path == path


def test_the_payload_must_be_an_object():
    assert bad(alertmanager.parse, [load("alertmanager_firing")]).path == ""


def test_a_group_over_the_batch_limit_is_refused():
    payload = load("alertmanager_firing")
    payload["alerts"] = payload["alerts"][:1] * 1001
    assert bad(alertmanager.parse, payload).path == "alerts"


def test_label_errors_name_the_alert_and_label():
    payload = load("alertmanager_firing")
    payload["alerts"][1]["labels"]["team"] = 7
    assert bad(alertmanager.parse, payload).path == "alerts[1].labels.team"


def test_the_alerts_own_status_wins_and_the_groups_is_the_fallback():
    payload = group(status=None)
    assert alertmanager.parse(payload, NOW)[0].status == "firing"
    payload["status"] = "resolved"
    assert alertmanager.parse(payload, NOW)[0].status == "resolved"
    assert bad(alertmanager.parse, group(status="pending")).path == "alerts[0].status"


def test_title_falls_back_to_alertname_and_description_to_message():
    [one] = alertmanager.parse(group(labels=labels(), annotations={"message": "Node exporter is unreachable."}), NOW)
    assert one.title == "HostDown"
    assert one.description == "Node exporter is unreachable."
    err = bad(alertmanager.parse, group(labels=labels(alertname=None), annotations={}))
    assert err.path == "alerts[0].labels.alertname"


def test_a_long_summary_is_made_one_line_and_cut_with_an_ellipsis():
    summary = "Disk\nfull " + "x" * 400
    [one] = alertmanager.parse(group(annotations={"summary": summary}), NOW)
    assert len(one.title) == canonical.TITLE_MAX and one.title.endswith("…")
    assert one.title.startswith("Disk full x")


def test_a_long_description_is_cut_with_a_marker():
    [one] = alertmanager.parse(group(annotations={"summary": "s", "description": "d" * 30000}), NOW)
    assert len(one.description) == canonical.DESCRIPTION_MAX
    assert one.description.endswith("[… truncated: 30000 characters in all]")


def test_annotations_of_the_wrong_type_are_named():
    assert bad(alertmanager.parse, group(annotations=["x"])).path == "alerts[0].annotations"
    assert bad(alertmanager.parse, group(annotations={"summary": 5})).path == "alerts[0].annotations.summary"


@pytest.mark.parametrize("instance, host", [
    ("127.0.20.11:9100", "127.0.20.11"),
    ("portal-web01.laocai.example:9100", "portal-web01.laocai.example"),
    ("[2001:db8::20]:9100", "2001:db8::20"),
    ("2001:db8::20", "2001:db8::20"),
    ("https://portal.laocai.example/login", "portal.laocai.example"),
    ("http://[2001:db8::20]:8080/", "2001:db8::20"),
    ("db-hcc01", "db-hcc01"),
    ("db-hcc01:metrics", "db-hcc01:metrics"),
])
def test_host_of_instance(instance, host):
    assert host_of_instance(instance) == host


@pytest.mark.parametrize("extra, host", [
    ({"instance": "Portal-Web01:9100"}, "portal-web01"),
    ({"instance": None, "host": "mail.laocai.example"}, "mail.laocai.example"),
    ({"instance": None, "hostname": "db-hcc01"}, "db-hcc01"),
    ({"instance": None, "nodename": "k8s-node-3"}, "k8s-node-3"),
    ({"instance": None}, ""),
])
def test_host_comes_from_instance_else_host_labels(extra, host):
    [one] = alertmanager.parse(group(labels=labels(**extra)), NOW)
    assert one.host == host


@pytest.mark.parametrize("given, expected", [
    ("critical", "critical"), ("Page", "critical"), ("error", "high"), ("high", "high"),
    ("major", "high"), ("warning", "medium"), ("WARN", "medium"), ("medium", "medium"),
    ("minor", "low"), ("low", "low"), ("info", "info"), ("none", "info"),
    (None, "medium"), ("something-else", "medium"),
])
def test_severity_from_the_severity_label(given, expected):
    [one] = alertmanager.parse(group(labels=labels(severity=given)), NOW)
    assert one.severity == expected
    if given:
        assert one.labels["severity"] == given  # the sender's own word stays


def test_zero_times_mean_absent_and_absent_means_now():
    zero = "0001-01-01T00:00:00Z"
    [firing] = alertmanager.parse(group(startsAt=zero), NOW)
    assert firing.occurred_at == NOW
    [resolved] = alertmanager.parse(group(status="resolved", endsAt=zero), NOW)
    assert resolved.occurred_at == NOW
    [no_times] = alertmanager.parse(group(startsAt=None, endsAt=None), NOW)
    assert no_times.occurred_at == NOW


def test_nanosecond_times_are_read():
    [one] = alertmanager.parse(group(startsAt="2026-12-01T02:00:00.739266876+02:00"), NOW)
    assert one.occurred_at == datetime(2026, 12, 1, 0, 0, 0, 739266)


def test_bad_times_are_named():
    assert bad(alertmanager.parse, group(startsAt="soon")).path == "alerts[0].startsAt"
    ahead = (NOW + timedelta(days=2)).isoformat() + "Z"
    assert bad(alertmanager.parse, group(startsAt=ahead)).path == "alerts[0].startsAt"


def test_the_fingerprint_is_computed_when_absent_and_checked_when_given():
    [one] = alertmanager.parse(group(fingerprint=None, labels=labels()), NOW)
    assert one.fingerprint == compute("alertmanager", labels(), "127.0.20.11", "")
    assert bad(alertmanager.parse, group(fingerprint="not valid!")).path == "alerts[0].fingerprint"


def test_fields_csirt_does_not_read_are_allowed_and_kept_in_raw():
    payload = group(values={"B": 44.2}, silenceURL="http://grafana.laocai.example/silence")
    payload["orgId"] = 1
    [one] = alertmanager.parse(payload, NOW)
    assert one.raw["alert"]["values"] == {"B": 44.2}


def test_raw_is_cut_when_the_alert_is_huge():
    payload = group(annotations={"summary": "s", "runbook": "r" * (70 * 1024)})
    [one] = alertmanager.parse(payload, NOW)
    assert one.raw["truncated"] is True and one.raw["bytes"] > canonical.RAW_MAX


def test_truncated_alerts_are_logged(caplog):
    payload = copy.deepcopy(load("alertmanager_firing"))
    payload["truncatedAlerts"] = 12
    with caplog.at_level("WARNING", logger="csirt.alerts.normalise.alertmanager"):
        assert len(alertmanager.parse(payload, NOW)) == 2
    assert "12" in caplog.text
