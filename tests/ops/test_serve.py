"""`csirt serve` (what `make run` ends with) really serves the app with its scheduler, and stops
cleanly on SIGTERM."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CLI = [sys.executable, "-c", "from csirt.cli import main; main()"]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env(tmp_path):
    env = dict(os.environ)
    env.update(CSIRT_INSTANCE_PATH=str(tmp_path), CSIRT_DATABASE_URL=f"sqlite:///{tmp_path / 'csirt.sqlite'}",
               CSIRT_ADMIN_PASSWORD="admin-password-for-test")
    env.pop("CSIRT_ENV", None)
    return env


def _run(env, *args):
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_serve_answers_health_and_login_then_stops_on_sigterm(env):
    _run(env, "db", "upgrade")
    assert "created user 'admin'" in _run(env, "ensure-admin")
    assert "admin exists" in _run(env, "ensure-admin")
    port = _free_port()
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = json.load(response)
                    break
            except OSError:
                time.sleep(0.1)
        assert body == {"status": "ok", "database": "ok", "version": body["version"]}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            assert 'lang="vi"' in response.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "scheduler started" in output and "stopped" in output
