"""The checks' tick with fake kinds: results and states stored, state changes flagged, failures
and recoveries turned into one alert each, the number of runs at once bounded."""
from datetime import timedelta

from csirt import clock, markdown
from csirt.alerts.models import Alert
from csirt.checks import runner
from csirt.checks.alert import fingerprint, from_transition
from csirt.checks.models import ServerCheck

from .engine_support import FakeKind, config, items, results, server, use_kinds


def _three(make):
    agency = make.agency()
    return agency, [server(agency, f"web-{n}", [f"127.0.4.{n + 1}"]) for n in range(3)]


def test_results_and_states_are_stored_and_changes_flagged(app, db, make, monkeypatch):
    agency, servers = _three(make)
    cfg = config("agent", agency=agency, params={"mode": "heartbeat"}, interval=60)
    verdict = {"web-0": "pass", "web-1": "warn", "web-2": "error"}
    use_kinds(monkeypatch, agent=FakeKind(lambda job: verdict[job.hostname]))
    now = clock.utcnow()
    report = runner.tick(now=now)
    assert report.claimed == 3 and len(report.stored) == 3 and report.alerts == 0
    by_host = {row.server.hostname: row for row in items(cfg)}
    for host, status in verdict.items():
        row = by_host[host]
        [result] = results(row.id)
        assert (row.state, result.status, result.changed) == (status, status, True)
        assert row.last_result_id == result.id and row.state_since == result.finished_at
        assert row.last_run_at == result.finished_at and result.duration_ms == 250
        assert result.command == ["fake", host] and result.details == {"reason": "fake"}
        assert result.kind == "agent" and result.server_id == row.server_id

    verdict["web-0"] = "pass"
    verdict["web-1"] = "pass"
    later = now + timedelta(seconds=60)
    runner.tick(now=later)
    by_host = {row.server.hostname: row for row in items(cfg)}
    changed = {host: results(row.id)[-1].changed for host, row in by_host.items()}
    assert changed == {"web-0": False, "web-1": True, "web-2": False}
    assert by_host["web-0"].state_since == now + timedelta(milliseconds=250)  # unchanged since the first run
    assert by_host["web-1"].state_since == later + timedelta(milliseconds=250)


def test_a_kind_that_raises_or_forgets_a_job_gives_error_results(app, db, make, monkeypatch):
    agency, servers = _three(make)
    config("agent", agency=agency, params={"mode": "heartbeat"})
    config("firewall", agency=agency, params={"ports": "22/tcp"})

    def broken(jobs, ctx):
        raise RuntimeError("kind bug")

    forgetful = FakeKind()
    use_kinds(monkeypatch, agent=broken, firewall=lambda jobs, ctx: forgetful(jobs[:1], ctx))
    report = runner.tick()
    statuses = sorted((one.item.job.kind, one.result.status, one.result.details.get("reason"))
                      for one in report.stored)
    assert statuses == [("agent", "error", "internal")] * 3 + [("firewall", "error", "internal")] * 2 + [
        ("firewall", "pass", "fake")]
    assert all(row.claimed_by is None for row in items())


def test_the_firewall_jobs_go_to_their_kind_in_one_call_others_one_by_one(app, db, make, monkeypatch):
    agency, servers = _three(make)
    config("agent", agency=agency, params={"mode": "heartbeat"})
    config("firewall", agency=agency, params={"ports": "22/tcp"})
    agent, firewall = FakeKind(), FakeKind()
    use_kinds(monkeypatch, agent=agent, firewall=firewall)
    runner.tick()
    assert len(firewall.calls) == 1 and len(firewall.calls[0]) == 3
    assert sorted(len(call) for call in agent.calls) == [1, 1, 1]


def test_no_more_than_the_configured_number_run_at_once(app, db, make, monkeypatch):
    agency = make.agency()
    for n in range(9):
        server(agency, f"srv-{n}", [f"127.0.5.{n + 1}"])
    config("agent", agency=agency, params={"mode": "heartbeat"})
    app.config["CSIRT_CHECK_CONCURRENCY"] = 3
    fake = FakeKind(delay=0.1)
    use_kinds(monkeypatch, agent=fake)
    report = runner.tick()
    assert len(report.stored) == 9
    assert fake.most == 3  # in parallel, never more than the bound


