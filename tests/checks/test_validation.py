"""validation.py: every kind's parameters, good and bad; hostile and outside targets refused when
the configuration is saved, with a translated message; interval, timeout and scope rules."""
import pytest
from flask_babel import force_locale

from csirt.checks import validation
from csirt.errors import ValidationError


def errors_of(kind, data):
    with pytest.raises(ValidationError) as caught:
        validation.clean(kind, data)
    return caught.value.errors


HOSTILE = ["127.0.0.1 -iL /etc/passwd", "-oN /tmp/x", "fe80::1%x -iL x", "127.0.0.1\t-sV", "--script=vuln",
           "127.0.0.1;id", "$(reboot)", "127.0.0.1/8"]


# --- firewall ----------------------------------------------------------------------------------

def test_firewall_ports_are_stored_as_canonical_text(app):
    params, interval, timeout = validation.clean("firewall", {"ports": "3306, 22/tcp 161/udp 20-25",
                                                              "interval_seconds": "300", "timeout_seconds": "30"})
    assert params == {"ports": "20-25/tcp, 3306/tcp, 161/udp", "targets": [], "closed_fails": False}
    assert (interval, timeout) == (300, 30)


def test_firewall_targets_are_normalised_and_deduplicated(app):
    params, _, _ = validation.clean("firewall", {"ports": "22", "targets": "127.0.0.5\n127.0.0.5, 127.0.1.0/30",
                                                 "closed_fails": "y"})
    assert params["targets"][0] == "127.0.0.5"
    assert len(params["targets"]) == 2 and params["targets"][1].startswith("127.0.1.0")
    assert params["closed_fails"] is True


@pytest.mark.parametrize("ports", ["", "22; rm -rf /", "70000", "22/icmp", "-p 22", "443-80", "22 -sV"])
def test_firewall_bad_port_sets_are_refused(app, ports):
    assert "ports" in errors_of("firewall", {"ports": ports})


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_targets_are_refused_when_saved(app, hostile):
    errors = errors_of("firewall", {"ports": "22", "targets": [hostile]})
    assert errors["targets"]


def test_a_target_outside_the_allowed_networks_is_refused_with_a_translated_message(app):
    with force_locale("vi"):
        vietnamese = errors_of("firewall", {"ports": "22", "targets": "10.0.0.1"})["targets"]
    with force_locale("en"):
        english = errors_of("firewall", {"ports": "22", "targets": "10.0.0.1"})["targets"]
    assert "10.0.0.1" in english and vietnamese != english


def test_the_allowed_networks_come_from_the_config(app):
    app.config["CSIRT_SCAN_ALLOWED_NETWORKS"] = "192.0.2.0/24"
    params, _, _ = validation.clean("firewall", {"ports": "22", "targets": "192.0.2.7"})
    assert params["targets"] == ["192.0.2.7"]
    assert "targets" in errors_of("firewall", {"ports": "22", "targets": "127.0.0.1"})


# --- agent, antivirus --------------------------------------------------------------------------

def test_agent_heartbeat_and_port_modes(app):
    params, _, _ = validation.clean("agent", {"mode": "heartbeat", "stale_minutes": "30"})
    assert params == {"mode": "heartbeat", "stale_minutes": 30}
    params, _, _ = validation.clean("agent", {"mode": "port", "port": "1514", "targets": "127.0.0.9"})
    assert params == {"mode": "port", "stale_minutes": 15, "port": 1514, "targets": ["127.0.0.9"]}


@pytest.mark.parametrize("data, field", [({"mode": "smoke"}, "mode"), ({"mode": "port"}, "port"),
                                         ({"mode": "port", "port": "0"}, "port"),
                                         ({"mode": "port", "port": "65536"}, "port"),
                                         ({"mode": "heartbeat", "stale_minutes": "0"}, "stale_minutes"),
                                         ({"mode": "heartbeat", "stale_minutes": "abc"}, "stale_minutes"),
                                         ({"mode": "port", "port": "1514", "targets": "8.8.8.8"}, "targets")])
def test_agent_bad_parameters_are_refused(app, data, field):
    assert field in errors_of("agent", data)


def test_antivirus_defaults_and_limits(app):
    params, _, _ = validation.clean("antivirus", {})
    assert params == {"max_signature_days": 7, "stale_minutes": 1440}
    assert "max_signature_days" in errors_of("antivirus", {"max_signature_days": "-1"})
    assert "max_signature_days" in errors_of("antivirus", {"max_signature_days": "366"})
    assert "stale_minutes" in errors_of("antivirus", {"stale_minutes": "1.5"})


