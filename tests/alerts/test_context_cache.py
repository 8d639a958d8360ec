"""The worker's memory of what the inventory says about a host (csirt/alerts/context.py HostCache)."""
from csirt.alerts import context
from csirt.alerts.context import HostCache, HostLookup, shared_cache
from tests.conftest import recorded_statements

from . import intake_support

inventory = intake_support.inventory


def test_a_known_host_costs_no_query_while_it_is_remembered(app, db, inventory):
    cache = HostCache(60)
    first = HostLookup(cache)
    with recorded_statements(db.engine) as seen:
        first.prime(["portal-web01", "10.0.0.9", "nowhere.example"])
    assert len(seen) == 2  # the servers, their systems
    assert first.context("portal-web01").system == ("CONG-DVC",) and first.context("10.0.0.9").server == "mail01"
    second = HostLookup(cache)
    with recorded_statements(db.engine) as seen:
        second.prime(["PORTAL-WEB01", "10.0.0.9", "nowhere.example"])  # unknown hosts are remembered too
    assert seen == []
    assert second.facts("portal-web01").server_id == inventory["server"].id
    assert second.context("nowhere.example") == context.EMPTY


def test_what_is_remembered_expires(app, db, inventory, monkeypatch):
    cache = HostCache(60)
    clock = iter([1000.0, 1061.0])
    monkeypatch.setattr(context.time, "monotonic", lambda: next(clock))
    HostLookup(cache).prime(["portal-web01"])
    with recorded_statements(db.engine) as seen:
        HostLookup(cache).prime(["portal-web01"])
    assert len(seen) == 2  # 61 s later: asked again


def test_a_flood_of_made_up_hosts_does_not_grow_the_memory_for_ever(app, db):
    cache = HostCache(60, limit=10)
    for n in range(30):
        HostLookup(cache).prime([f"made-up-{n}.example"])
    assert len(cache._facts) <= 10


def test_the_memory_is_off_when_its_time_is_zero_and_shared_otherwise(app):
    assert app.config["CSIRT_ALERT_HOST_CACHE_SECONDS"] == 0 and shared_cache() is None
    app.config["CSIRT_ALERT_HOST_CACHE_SECONDS"] = 30
    assert shared_cache() is shared_cache() and shared_cache().seconds == 30
