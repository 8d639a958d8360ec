"""Coverage of the servers' controls from the scheduled checks: the compliance dashboard's shares
and lists (figures, page, API) and layer 2's agent state, computed by hand on a small dataset."""
from datetime import datetime, timedelta

import pytest

from csirt import clock
from csirt.auth.tokens import create_token
from csirt.checks import coverage
from csirt.checks.models import CheckConfig, ServerCheck
from csirt.extensions import db
from csirt.reports.compliance.figures import Filters, compute
from csirt.systems.models import InformationSystem, Server
from csirt.systems.summary import agents_label, agents_state, system_summary

NOW = datetime(2026, 6, 1, 12, 0)
INTERVAL = 600  # seconds: a run counts for 2 × 600 s = 20 minutes


# --- the pure core ----------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "minutes_ago", "expected"), [
    ("pass", 5, "verified"), ("warn", 19, "verified"), ("pass", 20, "verified"),  # 20 min: the boundary
    ("pass", 21, "stale"), ("warn", 30, "stale"), ("error", 1, "stale"), ("interrupted", 1, "stale"),
    ("fail", 1, "failing"), ("fail", 500, "failing"), ("never", None, "never"),
])
def test_one_item_verdict(state, minutes_ago, expected):
    last = None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago)
    assert coverage.item_verdict(state, last, INTERVAL, NOW) == expected


def test_a_server_verdict_needs_every_item_verified():
    fresh, old = NOW - timedelta(minutes=1), NOW - timedelta(hours=2)
    assert coverage.verdict([], NOW) == "never"
    assert coverage.verdict([("pass", fresh, INTERVAL), ("warn", fresh, INTERVAL)], NOW) == "verified"
    assert coverage.verdict([("pass", fresh, INTERVAL), ("pass", old, INTERVAL)], NOW) == "stale"
    assert coverage.verdict([("pass", fresh, INTERVAL), ("never", None, INTERVAL)], NOW) == "stale"
    assert coverage.verdict([("pass", fresh, INTERVAL), ("fail", fresh, INTERVAL)], NOW) == "failing"
    assert coverage.verdict([("never", None, INTERVAL)] * 2, NOW) == "never"


def test_tally_counts_only_expected_servers_and_none_without_items():
    servers = [(1, "b", {"firewall": True, "agent": True}), (2, "a", {"firewall": True, "agent": False}),
               (3, "c", {"firewall": False, "agent": False})]
    items = [(1, "firewall", "pass", NOW, INTERVAL), (3, "firewall", "fail", NOW, INTERVAL)]
    found = coverage.tally(servers, items, NOW)
    assert found["agent"] is None  # no agent check at all: "not checked"
    fw = found["firewall"]
    assert (fw.expected, fw.verified, fw.share, fw.never, fw.failing) == (2, 1, 50.0, [(2, "a")], [])


# --- on the database ------------------------------------------------------------------------

def _server(agency, hostname, number, baseline="22/tcp", antivirus="Kaspersky", agent="Wazuh", archived=False):
    row = Server(hostname=hostname, agency_id=agency.id, addresses=[f"127.0.30.{number}"], baseline_ports=baseline,
                 antivirus_expected=antivirus, agent_expected=agent,
                 archived_at=NOW - timedelta(days=1) if archived else None)
    db.session.add(row)
    db.session.flush()
    return row


def _config(kind, name, **scope):
    row = CheckConfig(name=name, kind=kind, params={}, interval_seconds=INTERVAL, timeout_seconds=60, **scope)
    db.session.add(row)
    db.session.flush()
    return row


def _item(config, server, state, minutes_ago=None, active=True):
    db.session.add(ServerCheck(config_id=config.id, server_id=server.id, kind=config.kind, active=active,
                               next_run_at=NOW, state=state,
                               last_run_at=None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago)))


@pytest.fixture(name="world")
def world_fixture(app, make):
    clock.freeze(NOW)
    own, other = make.agency(code="OWN", name="Sở Nội vụ"), make.agency(code="OTHER", name="Sở Y tế")
    s = {name: _server(own, name, n) for n, name in enumerate(("a1", "a2", "a3", "a4", "a5"), start=1)}
    s["a6"] = _server(own, "a6", 6, baseline="", agent="")  # expects no firewall, no agent
    s["b1"] = _server(other, "b1", 7)
    s["b2"] = _server(other, "b2", 8)
    s["gone"] = _server(own, "gone", 9, archived=True)
    fw_own = _config("firewall", "Tường lửa OWN", agency_id=own.id)
    fw_b1 = _config("firewall", "Tường lửa b1", server_id=s["b1"].id)
    _item(fw_own, s["a1"], "pass", 5)      # verified
    _item(fw_own, s["a2"], "pass", 30)     # a pass too old: not verified
    _item(fw_own, s["a3"], "fail", 2)      # failing
    _item(fw_own, s["a4"], "never")        # never checked
    _item(fw_own, s["a5"], "warn", 19)     # warn passes the control
    _item(fw_own, s["a6"], "fail", 1)      # not expected: not counted
    _item(fw_own, s["gone"], "fail", 1)    # archived: not counted
    _item(fw_b1, s["b1"], "pass", 1)       # verified; b2 has no firewall item: never checked
    agent, agent_port = _config("agent", "Agent"), _config("agent", "Agent cổng")
    _item(agent, s["a1"], "pass", 1)
    _item(agent_port, s["a1"], "pass", 90)  # a1's second agent check is too old
    _item(agent, s["a2"], "pass", 1)
    _item(agent, s["b1"], "fail", 1, active=False)  # an inactive item does not count
    system = InformationSystem(code="QLVB", name="Quản lý văn bản", level=3, owner_agency_id=own.id)
    system.servers = [s["a1"], s["a2"], s["a3"]]
    quiet = InformationSystem(code="HIS", name="Bệnh viện", level=3, owner_agency_id=other.id)
    quiet.servers = [s["b2"]]
    db.session.add_all([system, quiet])
    db.session.commit()
    users = {"coordinator": make.user("coordinator", agency_obj=own), "liaison": make.user("member", agency_obj=own)}
    return {"own": own, "other": other, "servers": s, "system": system, "quiet": quiet, **users}