def test_the_batch_size_bounds_one_tick(app, db, make, monkeypatch):
    agency = make.agency()
    for n in range(5):
        server(agency, f"srv-{n}", [f"127.0.6.{n + 1}"])
    config("agent", agency=agency, params={"mode": "heartbeat"})
    app.config["CSIRT_CHECK_BATCH"] = 2
    use_kinds(monkeypatch, agent=FakeKind())
    now = clock.utcnow()
    assert [runner.tick(now=now).claimed for _ in range(4)] == [2, 2, 1, 0]


def _alerts(db):
    db.session.expire_all()
    return db.session.execute(db.select(Alert).order_by(Alert.id)).scalars().all()


def test_a_failure_fires_once_and_the_recovery_resolves_once(app, db, make, monkeypatch):
    agency = make.agency()
    target = server(agency, "av-01", ["127.0.7.1"])
    cfg = config("antivirus", target, params={"max_signature_days": 7}, interval=60, name="AV hằng ngày")
    status = {"now": "fail"}
    use_kinds(monkeypatch, antivirus=FakeKind(lambda job: status["now"],
                                              details_of=lambda job: {"reason": "disabled", "product": "Kaspersky"}))
    now = clock.utcnow()
    assert runner.tick(now=now).alerts == 1
    [fired] = _alerts(db)
    assert (fired.source, fired.format, fired.status, fired.severity) == ("check", "check", "firing", "high")
    assert fired.fingerprint == fingerprint(cfg.id, target.id) and fired.host == "av-01"
    assert fired.labels == {"check": "antivirus", "server": "av-01", "config": "AV hằng ngày"}
    assert fired.occurred_at == now + timedelta(milliseconds=250)
    assert "Kaspersky" in fired.description and "av-01" in fired.title
    assert items(cfg)[0].alerting is True

    for step, state in enumerate(("fail", "error", "fail"), start=1):  # still failing; an error changes nothing
        status["now"] = state
        assert runner.tick(now=now + timedelta(seconds=60 * step)).alerts == 0
    assert len(_alerts(db)) == 1

    status["now"] = "warn"
    assert runner.tick(now=now + timedelta(seconds=240)).alerts == 1
    fired, resolved = _alerts(db)
    assert resolved.status == "resolved" and resolved.fingerprint == fired.fingerprint
    assert items(cfg)[0].alerting is False
    status["now"] = "pass"
    assert runner.tick(now=now + timedelta(seconds=300)).alerts == 0
    assert len(_alerts(db)) == 2


def test_a_failed_intake_is_sent_again_at_the_next_run(app, db, make, monkeypatch):
    from csirt.alerts import intake

    agency = make.agency()
    target = server(agency, "av-02", ["127.0.7.2"])
    cfg = config("antivirus", target, params={}, interval=60)
    use_kinds(monkeypatch, antivirus=FakeKind(lambda job: "fail"))
    real = intake.ingest
    monkeypatch.setattr(intake, "ingest", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("down")))
    now = clock.utcnow()
    assert runner.tick(now=now).alerts == 0
    [item] = items(cfg)
    assert item.state == "fail" and item.alerting is False and len(results(item.id)) == 1  # the result is kept
    monkeypatch.setattr(intake, "ingest", real)
    assert runner.tick(now=now + timedelta(seconds=60)).alerts == 1
    assert len(_alerts(db)) == 1


def test_a_scheduler_stopping_mid_tick_records_its_runs_interrupted(app, db, make, monkeypatch):
    agency = make.agency()
    target = server(agency, "srv-stop", ["127.0.7.3"])
    cfg = config("agent", target, params={"mode": "heartbeat"}, interval=600)

    def stopping(jobs, ctx):
        runner.stop()  # as the scheduler's shutdown does, from another thread, while the scan runs
        return FakeKind(lambda job: "error")(jobs, ctx)

    use_kinds(monkeypatch, agent=stopping)
    now = clock.utcnow()
    report = runner.tick(now=now)
    assert report.interrupted == 1 and report.stored == []
    [item] = items(cfg)
    assert item.state == "never" and item.retry is True and item.claimed_by is None
    assert [r.status for r in results(item.id)] == ["interrupted"]
    use_kinds(monkeypatch, agent=FakeKind())
    assert runner.tick(now=now + timedelta(seconds=1)).claimed == 1  # the retry, at once
    assert db.session.get(ServerCheck, item.id).state == "pass"


