"""services.py: configurations are audited, their work items follow the groups they name (all
servers, an agency's, a level's), a server without an allowed address is refused when saved,
versions guard edits, disabling keeps results, "run now" only makes an item due."""
from datetime import datetime, timedelta

import pytest

from csirt import clock
from csirt.audit.models import AuditLog
from csirt.checks import services
from csirt.checks.models import CheckConfig, CheckResult, ServerCheck
from csirt.errors import Conflict, Forbidden, NotFound, ValidationError
from csirt.extensions import db

from .config_world import add_result, firewall, item_of, world_fixture  # noqa: F401

NOW = datetime(2026, 12, 4, 3, 0)


def _items(config, active=True):
    rows = db.session.execute(db.select(ServerCheck).where(ServerCheck.config_id == config.id,
                                                           ServerCheck.active.is_(active))).scalars()
    return {row.server.hostname for row in rows}


def test_a_group_of_all_servers_gets_one_item_per_server_due_now(world):
    clock.freeze(NOW)
    config = services.create_config(world["coordinator"], {"name": "Phần mềm diệt virus", "kind": "antivirus",
                                                           "scope": "group"})
    assert _items(config) == {"web-01", "db-01", "his-01", "far-01"}
    assert {i.next_run_at for i in db.session.execute(db.select(ServerCheck)).scalars()} == {NOW}
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "check.create")).scalar_one()
    assert entry.actor_id == world["coordinator"].id and entry.object_id == str(config.id)
    assert entry.after["kind"] == "antivirus" and entry.after["params"]["max_signature_days"] == 7


def test_a_group_narrowed_by_agency_and_level(world):
    admin = world["admin"]
    by_agency = services.create_config(admin, {"name": "A", "kind": "antivirus", "scope": "group",
                                               "agency_id": world["own"].id})
    by_level = services.create_config(admin, {"name": "L3", "kind": "antivirus", "scope": "group", "level": "3"})
    both = services.create_config(admin, {"name": "A+L2", "kind": "antivirus", "scope": "group",
                                           "agency_id": str(world["own"].id), "level": "2"})
    assert _items(by_agency) == {"web-01", "db-01", "far-01"}
    assert _items(by_level) == {"web-01", "his-01"}
    assert _items(both) == {"db-01"}


def test_a_per_server_firewall_check_on_a_server_without_an_allowed_address_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        services.create_config(world["coordinator"], firewall(world["outside"]))
    message = caught.value.errors["server_id"]
    assert "far-01" in message and "10.20.30.40" in message and "127.0.0.0/8" in message
    assert db.session.execute(db.select(CheckConfig)).first() is None
    # with targets of its own inside the allowed networks it is accepted
    config = services.create_config(world["coordinator"], firewall(world["outside"], targets="127.0.0.40"))
    assert config.params["targets"] == ["127.0.0.40"] and _items(config) == {"far-01"}


def test_an_agent_heartbeat_check_needs_no_scannable_address(world):
    config = services.create_config(world["coordinator"], {"name": "Wazuh", "kind": "agent", "mode": "heartbeat",
                                                           "scope": "server", "server_id": world["outside"].id})
    assert _items(config) == {"far-01"}
    with pytest.raises(ValidationError) as caught:
        services.create_config(world["coordinator"], {"name": "Wazuh port", "kind": "agent", "mode": "port",
                                                      "port": "1514", "scope": "server",
                                                      "server_id": world["outside"].id})
    assert "far-01" in caught.value.errors["server_id"]


def test_unknown_or_invisible_servers_and_agencies_are_refused(world):
    for data, field in ((firewall(server_id=999999, scope="server"), "server_id"),
                        ({"name": "x", "kind": "antivirus", "scope": "group", "agency_id": 999999}, "agency_id")):
        with pytest.raises(ValidationError) as caught:
            services.create_config(world["admin"], data)
        assert field in caught.value.errors