# --- tls, portal -------------------------------------------------------------------------------

def test_tls_host_port_name_and_days(app):
    params, _, _ = validation.clean("tls", {"host": "127.0.0.1", "port": "8443", "server_name": "Portal.Example",
                                            "min_days": "30"})
    assert params == {"host": "127.0.0.1", "port": 8443, "server_name": "portal.example", "min_days": 30}
    assert validation.clean("tls", {"host": "127.0.0.1"})[0] == {"host": "127.0.0.1", "port": 443, "min_days": 14}


@pytest.mark.parametrize("data, field", [({}, "host"), ({"host": "127.0.0.0/30"}, "host"),
                                         ({"host": "8.8.8.8"}, "host"), ({"host": "-oX x"}, "host"),
                                         ({"host": "127.0.0.1", "port": "0"}, "port"),
                                         ({"host": "127.0.0.1", "server_name": "bad name"}, "server_name"),
                                         ({"host": "127.0.0.1", "min_days": "-3"}, "min_days")])
def test_tls_bad_parameters_are_refused(app, data, field):
    assert field in errors_of("tls", data)


def test_portal_url_status_and_latency(app):
    params, _, _ = validation.clean("portal", {"url": "https://127.0.0.1:8443/login?x=1", "expect_status": "302",
                                               "max_latency_ms": "500"})
    assert params == {"url": "https://127.0.0.1:8443/login?x=1", "expect_status": 302, "max_latency_ms": 500}


@pytest.mark.parametrize("url", ["", "ftp://127.0.0.1/", "file:///etc/passwd", "http://user:pw@127.0.0.1/",
                                 "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                                 "http://127.0.0.1:99999/", "http://127.0.0.1 /", "javascript:alert(1)",
                                 "http://" + "a" * 2100, "http:///path"])
def test_portal_bad_urls_are_refused(app, url):
    assert "url" in errors_of("portal", {"url": url})


@pytest.mark.parametrize("field, value", [("expect_status", "99"), ("expect_status", "600"),
                                          ("max_latency_ms", "0"), ("max_latency_ms", "x")])
def test_portal_bad_numbers_are_refused(app, field, value):
    assert field in errors_of("portal", {"url": "http://127.0.0.1/", field: value})


# --- schedule and scope ------------------------------------------------------------------------

@pytest.mark.parametrize("interval, timeout, field", [("59", "10", "interval_seconds"),
                                                      ("700000", "10", "interval_seconds"),
                                                      ("60", "0", "timeout_seconds"),
                                                      ("60", "60", "timeout_seconds"),
                                                      ("120", "abc", "timeout_seconds")])
def test_interval_and_timeout_limits(app, interval, timeout, field):
    assert field in errors_of("antivirus", {"interval_seconds": interval, "timeout_seconds": timeout})


def test_an_unknown_kind_is_refused(app):
    assert "kind" in errors_of("nmap", {})


def test_scope_is_one_server_or_a_group(app):
    values, errors = validation.check_config({"name": "x", "kind": "antivirus", "scope": "server",
                                              "server_id": "5", "agency_id": "3", "level": "2"})
    assert not errors and (values["server_id"], values["agency_id"], values["level"]) == (5, None, None)
    values, errors = validation.check_config({"name": "x", "kind": "antivirus", "scope": "group",
                                              "server_id": "5", "agency_id": "3", "level": "2"})
    assert not errors and (values["server_id"], values["agency_id"], values["level"]) == (None, 3, 2)
    values, errors = validation.check_config({"name": "x", "kind": "antivirus", "scope": "group"})
    assert not errors and (values["server_id"], values["agency_id"], values["level"]) == (None, None, None)


@pytest.mark.parametrize("data, field", [({"scope": "server"}, "server_id"), ({"scope": "galaxy"}, "scope"),
                                         ({"scope": "group", "level": "6"}, "level"),
                                         ({"scope": "group", "agency_id": "x"}, "agency_id"),
                                         ({"scope": "server", "server_id": "99999999999"}, "server_id"),
                                         ({"scope": "group", "name": ""}, "name")])
def test_bad_scopes_and_names_are_refused(app, data, field):
    data = {"name": "Kiểm tra", "kind": "antivirus", **data}
    _values, errors = validation.check_config(data)
    assert field in errors


def test_a_configuration_keeps_its_kind_on_edit(app):
    values, errors = validation.check_config({"name": "x", "kind": "portal", "scope": "group"}, kind="antivirus")
    assert not errors and values["kind"] == "antivirus"