def test_the_firewall_alert_lists_the_ports_and_its_title_is_in_the_default_locale(app):
    now = clock.utcnow()
    details = {"reason": "open_ports", "unexpected": ["3306/tcp", "161/udp"], "open": ["22/tcp"]}
    alert = from_transition(kind="firewall", config_id=4, config_name="Cổng", server_id=9, hostname="DB-01",
                            status="fail", details=details, occurred_at=now, firing=True)
    assert alert.labels == {"check": "firewall", "server": "DB-01", "config": "Cổng", "ports": "3306/tcp, 161/udp"}
    assert alert.fingerprint == "check:4:9" and alert.host == "db-01"
    assert "3306/tcp" in alert.description
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    english = from_transition(kind="firewall", config_id=4, config_name="Cổng", server_id=9, hostname="DB-01",
                              status="pass", details={"reason": "ok"}, occurred_at=now, firing=False)
    assert english.title == "Check passes again: Firewall exposure on DB-01"
    assert english.status == "resolved" and "ports" not in english.labels
    assert english.fingerprint == alert.fingerprint


def test_names_from_the_network_make_no_link_in_the_incident_description(app):
    """A certificate may name anything: its names reach the alert's description, which incident
    pages render as Markdown; a link or markup of theirs stays text."""
    details = {"reason": "name_mismatch", "names": ["[click me](https://evil.example/phish)", "<img src=x>"]}
    alert = from_transition(kind="tls", config_id=4, config_name="TLS *cổng*", server_id=9, hostname="web-01",
                            status="fail", details=details, occurred_at=clock.utcnow(), firing=True)
    html = markdown.render(alert.description)
    assert "<a" not in html and "<img" not in html and "<em>" not in html
    assert "[click me](https://evil.example/phish)" in html and "&lt;img src=x&gt;" in html


def test_prune_keeps_state_changes_and_each_items_latest_result(app, db, make, monkeypatch):
    from csirt.checks.prune import prune

    agency = make.agency()
    target = server(agency, "old-01", ["127.0.7.9"])
    real_now = clock.utcnow()
    start = real_now - timedelta(days=100)
    clock.freeze(start)
    cfg = config("agent", target, params={"mode": "heartbeat"}, interval=60)
    sequence = iter(["pass", "pass", "pass", "fail", "fail", "fail"])
    use_kinds(monkeypatch, agent=FakeKind(lambda job: next(sequence)))
    for n in range(6):
        assert runner.tick(now=start + timedelta(minutes=n)).claimed == 1
    clock.freeze(real_now)
    before = results()
    assert [r.changed for r in before] == [True, False, False, True, False, False]
    app.config["CSIRT_CHECK_RETENTION_DAYS"] = 90
    assert prune(batch=1) == 3  # batches of one: each committed
    kept = results()
    [item] = items(cfg)
    assert [r.id for r in kept] == [before[0].id, before[3].id, before[5].id]
    assert item.last_result_id == before[5].id
    assert prune() == 0


def test_the_scheduler_runs_the_checks_job_in_every_process_not_only_the_lease_holder(app, db, make, monkeypatch):
    from csirt import scheduler

    agency = make.agency()
    server(agency, "sched-01", ["127.0.7.10"])
    config("agent", agency=agency, params={"mode": "heartbeat"})
    use_kinds(monkeypatch, agent=FakeKind())
    jobs = {job_id: (func, seconds) for job_id, func, seconds in scheduler.JOBS}
    assert jobs["checks"][1] == 15 and jobs["checks-prune"][1] == 24 * 3600
    holder, standby = scheduler.Runner(app, jobs=[]), scheduler.Runner(app, jobs=[])
    holder.heartbeat()
    assert standby.heartbeat() is False
    assert standby.run_job("checks", *jobs["checks"]) is True
    assert [r.status for r in results()] == ["pass"]
    assert standby.run_job("checks-prune", *jobs["checks-prune"]) is False  # leased: the holder's
    assert holder.run_job("checks-prune", *jobs["checks-prune"]) is True