@pytest.mark.parametrize("role", ["responder", "manager", "liaison"])
def test_only_admins_and_coordinators_configure(world, role):
    with pytest.raises(Forbidden):
        services.create_config(world[role], firewall(world["web"]))
    assert db.session.execute(db.select(CheckConfig)).first() is None


def test_an_edit_is_audited_and_makes_the_items_due_now(world):
    clock.freeze(NOW)
    config = services.create_config(world["coordinator"], firewall(world["web"]))
    item = item_of(config, world["web"])
    item.next_run_at = NOW + timedelta(minutes=10)
    db.session.commit()
    clock.freeze(NOW + timedelta(minutes=1))
    services.update_config(world["admin"], config.id, firewall(world["web"], ports="22, 3306", kind="portal"),
                           config.version)
    assert config.kind == "firewall" and config.params["ports"] == "22/tcp, 3306/tcp"
    assert item_of(config, world["web"]).next_run_at == NOW + timedelta(minutes=1)
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "check.update")).scalar_one()
    assert entry.before == {"params": {"ports": "1-1024/tcp", "targets": [], "closed_fails": False}}


def test_moving_a_check_to_another_server_deactivates_the_old_item(world):
    config = services.create_config(world["coordinator"], firewall(world["web"]))
    services.update_config(world["coordinator"], config.id, firewall(world["db"]))
    assert _items(config) == {"db-01"} and _items(config, active=False) == {"web-01"}


def test_a_stale_version_is_a_conflict(world):
    config = services.create_config(world["coordinator"], firewall(world["web"]))
    old = config.version
    services.update_config(world["coordinator"], config.id, firewall(world["web"], name="Mới"), old)
    with pytest.raises(Conflict):
        services.update_config(world["coordinator"], config.id, firewall(world["web"], name="Cũ"), old)
    assert db.session.get(CheckConfig, config.id).name == "Mới"


def test_disable_keeps_items_and_results_inactive_and_enable_brings_them_back(world):
    config = services.create_config(world["coordinator"], firewall(world["web"]))
    add_result(item_of(config, world["web"]), "pass", {"reason": "ok"})
    services.set_enabled(world["coordinator"], config.id, False)
    assert _items(config) == set() and _items(config, active=False) == {"web-01"}
    assert db.session.execute(db.select(db.func.count(CheckResult.id))).scalar() == 1
    services.set_enabled(world["coordinator"], config.id, True)
    assert _items(config) == {"web-01"}
    actions = db.session.execute(db.select(AuditLog.action).where(AuditLog.action.like("check.%"))
                                 .order_by(AuditLog.id)).scalars().all()
    assert actions == ["check.create", "check.disable", "check.enable"]


def test_delete_removes_items_and_results_and_is_audited(world):
    config = services.create_config(world["coordinator"], firewall(world["web"]))
    add_result(item_of(config, world["web"]), "fail", {"reason": "open_ports", "unexpected": ["3306/tcp"]})
    config_id = config.id
    services.delete_config(world["admin"], config_id)
    assert db.session.get(CheckConfig, config_id) is None
    assert db.session.execute(db.select(db.func.count(ServerCheck.id))).scalar() == 0
    assert db.session.execute(db.select(db.func.count(CheckResult.id))).scalar() == 0
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "check.delete")).scalar_one()
    assert entry.before["name"] == "Tường lửa"


def test_run_now_only_makes_the_item_due(world):
    clock.freeze(NOW)
    config = services.create_config(world["coordinator"], firewall(world["web"]))
    item = item_of(config, world["web"])
    item.next_run_at = NOW + timedelta(hours=1)
    db.session.commit()
    clock.freeze(NOW + timedelta(minutes=5))
    services.run_now(world["responder"], item.id)
    item = item_of(config, world["web"])
    assert item.next_run_at == NOW + timedelta(minutes=5) and item.state == "never" and item.last_run_at is None
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "check.run_now")).scalar_one()
    with pytest.raises(Forbidden):
        services.run_now(world["liaison"], item.id)
    with pytest.raises(NotFound):
        services.run_now(world["stranger"], item.id)