def _names(rows):
    return [hostname for _id, hostname in rows]


def test_the_coordinator_sees_every_agency(world):
    controls = compute(world["coordinator"]).servers["controls"]
    fw = controls["firewall"]
    # expected: a1..a5, b1, b2 (a6 expects none, "gone" is archived); verified a1, a5, b1 = 3 of 7
    assert (fw["expected"], fw["coverage"].expected, fw["coverage"].verified) == (7, 7, 3)
    assert fw["verified"] == round(100 * 3 / 7, 1) == 42.9
    assert _names(fw["coverage"].failing) == ["a3"]
    assert _names(fw["coverage"].never) == ["a4", "b2"]
    assert _names(fw["coverage"].stale) == ["a2"]
    assert controls["antivirus"]["verified"] is None and controls["antivirus"]["coverage"] is None
    agent = controls["agent"]
    # expects an agent: a1..a5, b1, b2; only a2 is verified (a1's second check is old, b1's item inactive)
    assert (agent["coverage"].expected, agent["coverage"].verified, agent["verified"]) == (7, 1, 14.3)
    assert _names(agent["coverage"].stale) == ["a1"]
    assert _names(agent["coverage"].never) == ["a3", "a4", "a5", "b1", "b2"]


def test_a_liaison_sees_their_agency_only(world):
    fw = compute(world["liaison"]).servers["controls"]["firewall"]
    assert (fw["coverage"].expected, fw["coverage"].verified, fw["verified"]) == (5, 2, 40.0)
    assert _names(fw["coverage"].never) == ["a4"]
    assert _names(fw["coverage"].failing) == ["a3"]


def test_the_agency_filter_narrows_and_a_control_without_checks_there_is_not_checked(world):
    controls = compute(world["coordinator"], Filters(agency_id=world["other"].id)).servers["controls"]
    fw = controls["firewall"]
    assert (fw["coverage"].expected, fw["coverage"].verified, fw["verified"]) == (2, 1, 50.0)
    assert controls["agent"]["coverage"] is None  # b1's agent item is inactive: nothing applies here


def test_layer_2_shows_the_agents_of_the_system_servers(world):
    state = agents_state(world["system"])
    assert (state.alive, state.total, state.silent) == (1, 3, ["a1", "a3"])
    assert agents_label(state) == "1/3 agent giám sát còn hoạt động; im lặng: a1, a3"
    assert agents_state(world["quiet"]) is None  # no agent check on its server
    assert system_summary(world["system"]).layers[1].agents == state


def test_the_page_lists_failing_and_never_checked_servers_with_links(world, client, auth):
    auth.login(world["coordinator"])
    html = client.get("/compliance").get_data(as_text=True)
    row = html[html.index('data-control="firewall"'):html.index('data-control="antivirus"')]
    assert 'data-share="42.9"' in row
    failing = row[row.index('data-list="failing"'):]
    assert f'href="/systems/servers/{world["servers"]["a3"].id}">a3</a>' in failing.split("</div>")[0]
    never = row[row.index('data-list="never"'):].split("</div>")[0]
    assert ">a4</a>" in never and ">b2</a>" in never
    av = html[html.index('data-control="antivirus"'):html.index('data-control="agent"')]
    assert "data-share" not in av  # not checked


def test_the_api_passes_the_coverage_through(world, client):
    _row, token = create_token(None, world["liaison"], "t", ["systems:read"], 30)
    body = client.get("/api/v1/compliance", headers={"Authorization": f"Bearer {token}"}).get_json()
    fw = body["servers"]["controls"]["firewall"]
    assert fw["verified_share"] == 40.0
    assert fw["coverage"]["failing"] == [{"id": world["servers"]["a3"].id, "hostname": "a3"}]
    assert [s["hostname"] for s in fw["coverage"]["never"]] == ["a4"]
    assert fw["coverage"]["counts"] == {"failing": 1, "never": 1, "stale": 1}
    assert body["servers"]["controls"]["antivirus"]["coverage"] is None

