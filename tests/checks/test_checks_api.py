"""GET /api/v1/servers/<id>/checks: current state and recent results of a server's checks, with
the same visibility as the server (another agency's server is a 404 for a liaison) and scope."""
from csirt.checks import services
from tests.api.test_incidents_api import Api

from .config_world import add_result, firewall, item_of, world_fixture  # noqa: F401


def test_a_server_s_checks_with_state_history_and_summary(client, world):
    config = services.create_config(world["coordinator"], firewall(world["web"]))
    item = item_of(config, world["web"])
    add_result(item, "pass", {"reason": "ok", "open": ["22/tcp"]}, 10, command=["nmap", "-oX", "-", "127.0.0.5"])
    add_result(item, "fail", {"reason": "open_ports", "unexpected": ["3306/tcp"]}, 1,
               command=["nmap", "-oX", "-", "127.0.0.5"])
    response = Api(client, world["liaison"], ("systems:read",)).get(f"/servers/{world['web'].id}/checks")
    assert response.status_code == 200
    body = response.get_json()
    assert body["server"] == {"id": world["web"].id, "hostname": "web-01"}
    [entry] = body["items"]
    assert entry["kind"] == "firewall" and entry["state"] == "fail" and entry["config"]["name"] == "Tường lửa"
    assert [r["status"] for r in entry["results"]] == ["fail", "pass"]
    newest = entry["results"][0]
    assert newest["details"]["unexpected"] == ["3306/tcp"] and "3306/tcp" in newest["summary"]
    assert newest["command"] is None and newest["duration_ms"] == 2000  # a liaison: see below
    team = Api(client, world["manager"], ("systems:read",)).get(f"/servers/{world['web'].id}/checks")
    assert team.get_json()["items"][0]["results"][0]["command"] == ["nmap", "-oX", "-", "127.0.0.5"]


def test_a_liaison_reads_no_host_of_a_shared_scan(client, world):
    """One nmap run scans the servers of several agencies: its command line, and the hosts a
    result names (a group check's targets may be other agencies' hosts), are the team's only."""
    config = services.create_config(world["coordinator"], firewall(world["web"]))
    shared = ["nmap", "-oX", "-", "--", "127.0.0.5", "127.0.0.7"]  # 127.0.0.7: the other agency's server
    add_result(item_of(config, world["web"]), "fail",
               {"reason": "open_ports", "unexpected": ["3306/tcp"], "hosts": {"127.0.0.7": "down"}}, 1,
               command=shared)
    path = f"/servers/{world['web'].id}/checks"
    [liaison] = Api(client, world["liaison"], ("systems:read",)).get(path).get_json()["items"][0]["results"]
    assert liaison["command"] is None and "hosts" not in liaison["details"]
    assert "127.0.0.7" not in str(liaison) and "3306/tcp" in liaison["summary"]
    [team] = Api(client, world["manager"], ("systems:read",)).get(path).get_json()["items"][0]["results"]
    assert team["command"] == shared and "127.0.0.7" in team["summary"]


def test_another_agency_s_server_is_not_found(client, world):
    services.create_config(world["coordinator"], firewall(world["health"]))
    api = Api(client, world["liaison"], ("systems:read",))
    assert api.get(f"/servers/{world['health'].id}/checks").status_code == 404
    assert api.get("/servers/999999/checks").status_code == 404
    team = Api(client, world["manager"], ("systems:read",)).get(f"/servers/{world['health'].id}/checks")
    assert team.status_code == 200 and len(team.get_json()["items"]) == 1


def test_the_scope_systems_read_is_needed(client, world):
    api = Api(client, world["coordinator"], ("incidents:read",))
    assert api.get(f"/servers/{world['web'].id}/checks").status_code == 403


def test_a_server_without_checks_answers_an_empty_list(client, world):
    response = Api(client, world["coordinator"], ("systems:read",)).get(f"/servers/{world['db'].id}/checks")
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_the_answer_matches_the_openapi_document(client, world):
    import copy

    import jsonschema

    from csirt.api import openapi

    config = services.create_config(world["coordinator"], firewall(world["web"]))
    add_result(item_of(config, world["web"]), "error", {"reason": "nmap_missing"})
    body = Api(client, world["coordinator"], ("systems:read",)).get(f"/servers/{world['web'].id}/checks").get_json()
    schema = copy.deepcopy(openapi.SERVER_CHECKS_OUT)
    schema["properties"]["items"]["items"]["properties"]["results"]["items"] = openapi.CHECK_RESULT_OUT
    jsonschema.validate(body, schema)
    assert body["items"][0]["results"][0]["command"] is None


def test_every_reason_the_runners_give_has_a_sentence_of_its_own(app):
    from csirt.checks import display

    reasons = {"firewall": ["ok", "open_ports", "closed_ports", "bad_ports", "bad_target", "no_addresses",
                            "unresolved", "not_allowed", "timeout", "nmap_missing", "not_permitted", "killed",
                            "nmap_failed", "bad_output", "host_timeout", "no_result", "internal", "unknown_kind"],
               "agent": ["fresh", "stale", "never", "port_open", "port_closed", "wrong_agent"],
               "antivirus": ["ok", "no_report", "stale_report", "missing", "disabled", "old_signatures",
                             "wrong_product"],
               "tls": ["ok", "expiring", "expired", "name_mismatch", "untrusted", "connect_failed",
                       "handshake_failed", "no_certificate", "bad_target"],
               "portal": ["ok", "wrong_status", "slow", "connect_failed", "redirect_refused", "timeout",
                          "too_many_redirects"]}
    for kind, names in reasons.items():
        for reason in names:
            text = display.summary(kind, "fail", {"reason": reason})
            assert reason not in text, (kind, reason, text)
    assert "3306/tcp" in display.summary("firewall", "fail", {"reason": "open_ports", "unexpected": ["3306/tcp"]})
