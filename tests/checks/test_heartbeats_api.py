"""POST /api/v1/heartbeats and the heartbeat token: a good heartbeat is stored (one row per
server, replaced), every bad one is refused with its reason and stores nothing."""
import io
import json
from datetime import datetime, timedelta

import pytest

from csirt.auth.models import ApiToken
from csirt.auth.tokens import create_token
from csirt.checks import heartbeats
from csirt.checks.heartbeat_cli import heartbeat_token
from csirt.checks.models import HeartbeatGrant, ServerHeartbeat
from csirt.clock import freeze
from csirt.errors import Forbidden
from csirt.extensions import db
from csirt.systems import services as systems

URL = "/api/v1/heartbeats"
NOW = datetime(2026, 12, 3, 1, 0, 0)


@pytest.fixture(name="setup")
def setup_fixture(app, make):
    freeze(NOW)
    coordinator = make.user("coordinator")
    web = systems.create_server(coordinator, {"hostname": "web-01", "addresses": "127.0.0.5", "kind": "virtual"})
    other = systems.create_server(coordinator, {"hostname": "db-01", "addresses": "127.0.0.6", "kind": "virtual"})
    _token, text = heartbeats.issue_token(coordinator, web, 30)
    return {"coordinator": coordinator, "web": web, "other": other, "token": text}


def body(**over):
    data = {"server": "web-01", "time": "2026-12-03T08:00:00+07:00",
            "agent": {"name": "wazuh-agent", "version": "4.9.2"},
            "antivirus": {"product": "ClamAV 1.4.1", "enabled": True, "signature_date": "2026-12-02"}}
    data.update(over)
    return data


def post(client, token, data, **kw):
    return client.post(URL, data=data if isinstance(data, (str, bytes)) else json.dumps(data),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, **kw)


def stored():
    return db.session.execute(db.select(ServerHeartbeat)).scalars().all()


def test_a_good_heartbeat_is_stored_and_a_second_replaces_it(client, setup):
    response = post(client, setup["token"], body())
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"server": "web-01", "server_id": setup["web"].id,
                                   "received_at": "2026-12-03T01:00:00Z"}
    [beat] = stored()
    assert (beat.server_id, beat.received_at, beat.reported_at) == (setup["web"].id, NOW, NOW)
    assert (beat.agent_name, beat.agent_version) == ("wazuh-agent", "4.9.2")
    assert (beat.antivirus_product, beat.antivirus_enabled, beat.signature_date.isoformat()) == \
        ("ClamAV 1.4.1", True, "2026-12-02")
    assert beat.remote_address == "127.0.0.1"
    freeze(NOW + timedelta(minutes=5))
    second = body(time="2026-12-03T01:05:00Z", antivirus={"product": "ClamAV", "enabled": False})
    assert post(client, setup["token"], second).status_code == 200
    [beat] = stored()
    assert beat.received_at == NOW + timedelta(minutes=5)
    assert (beat.antivirus_enabled, beat.signature_date) == (False, None)


def test_the_server_may_be_named_by_its_id(client, setup):
    data = body(server_id=setup["web"].id)
    del data["server"]
    assert post(client, setup["token"], data).status_code == 200
    assert len(stored()) == 1


@pytest.mark.parametrize("server", ["nowhere-01", "db-01"])
def test_an_unknown_server_and_one_not_granted_get_the_same_403(client, setup, server):
    response = post(client, setup["token"], body(server=server))
    assert response.status_code == 403
    assert server in response.get_json()["error"]
    assert stored() == []


def test_a_signature_date_of_tomorrow_passes_clock_skew(client, setup):
    assert post(client, setup["token"], body(antivirus={"signature_date": "2026-12-04"})).status_code == 200


def test_a_token_stops_reporting_when_its_owner_may_no_longer_issue_it(client, setup):
    assert post(client, setup["token"], body()).status_code == 200
    setup["coordinator"].role = "member"  # demoted: no longer configures checks
    db.session.commit()
    assert post(client, setup["token"], body()).status_code == 403


