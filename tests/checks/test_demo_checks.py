"""The demo province's scheduled checks (csirt/demo/checks.py): after `demo load` the 15 servers
are checked out of the box on their loopback stand-ins, every configuration is one the pages
would accept, the demo heartbeats give a realistic mix, and a second load creates nothing."""
import sqlalchemy as sa

from csirt.checks import validation
from csirt.checks.models import CheckConfig, ServerCheck, ServerHeartbeat
from csirt.clock import utcnow
from csirt.demo import data, load
from csirt.demo.checks import OLD_SIGNATURES, stand_in
from csirt.systems.models import Server


def _count(db, model):
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()


def _as_form(config):
    """A stored configuration as the data a page would submit."""
    scope = {"scope": "server", "server_id": config.server_id} if config.server_id else \
        {"scope": "group", "agency_id": config.agency_id or "", "level": config.level or ""}
    return {"name": config.name, "kind": config.kind, **scope, **config.params,
            "interval_seconds": config.interval_seconds, "timeout_seconds": config.timeout_seconds,
            "enabled": config.enabled}


def test_demo_load_checks_every_server_with_valid_configurations_and_twice_creates_nothing(app, db):
    summary = load()
    assert summary["servers"] == 15 and summary["created"]["checks"] == 15 + 3
    servers = {s.hostname: s for s in db.session.execute(sa.select(Server)).scalars()}
    number = {hostname: n for n, (hostname, *_rest) in enumerate(data.SERVERS, start=1)}

    # every server has an active firewall item, scanning its own loopback stand-in
    items = db.session.execute(sa.select(ServerCheck).where(ServerCheck.active.is_(True))).scalars().all()
    kinds = {}
    for item in items:
        kinds.setdefault(item.kind, set()).add(item.server_id)
    assert kinds["firewall"] == kinds["agent"] == kinds["antivirus"] == {s.id for s in servers.values()}
    configs = db.session.execute(sa.select(CheckConfig)).scalars().all()
    for config in configs:
        if config.kind == "firewall":
            host = config.server.hostname
            assert config.params["targets"] == [stand_in(number[host])] == [f"127.0.10.{number[host]}"]
        # each is exactly what the validator makes of it: saved through it, and still accepted
        values, errors = validation.check_config(_as_form(config))
        assert errors == {}, (config.name, errors)
        assert values["params"] == config.params and values["enabled"] is True
    portal = [c for c in configs if c.kind == "portal"]
    assert len(portal) == 1 and portal[0].params["url"] == app.config["CSIRT_BASE_URL"] + "/healthz"
    assert portal[0].server.hostname == "dc-web-01"
    assert all(item.state == "never" and item.next_run_at <= utcnow() for item in items)  # due at once

    # heartbeats: all but one server, recent but one, two with old antivirus signatures
    beats = {b.server_id: b for b in db.session.execute(sa.select(ServerHeartbeat)).scalars()}
    assert servers["dc-bak-01"].id not in beats and len(beats) == 14
    ages = {h: (utcnow() - beats[s.id].received_at).total_seconds() / 60 for h, s in servers.items() if s.id in beats}
    assert ages["dc-igate-02"] > 24 * 60 and sum(1 for a in ages.values() if a < 10) == 13
    today = utcnow().date()
    old = {h for h, s in servers.items() if s.id in beats and beats[s.id].signature_date
           and (today - beats[s.id].signature_date).days > 7}
    assert old == set(OLD_SIGNATURES)
    assert beats[servers["dc-hv-01"].id].antivirus_product == ""  # no antivirus expected there

    # a second load creates nothing (and keeps one row of each)
    counts = (_count(db, CheckConfig), _count(db, ServerCheck), _count(db, ServerHeartbeat))
    again = load()
    assert again["created"]["checks"] == 0 and not any(again["created"].values())
    assert (_count(db, CheckConfig), _count(db, ServerCheck), _count(db, ServerHeartbeat)) == counts
