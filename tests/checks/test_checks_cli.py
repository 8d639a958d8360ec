"""`csirt checks run` and `csirt checks list`."""
from datetime import timedelta

from csirt import clock
from csirt.alerts.models import Alert
from csirt.checks import kinds

from .engine_support import FakeKind, config, items, results, server, use_kinds


def _world(make):
    agency = make.agency()
    web, db_server = server(agency, "web-01", ["127.0.11.1"]), server(agency, "db-01", ["127.0.11.2"])
    agent = config("agent", agency=agency, params={"mode": "heartbeat", "stale_minutes": 15}, name="Agent")
    firewall = config("firewall", web, params={"ports": "22/tcp"}, name="Cổng web")
    return web, db_server, agent, firewall


def test_run_prints_one_line_per_result_and_exits_1_when_one_fails(app, db, make, runner, monkeypatch):
    _world(make)
    use_kinds(monkeypatch, agent=FakeKind(lambda job: "fail" if job.hostname == "db-01" else "pass"),
              firewall=FakeKind(details_of=lambda job: {"reason": "ok"}))
    result = runner.invoke(args=["checks", "run"])
    assert result.exit_code == 1, result.output
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert [line[:3] for line in lines] == [["db-01", "agent", "fail"], ["web-01", "agent", "pass"],
                                            ["web-01", "firewall", "pass"]]
    assert all(line[3] for line in lines) and "[alert firing]" in lines[0][3]
    assert len(results()) == 3
    assert db.session.execute(db.select(db.func.count()).select_from(Alert)).scalar() == 1


def test_run_filters_by_server_and_kind_and_ignores_next_run(app, db, make, runner, monkeypatch):
    _web, _db_server, agent_cfg, _fw = _world(make)
    for item in items():
        item.next_run_at = clock.utcnow() + timedelta(hours=1)  # not due: run now runs it anyway
    db.session.commit()
    use_kinds(monkeypatch, agent=FakeKind(), firewall=FakeKind())
    result = runner.invoke(args=["checks", "run", "--server", "web-01", "--kind", "agent"])
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[:3] for line in result.output.splitlines()] == [["web-01", "agent", "pass"]]
    [stored] = results()
    web_agent = next(i for i in items(agent_cfg) if i.server.hostname == "web-01")
    assert stored.server_check_id == web_agent.id
    assert web_agent.next_run_at > clock.utcnow()


def test_run_with_the_real_agent_kind_reports_a_server_that_never_sent_a_heartbeat(app, db, make, runner):
    agency = make.agency()
    server(agency, "lonely-01", ["127.0.11.3"])
    config("agent", agency=agency, params={"mode": "heartbeat", "stale_minutes": 15})
    assert "agent" in kinds.runners()
    result = runner.invoke(args=["checks", "run", "--kind", "agent"])
    assert result.exit_code == 1
    host, kind, status, reason = result.output.splitlines()[0].split("\t")
    assert (host, kind, status) == ("lonely-01", "agent", "fail") and reason.strip()
    [stored] = results()
    assert stored.details["reason"] == "never"


def test_run_refuses_an_unknown_server_and_says_when_nothing_matches(app, db, make, runner):
    _world(make)
    result = runner.invoke(args=["checks", "run", "--server", "nope"])
    assert result.exit_code != 0 and "no server named 'nope'" in result.output
    result = runner.invoke(args=["checks", "run", "--server", "db-01", "--kind", "tls"])
    assert result.exit_code == 0 and "no active checks match" in result.output
    result = runner.invoke(args=["checks", "run", "--kind", "bogus"])
    assert result.exit_code == 2  # click refuses a kind that does not exist


def test_list_shows_each_configuration_and_its_servers(app, db, make, runner, monkeypatch):
    _world(make)
    use_kinds(monkeypatch, agent=FakeKind(), firewall=FakeKind())
    runner.invoke(args=["checks", "run", "--kind", "firewall"])
    result = runner.invoke(args=["checks", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if "Cổng web" in line)
    assert "(firewall, every 60 s, timeout 5 s, enabled)" in lines[header]
    web_line = lines[header + 1].split("\t")
    assert web_line[0].strip() == "web-01" and web_line[2] == "pass" and "last run 20" in web_line[3]
    agent_header = next(i for i, line in enumerate(lines) if line.endswith("enabled)") and "Agent" in line)
    assert {lines[agent_header + 1].split("\t")[2], lines[agent_header + 2].split("\t")[2]} == {"never"}


def test_list_with_nothing_configured(app, runner):
    result = runner.invoke(args=["checks", "list"])
    assert result.exit_code == 0 and "no checks configured" in result.output


def test_the_heartbeat_token_command_is_in_the_group(app, runner):
    result = runner.invoke(args=["checks", "--help"])
    assert "heartbeat-token" in result.output and "run" in result.output and "list" in result.output