def test_an_archived_server_is_refused(client, setup):
    systems.archive_server(setup["coordinator"], setup["web"].id)
    assert post(client, setup["token"], body()).status_code == 403
    assert stored() == []


def test_a_token_without_the_scope_is_refused(client, setup):
    _row, text = create_token(None, setup["coordinator"], "alerts", ["alerts:write"], 30)
    response = post(client, text, body())
    assert response.status_code == 403
    assert "heartbeats:write" in response.get_json()["error"]
    assert stored() == []


def test_no_token_is_401(client, setup):
    assert client.post(URL, json=body()).status_code == 401


def test_a_time_exactly_the_allowed_skew_ahead_passes_one_second_more_is_refused(client, setup):
    ahead = NOW + timedelta(seconds=300)
    assert post(client, setup["token"], body(time=ahead.isoformat() + "Z")).status_code == 200
    db.session.execute(db.delete(ServerHeartbeat))
    db.session.commit()
    response = post(client, setup["token"], body(time=(ahead + timedelta(seconds=1)).isoformat() + "+00:00"))
    assert response.status_code == 400
    assert "300" in response.get_json()["errors"]["time"]
    assert stored() == []


@pytest.mark.parametrize("data, field", [
    (body(time="2026-12-03T08:00:00"), "time"),  # no offset
    (body(time="yesterday"), "time"),
    (body(time=None), "time"),
    (body(time=12), "time"),
    (body(server=""), "server"),
    (body(server=["web-01"]), "server"),
    (body(server="x" * 101), "server"),
    (body(server_id=True), "server"),  # both given
    (body(agent="wazuh"), "agent"),
    (body(agent={"name": 5}), "agent.name"),
    (body(agent={"name": "a" * 101}), "agent.name"),
    (body(agent={"version": "1\n2"}), "agent.version"),
    (body(agent={"nom": "x"}), "agent.nom"),
    (body(antivirus={"enabled": "yes"}), "antivirus.enabled"),
    (body(antivirus={"signature_date": "02/12/2026"}), "antivirus.signature_date"),
    (body(antivirus={"signature_date": "2026-02-30"}), "antivirus.signature_date"),
    (body(antivirus={"product": "p" * 101}), "antivirus.product"),
    (body(extra=1), "extra"),
    (body(time="0001-01-01T00:00:00+14:00"), "time"),  # no UTC date (was a 500)
    (body(time="9999-12-31T23:59:59-14:00"), "time"),
    (body(antivirus={"signature_date": "2026-12-05"}), "antivirus.signature_date"),  # NOW is 12-03
])
def test_a_malformed_heartbeat_is_refused_naming_the_field(client, setup, data, field):
    response = post(client, setup["token"], data)
    assert response.status_code == 400
    assert field in response.get_json()["errors"]
    assert stored() == []


