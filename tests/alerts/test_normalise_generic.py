"""csirt's own alert JSON: every field checked, the path of a wrong one named."""
import json
from datetime import datetime, timedelta

import pytest

from csirt.alerts import canonical
from csirt.alerts.normalise import BadAlert, generic, parse
from csirt.alerts.normalise.fingerprint import compute
from csirt.errors import ValidationError

from .normalise_helpers import NOW, bad, load


def alert(**fields):
    base = {"source": "uptime-kuma", "title": "portal.laocai.example is down", "severity": "high"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def test_the_batch_fixture_becomes_three_canonical_alerts():
    alerts = parse("generic", load("generic_batch"), NOW)
    assert [a.source for a in alerts] == ["uptime-kuma", "zabbix", "mail-gateway"]
    assert [a.severity for a in alerts] == ["high", "medium", "critical"]  # error, Warning, critical
    first = alerts[0]
    assert first.format == "generic" and first.status == "firing"
    assert first.host == "portal.laocai.example"
    assert first.labels == {"monitor": "cong-thong-tin", "team": "web", "check": "http"}
    assert first.occurred_at == datetime(2026, 12, 1, 2, 5)  # 09:05 +07:00
    assert first.raw == load("generic_batch")[0]
    assert alerts[1].fingerprint == "zabbix:24518:db-hcc01"


def test_a_single_object_gives_one_alert_with_defaults():
    [one] = generic.parse(alert(), NOW)
    assert one.status == "firing"
    assert one.occurred_at == NOW
    assert one.labels == {} and one.host == "" and one.description == ""
    assert one.fingerprint == compute("uptime-kuma", {}, "", "portal.laocai.example is down")


@pytest.mark.parametrize("field", ["source", "title", "severity"])
def test_a_missing_required_field_is_named(field):
    err = bad(generic.parse, alert(**{field: None}))
    assert err.path == field
    assert "required" in str(err.reason)
    assert str(err) == f"{field}: {err.reason}"


def test_in_a_list_the_path_carries_the_index():
    payload = [alert(), alert(labels={"team": 5})]
    err = bad(generic.parse, payload)
    assert err.path == "[1].labels.team"


def test_bad_alert_is_a_validation_error_whose_errors_name_the_path():
    err = bad(generic.parse, alert(severity="bogus"))
    assert isinstance(err, ValidationError) and err.status == 400
    assert list(err.errors) == ["severity"]
    assert "info, low, medium, high, critical" in str(err.errors["severity"])


@pytest.mark.parametrize("payload, path", [
    ("just text", ""),
    (42, ""),
    ([], ""),
    (["not an object"], "[0]"),
    ({"source": "x", "title": "t", "severity": "high", "sevrity": "high"}, "sevrity"),
])
def test_payload_shape_errors(payload, path):
    assert bad(generic.parse, payload).path == path


def test_an_unknown_key_is_refused_and_the_message_lists_the_fields():
    err = bad(generic.parse, alert(occured_at="2026-12-01T00:00:00Z"))
    assert err.path == "occured_at"
    assert "occurred_at" in str(err.reason)


def test_more_than_a_thousand_alerts_are_refused_at_the_root():
    err = bad(generic.parse, [alert()] * 1001)
    assert err.path == ""
    assert "1000" in str(err.reason)
    assert len(generic.parse([alert()] * 1000, NOW)) == 1000


@pytest.mark.parametrize("given, expected", [
    ("high", "high"), ("HIGH", "high"), (" Critical ", "critical"),
    ("warning", "medium"), ("Warning", "medium"), ("error", "high"), ("ERROR", "high"),
    ("informational", "info"), ("Information", "info"), ("notice", "low"),
    ("emergency", "critical"), ("alert", "critical"), ("FATAL", "critical"),
])
def test_severity_synonyms(given, expected):
    assert generic.parse(alert(severity=given), NOW)[0].severity == expected


@pytest.mark.parametrize("given", ["severe", "", 3, None])
def test_a_bad_severity_is_named(given):
    payload = alert()
    payload["severity"] = given
    assert bad(generic.parse, payload).path == "severity"


def test_source_is_lower_cased_and_limited_to_a_safe_alphabet():
    assert generic.parse(alert(source="Uptime-Kuma"), NOW)[0].source == "uptime-kuma"
    assert bad(generic.parse, alert(source="uptime kuma")).path == "source"
    assert bad(generic.parse, alert(source="a" * 65)).path == "source"
    assert bad(generic.parse, alert(source=["x"])).path == "source"
    assert generic.parse(alert(source="a" * 64), NOW)[0].source == "a" * 64


@pytest.mark.parametrize("status, expected", [("firing", "firing"), ("Resolved", "resolved")])
def test_status(status, expected):
    assert generic.parse(alert(status=status), NOW)[0].status == expected


def test_a_bad_status_is_named():
    assert bad(generic.parse, alert(status="open")).path == "status"


@pytest.mark.parametrize("field, cap", [
    ("title", canonical.TITLE_MAX), ("host", canonical.HOST_MAX), ("description", canonical.DESCRIPTION_MAX),
])
def test_text_over_its_cap_is_refused_never_cut(field, cap):
    assert len(getattr(generic.parse(alert(**{field: "x" * cap}), NOW)[0], field)) == cap
    err = bad(generic.parse, alert(**{field: "x" * (cap + 1)}))
    assert err.path == field
    assert str(cap) in str(err.reason)


@pytest.mark.parametrize("field", ["title", "host", "description"])
def test_text_fields_must_be_strings(field):
    assert bad(generic.parse, alert(**{field: 12})).path == field


def test_title_and_host_are_one_line():
    assert bad(generic.parse, alert(title="two\nlines")).path == "title"
    assert bad(generic.parse, alert(host="a\x00b")).path == "host"
    assert generic.parse(alert(description="two\nlines"), NOW)[0].description == "two\nlines"


def test_an_empty_title_is_refused():
    assert bad(generic.parse, alert(title="   ")).path == "title"


def test_host_is_lower_cased():
    assert generic.parse(alert(host="Portal.LaoCai.example"), NOW)[0].host == "portal.laocai.example"


@pytest.mark.parametrize("value", [5, 1.5, True, None, ["a"], {"a": "b"}])
def test_label_values_that_are_not_strings_are_a_type_error_not_coerced(value):
    err = bad(generic.parse, alert(labels={"team": "web", "level": value}))
    assert err.path == "labels.level"
    assert "string" in str(err.reason)


def test_labels_must_be_an_object():
    assert bad(generic.parse, alert(labels=["team=web"])).path == "labels"


def test_label_caps():
    many = {f"k{i}": "v" for i in range(canonical.LABELS_MAX)}
    assert len(generic.parse(alert(labels=many), NOW)[0].labels) == canonical.LABELS_MAX
    err = bad(generic.parse, alert(labels={**many, "one_more": "v"}))
    assert err.path == "labels" and str(canonical.LABELS_MAX) in str(err.reason)
    long_key = "k" * (canonical.LABEL_KEY_MAX + 1)
    assert bad(generic.parse, alert(labels={long_key: "v"})).path.startswith("labels.kkk")
    assert bad(generic.parse, alert(labels={"team": "w" * (canonical.LABEL_VALUE_MAX + 1)})).path == "labels.team"
    assert bad(generic.parse, alert(labels={" ": "v"})).path == "labels"


@pytest.mark.parametrize("given, expected", [
    ("2026-12-01T09:05:00+07:00", datetime(2026, 12, 1, 2, 5)),
    ("2026-12-01T02:05:00Z", datetime(2026, 12, 1, 2, 5)),
    ("2026-12-01T02:05:00.250Z", datetime(2026, 12, 1, 2, 5, 0, 250000)),
    ("2026-12-01T02:05:00", datetime(2026, 12, 1, 2, 5)),  # naive = UTC, not province time
    ("2026-11-30T21:05:00-05:00", datetime(2026, 12, 1, 2, 5)),
    ("2026-12-01T02:05:00+0000", datetime(2026, 12, 1, 2, 5)),
])
def test_times_become_naive_utc(given, expected):
    moment = generic.parse(alert(occurred_at=given), NOW)[0].occurred_at
    assert moment == expected and moment.tzinfo is None


@pytest.mark.parametrize("given", ["yesterday", "", "2026-13-01T00:00:00Z", 1764556800, "2" * 80])
def test_a_bad_time_is_named(given):
    err = bad(generic.parse, alert(occurred_at=given))
    assert err.path == "occurred_at"


def test_a_time_more_than_a_day_ahead_is_refused():
    ahead = NOW + timedelta(days=1, minutes=1)
    err = bad(generic.parse, alert(occurred_at=ahead.isoformat() + "Z"))
    assert err.path == "occurred_at" and "future" in str(err.reason)
    within = NOW + timedelta(hours=23)
    assert generic.parse(alert(occurred_at=within.isoformat() + "Z"), NOW)[0].occurred_at == within


def test_a_sender_fingerprint_is_kept_and_checked():
    assert generic.parse(alert(fingerprint="kuma:42:portal"), NOW)[0].fingerprint == "kuma:42:portal"
    assert bad(generic.parse, alert(fingerprint="has space")).path == "fingerprint"
    assert bad(generic.parse, alert(fingerprint="f" * 129)).path == "fingerprint"
    assert bad(generic.parse, alert(fingerprint=42)).path == "fingerprint"


def test_the_computed_fingerprint_follows_source_labels_and_host_not_the_time():
    one = generic.parse(alert(labels={"team": "web"}, occurred_at="2026-12-01T00:00:00Z"), NOW)[0]
    same = generic.parse(alert(labels={"team": "web"}, title="reworded", status="resolved"), NOW)[0]
    other_host = generic.parse(alert(labels={"team": "web"}, host="mail.laocai.example"), NOW)[0]
    assert one.fingerprint == same.fingerprint
    assert one.fingerprint != other_host.fingerprint


def test_raw_is_the_object_when_small_and_a_stub_when_over_the_limit():
    small = alert(description="short")
    assert generic.parse(small, NOW)[0].raw == small
    big = alert(description="đ" * 19000, labels={f"k{i}": "v" * 1000 for i in range(60)})
    raw = generic.parse(big, NOW)[0].raw
    size = len(json.dumps(big, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    assert size > canonical.RAW_MAX
    assert raw["truncated"] is True and raw["bytes"] == size
    assert len(raw["head"].encode("utf-8")) <= 4096
    assert raw["head"].startswith('{"source":"uptime-kuma"')


def test_bad_alert_repr_and_root_message():
    err = bad(generic.parse, "x")
    assert err.path == "" and str(err) == str(err.reason)
    assert list(err.errors) == ["body"]
    assert isinstance(err, BadAlert) and "BadAlert(''" in repr(err)


def test_the_message_is_vietnamese_by_default_in_the_app(app):
    err = bad(generic.parse, alert(title=None))
    with app.test_request_context("/api/v1/alerts"):
        assert str(err) == "title: Trường này là bắt buộc."
        assert err.errors == {"title": err.reason} and str(err.reason) == "Trường này là bắt buộc."


@pytest.mark.parametrize("name", ["check", "manual", "CHECK"])
def test_a_sender_cannot_pose_as_csirts_own_checks_or_a_person(name):
    with pytest.raises(BadAlert) as refused:
        generic.parse({"source": name, "title": "t", "severity": "high"}, NOW)
    assert refused.value.path == "source" and "reserved" in str(refused.value.reason)
