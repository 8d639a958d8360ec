"""Shared data of D's tests (check configuration pages, services, API): two agencies, their people,
servers on loopback stand-ins and one outside the allowed networks, systems of levels 3 and 2."""
from datetime import timedelta

import pytest

from csirt.checks.models import CheckResult, CheckScan, ServerCheck
from csirt.clock import utcnow
from csirt.extensions import db
from csirt.systems import services as systems


@pytest.fixture(name="world")
def world_fixture(app, make):
    own, other = make.agency(code="OWN", name="Sở Nội vụ"), make.agency(code="OTHER", name="Sở Y tế")
    admin = make.user("admin", agency_obj=own)
    coordinator = make.user("coordinator", agency_obj=own)
    web = systems.create_server(coordinator, {"hostname": "web-01", "addresses": "127.0.0.5", "kind": "virtual",
                                              "agency_id": own.id, "baseline_ports": "22, 443"})
    db_server = systems.create_server(coordinator, {"hostname": "db-01", "addresses": "127.0.0.6",
                                                    "kind": "virtual", "agency_id": own.id})
    health = systems.create_server(coordinator, {"hostname": "his-01", "addresses": "127.0.0.7",
                                                 "kind": "virtual", "agency_id": other.id})
    outside = systems.create_server(coordinator, {"hostname": "far-01", "addresses": "10.20.30.40",
                                                  "kind": "virtual", "agency_id": own.id})
    systems.create_system(coordinator, {"code": "QLVB", "name": "Quản lý văn bản", "level": 3,
                                        "owner_agency_id": own.id, "server_ids": [web.id]})
    systems.create_system(coordinator, {"code": "HIS", "name": "Bệnh viện", "level": 3,
                                        "owner_agency_id": other.id, "server_ids": [health.id]})
    systems.create_system(coordinator, {"code": "CSDL", "name": "Cơ sở dữ liệu", "level": 2,
                                        "owner_agency_id": own.id, "server_ids": [db_server.id]})
    return {"own": own, "other": other, "admin": admin, "coordinator": coordinator,
            "responder": make.user("responder", agency_obj=own), "manager": make.user("manager", agency_obj=own),
            "liaison": make.user("member", agency_obj=own), "stranger": make.user("member", agency_obj=other),
            "web": web, "db": db_server, "health": health, "outside": outside}


def firewall(server=None, **over):
    data = {"name": "Tường lửa", "kind": "firewall", "scope": "server" if server else "group",
            "server_id": server.id if server else "", "ports": "1-1024", "interval_seconds": "600",
            "timeout_seconds": "60"}
    data.update(over)
    return data


def add_result(item, status, details, minutes_ago=0, command=None):
    """A stored run of `item` (what the runner writes), and the item's state after it."""
    started = utcnow() - timedelta(minutes=minutes_ago)
    result = CheckResult(server_check_id=item.id, server_id=item.server_id, kind=item.kind, status=status,
                         changed=item.state != status, started_at=started,
                         finished_at=started + timedelta(seconds=2), duration_ms=2000, details=details,
                         scan=CheckScan(started_at=started, argv=command, hosts=1) if command is not None else None)
    db.session.add(result)
    db.session.flush()
    item.state, item.state_since, item.last_run_at, item.last_result_id = status, started, started, result.id
    db.session.commit()
    return result


def item_of(config, server):
    return db.session.execute(db.select(ServerCheck).where(ServerCheck.config_id == config.id,
                                                           ServerCheck.server_id == server.id)).scalar_one()