def test_a_server_id_that_is_not_a_number_is_refused(client, setup):
    data = body(server_id="7")
    del data["server"]
    response = post(client, setup["token"], data)
    assert response.status_code == 400 and "server_id" in response.get_json()["errors"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
def test_a_body_that_is_not_a_json_object_is_refused(client, setup, raw):
    response = post(client, setup["token"], raw)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert stored() == []


def test_an_oversized_body_is_413(client, setup):
    data = json.dumps(body(agent={"name": "x" * 20_000}))
    response = post(client, setup["token"], data)
    assert response.status_code == 413
    assert "16384" in response.get_json()["error"]
    assert stored() == []


def test_an_oversized_chunked_body_is_413(client, setup):
    data = json.dumps(body(agent={"name": "x" * 20_000})).encode()
    response = client.post(URL, input_stream=io.BytesIO(data),
                           headers={"Authorization": f"Bearer {setup['token']}", "Content-Type": "application/json",
                                    "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert stored() == []


def test_the_heartbeat_token_is_granted_one_server_and_audited(app, setup):
    from csirt.audit.models import AuditLog

    [grant] = db.session.execute(db.select(HeartbeatGrant)).scalars().all()
    token = db.session.get(ApiToken, grant.token_id)
    assert grant.server_id == setup["web"].id
    assert token.scope_list == ["heartbeats:write"] and token.name == "heartbeat: web-01"
    assert token.user_id == setup["coordinator"].id
    actions = db.session.execute(db.select(AuditLog.action)).scalars().all()
    assert "token.create" in actions and "heartbeat.grant" in actions


@pytest.mark.parametrize("role", ["responder", "manager", "member"])
def test_only_admins_and_coordinators_issue_heartbeat_tokens(setup, make, role):
    user = make.user(role, agency_obj=setup["coordinator"].agency)
    with pytest.raises(Forbidden):
        heartbeats.issue_token(user, setup["web"], 30)


def test_the_cli_prints_the_token_once(app, setup, make):
    admin = make.user("admin", username="boss")
    result = app.test_cli_runner().invoke(heartbeat_token, ["DB-01", "--user", "boss", "--days", "7"])
    assert result.exit_code == 0, result.output
    text = result.stdout.strip().splitlines()[-1]
    assert text.startswith("csirt_")
    token = db.session.execute(db.select(ApiToken).where(ApiToken.user_id == admin.id)).scalar_one()
    assert (token.expires_at - NOW).days == 7
    refused = app.test_cli_runner().invoke(heartbeat_token, ["nowhere", "--user", "boss"])
    assert refused.exit_code != 0 and "no server named" in refused.output



def test_the_shell_script_sends_a_heartbeat_the_app_accepts(client, setup, tmp_path):
    """contrib/heartbeat/csirt-heartbeat.sh run for real with sh and curl against a local recorder;
    what it sent is then replayed to the app, which must store it."""
    import os
    import shutil
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from pathlib import Path

    if not (shutil.which("sh") and shutil.which("curl")):
        pytest.skip("needs sh and curl")
    seen = {}

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            seen.update(path=self.path, headers=dict(self.headers),
                        body=self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    recorder = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=recorder.handle_request, daemon=True).start()
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "clamscan").write_text('#!/bin/sh\necho "ClamAV 1.0.7/27480/Wed Dec  2 09:27:14 2026"\n')
    (fake_bin / "clamscan").chmod(0o755)
    script = Path(__file__).resolve().parents[2] / "contrib" / "heartbeat" / "csirt-heartbeat.sh"
    env = {"PATH": f"{fake_bin}:{os.environ['PATH']}", "CSIRT_URL": f"http://127.0.0.1:{recorder.server_port}/",
           "CSIRT_TOKEN": setup["token"], "SERVER": "web-01", "AGENT_NAME": 'wazuh "agent"',
           "AGENT_VERSION": "4.9.2", "AV_ENABLED": "yes", "CSIRT_HEARTBEAT_CONF": str(tmp_path / "none")}
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=20)
    recorder.server_close()
    assert done.returncode == 0, done.stderr
    assert seen["path"] == "/api/v1/heartbeats"
    assert seen["headers"]["Authorization"] == f"Bearer {setup['token']}"
    sent = json.loads(seen["body"])
    assert sent["server"] == "web-01" and sent["agent"] == {"name": 'wazuh "agent"', "version": "4.9.2"}
    assert sent["antivirus"] == {"product": "ClamAV 1.0.7", "enabled": True, "signature_date": "2026-12-02"}
    assert sent["time"].endswith("Z")
    freeze(None)  # the script used the real clock
    response = post(client, setup["token"], seen["body"])
    assert response.status_code == 200, response.get_json()
    [beat] = stored()
    assert (beat.agent_name, beat.antivirus_product, str(beat.signature_date)) == \
        ('wazuh "agent"', "ClamAV 1.0.7", "2026-12-02")


def test_the_shell_script_passes_shellcheck():
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    script = Path(__file__).resolve().parents[2] / "contrib" / "heartbeat" / "csirt-heartbeat.sh"
    done = subprocess.run(["shellcheck", "-s", "sh", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
