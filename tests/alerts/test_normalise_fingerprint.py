"""Computed fingerprints: stable across processes and releases, different for different problems."""
import hashlib
import os
import subprocess
import sys

from csirt.alerts.normalise import fingerprint
from csirt.alerts.normalise.fingerprint import compute

LABELS = {"alertname": "HostDown", "instance": "127.0.20.11:9100", "job": "node"}
CODE = ("from csirt.alerts.normalise.fingerprint import compute; "
        "print(compute('alertmanager', {'job': 'node', 'instance': '127.0.20.11:9100', "
        "'alertname': 'HostDown'}, 'portal.laocai.example'))")


def test_the_canonical_form_is_pinned():
    """Stored alerts are grouped by these digests: changing the form splits every open group."""
    text = ('{"host":"portal.laocai.example","labels":[["alertname","HostDown"],'
            '["instance","127.0.20.11:9100"],["job","node"]],"source":"alertmanager"}')
    assert compute("alertmanager", LABELS, "portal.laocai.example") == hashlib.sha256(text.encode()).hexdigest()


def test_the_same_in_another_process_with_another_hash_seed():
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, check=True)
        digests.add(done.stdout.strip())
    assert digests == {compute("alertmanager", LABELS, "portal.laocai.example")}


def test_label_order_does_not_matter():
    reordered = dict(reversed(list(LABELS.items())))
    assert compute("generic", LABELS) == compute("generic", reordered)


def test_source_labels_and_host_each_make_a_difference():
    base = compute("generic", LABELS, "portal.laocai.example")
    assert base != compute("zabbix", LABELS, "portal.laocai.example")
    assert base != compute("generic", {**LABELS, "job": "blackbox"}, "portal.laocai.example")
    assert base != compute("generic", {**LABELS, "team": "web"}, "portal.laocai.example")
    assert base != compute("generic", LABELS, "dichvucong.laocai.example")


def test_the_title_counts_only_without_labels():
    assert compute("generic", LABELS, title="a") == compute("generic", LABELS, title="b")
    assert compute("generic", {}, title="a") != compute("generic", {}, title="b")


def test_volatile_labels_are_left_out(monkeypatch):
    monkeypatch.setitem(fingerprint.VOLATILE_LABELS, "generic", ("checked_at",))
    at_eight, at_nine = {**LABELS, "checked_at": "08:00"}, {**LABELS, "checked_at": "09:00"}
    assert compute("generic", at_eight) == compute("generic", at_nine)
    assert compute("zabbix", at_eight) != compute("zabbix", at_nine)


def test_the_digest_fits_the_fingerprint_rules():
    digest = compute("generic", {"tên": "Lào Cai"})
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
