"""Replay: the stored alerts through a set of playbooks, compared with what happened.

`replay.compare` is pure (hand-built rows, playbooks loaded from a temporary folder, no database);
the CLI is then run end to end on alerts stored by the real intake, and changes nothing."""
import json
import textwrap
from datetime import timedelta

import pytest
import sqlalchemy as sa

from csirt.alerts import replay
from csirt.alerts.canonical import Context
from csirt.alerts.playbooks.registry import load_dir

from .intake_support import NOW, PLAYBOOKS, alert, frozen, playbooks  # noqa: F401


def book(ident, source, *, order=10, group=None, assign="role: coordinator"):
    """A small playbook: match on the source; group = (by, window, on_resolved) or None."""
    grouping = ""
    if group is not None:
        by, window, on_resolved = group
        grouping = f"group: {{by: [{', '.join(by)}], window: {window}, on_resolved: {on_resolved}}}\n"
    return (f"id: {ident}\ntitle: {ident}\norder: {order}\nmatch: {{all: ['source=\"{source}\"']}}\n{grouping}"
            "incident: {title: '{{ title }}', category: malware, severity: ordinary, priority: P3, tlp: AMBER, "
            "agency: host}\n"
            f"actions:\n  - assign: [{{{assign}}}]\n")


def load(tmp_path, name, books):
    folder = tmp_path / name
    folder.mkdir()
    for ident, text in books.items():
        (folder / f"{ident}.yaml").write_text(text, encoding="utf-8")
    loaded = load_dir(folder)
    assert not loaded.errors, [str(e) for e in loaded.errors]
    return loaded


def row(ident, minutes, incident, playbook, *, status="firing", fingerprint="fp-1", host="web01", source="wazuh",
        route=None):
    return replay.StoredAlert(id=ident, source=source, severity="high", status=status, title=f"alert {ident}",
                              occurred_at=NOW + timedelta(minutes=minutes), fingerprint=fingerprint, host=host,
                              incident_id=incident, playbook_id=playbook, route=route)


GROUPED = {"web": book("web", "wazuh", group=(["host"], "1h", "note"))}


def test_replay_of_the_playbooks_that_routed_the_alerts_finds_no_difference(tmp_path):
    rows = [row(1, 0, 10, "web"), row(2, 30, 10, "web"), row(3, 200, 11, "web"), row(4, 210, 12, "web", host="db01")]
    report = replay.compare(rows, load(tmp_path, "same", GROUPED))
    assert (report.alerts, report.incidents_before, report.incidents_after) == (4, 3, 3)
    assert report.unchanged and report.differences == [] and report.differences_total == 0
    assert (report.merged, report.split, report.reassigned, report.playbook_changed) == (0, 0, 0, 0)


def test_a_playbook_without_group_opens_more_incidents_and_splits_the_stored_one(tmp_path):
    rows = [row(1, 0, 10, "web"), row(2, 10, 10, "web"), row(3, 20, 10, "web")]
    report = replay.compare(rows, load(tmp_path, "single", {"web": book("web", "wazuh")}))
    assert (report.incidents_before, report.incidents_after, report.incidents_delta) == (1, 3, 2)
    assert report.opened_after == 3 and report.split == 1 and report.merged == 0
    split = [d for d in report.differences if d.kind == "split"]
    assert [(d.alert_id, d.before, d.after) for d in split] == [(2, "#10", "new 1 + new 2")]


def test_a_wider_group_merges_stored_incidents_into_fewer(tmp_path):
    rows = [row(1, 0, 10, "web", host="web01"), row(2, 5, 11, "web", host="web02"),
            row(3, 600, 12, "web", host="web01")]
    wider = {"web": book("web", "wazuh", group=(["source"], "1d", "note"))}
    report = replay.compare(rows, load(tmp_path, "wide", wider))
    assert (report.incidents_before, report.incidents_after, report.incidents_delta) == (3, 1, -2)
    assert report.merged == 1 and report.split == 0
    merge = next(d for d in report.differences if d.kind == "merge")
    assert (merge.alert_id, merge.before, merge.after) == (2, "#10 + #11", "new 1")


def test_the_window_edge_joins_at_exactly_the_window_and_opens_after_it(tmp_path):
    rows = [row(1, 0, 10, "web"), row(2, 60, 10, "web"), row(3, 121, 11, "web")]
    report = replay.compare(rows, load(tmp_path, "edge", GROUPED))
    assert report.unchanged and report.incidents_after == 2


def test_another_first_candidate_counts_as_reassigned_by_kind_and_value(tmp_path):
    before = load(tmp_path, "before", GROUPED)
    after = load(tmp_path, "after", {"web": book("web", "wazuh", group=(["host"], "1h", "note"),
                                                 assign="rotation: primary")})
    rows = [row(1, 0, 10, "web"), row(2, 5, 10, "web"), row(3, 5, 11, "web", host="db01")]
    report = replay.compare(rows, after, before=before)
    assert report.reassigned == 2 and report.playbook_changed == 0 and report.incidents_delta == 0
    assert {(d.alert_id, d.before, d.after) for d in report.differences} == {
        (1, "role:coordinator", "rotation:primary"), (3, "role:coordinator", "rotation:primary")}
    # the executor's own record of the candidates wins over the playbook of that id
    recorded = [row(1, 0, 10, "web", route={"assign": [{"kind": "rotation", "value": "primary"}]})]
    assert replay.compare(recorded, after, before=before).reassigned == 0


def test_alerts_going_to_another_playbook_and_unmatched_ones_are_counted_both_ways(tmp_path):
    books = {"web": book("web", "wazuh", group=(["host"], "1h", "note")),
             "uptime": book("uptime", "alertmanager", order=5)}
    rows = [row(1, 0, None, None, source="alertmanager"), row(2, 1, 10, "old-web"), row(3, 2, 11, "zabbix-all",
                                                                                        source="zabbix")]
    report = replay.compare(rows, load(tmp_path, "moved", books))
    assert (report.unmatched_before, report.unmatched_after, report.playbook_changed) == (1, 1, 3)
    assert report.moves == {(None, "uptime"): 1, ("old-web", "web"): 1, ("zabbix-all", None): 1}
    assert [(d.kind, d.alert_id, d.before, d.after) for d in report.differences] == [
        ("playbook", 1, "-", "uptime"), ("playbook", 2, "old-web", "web"), ("playbook", 3, "zabbix-all", "-")]


def test_a_resolution_closes_the_simulated_incident_and_the_next_firing_opens_another(tmp_path):
    closing = {"up": book("up", "alertmanager", group=(["host"], "1d", "close"))}
    rows = [row(1, 0, 10, "up", source="alertmanager"), row(2, 5, 10, "up", source="alertmanager", status="resolved"),
            row(3, 10, 11, "up", source="alertmanager")]
    report = replay.compare(rows, load(tmp_path, "close", closing))
    assert report.unchanged and report.incidents_after == 2
    noting = {"up": book("up", "alertmanager", group=(["host"], "1d", "note"))}
    report = replay.compare(rows, load(tmp_path, "note", noting))
    assert (report.incidents_after, report.merged) == (1, 1)  # note: the incident stays open and is joined


def test_contexts_reach_the_router_and_the_differences_list_is_cut_at_the_limit(tmp_path):
    by_agency = {"web": book("web", "wazuh").replace("match: {all: ['source=\"wazuh\"']}",
                                                     "match: {all: ['source=\"wazuh\"', 'agency=\"PORTAL\"']}")}
    rows = [row(n, n, 100 + n, None, host=f"h{n}") for n in range(1, 8)]
    report = replay.compare(rows, load(tmp_path, "ctx", by_agency), {"h1": Context(agency="PORTAL")}, limit=3)
    assert report.moves == {(None, "web"): 1}
    assert report.differences_total == 1
    report = replay.compare(rows, load(tmp_path, "all", {"web": book("web", "wazuh")}), None, limit=3)
    assert report.differences_total == 7 and len(report.differences) == 3


def test_since_reads_durations_and_dates():
    assert replay.parse_since("30d", NOW) == NOW - timedelta(days=30)
    assert replay.parse_since("12h", NOW) == NOW - timedelta(hours=12)
    assert replay.parse_since("2026-11-01", NOW).isoformat() == "2026-11-01T00:00:00"
    assert replay.parse_since("2026-11-01T07:00:00+07:00", NOW).isoformat() == "2026-11-01T00:00:00"


# --- the command, end to end ------------------------------------------------------------------

def _counts(db):
    return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables}


def _store(app, make):
    from csirt.alerts import intake

    actor = make.user("coordinator")
    old = intake.ingest(actor, [alert(occurred_at=NOW - timedelta(days=40), fingerprint="old")], via="test")
    alerts = [alert(occurred_at=NOW - timedelta(hours=3), fingerprint="a"),
              alert(occurred_at=NOW - timedelta(hours=3) + timedelta(minutes=20), fingerprint="b"),
              alert(occurred_at=NOW - timedelta(hours=1), fingerprint="c"),
              alert(source="generic-tool", format="generic", occurred_at=NOW - timedelta(hours=2), fingerprint="d",
                    host="", labels={})]
    return old + intake.ingest(actor, alerts, via="test")


@pytest.mark.usefixtures("playbooks", "frozen")
def test_replay_command_of_the_playbooks_in_force_finds_no_difference_and_writes_nothing(app, db, make, runner):
    outcomes = _store(app, make)
    assert [o.status for o in outcomes] == ["opened", "opened", "joined", "opened", "opened"]
    before = _counts(db)
    result = runner.invoke(args=["playbooks", "replay", "--since", "30d", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Replay of 4 alerts since 2026-11-03 08:00 UTC" in result.output
    assert "No difference: these playbooks decide as the stored alerts went." in result.output
    assert _counts(db) == before


@pytest.mark.usefixtures("playbooks", "frozen")
def test_replay_command_of_a_changed_folder_lists_the_differences_with_alert_ids(app, db, make, runner, tmp_path):
    outcomes = _store(app, make)
    ids = [o.alert_id for o in outcomes[1:]]
    changed = tmp_path / "changed"
    changed.mkdir()
    for name, text in PLAYBOOKS.items():  # the files in force, but web groups for 1 minute and assigns otherwise
        if name == "web.yaml":
            text = text.replace("window: 1h", "window: 1m").replace(
                "{rotation: primary}, {role: responder}", "{role: coordinator}")
        (changed / name).write_text(textwrap.dedent(text), encoding="utf-8")
    before = _counts(db)
    result = runner.invoke(args=["playbooks", "replay", "--since", "2026-11-20", "--playbooks", str(changed),
                                 "--lang", "en", "--limit", "5"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "incidents the alerts went to" in out and "Incidents: 1 more." in out
    assert "Stored incidents whose alerts would go to several incidents (split): 1" in out
    assert "Incidents that would go to another first assign candidate: 3" in out
    assert f"alert {ids[1]:<8} " in out and "split" in out
    assert f"alert {ids[0]:<8} " in out and "rotation:primary → role:coordinator" in out
    assert _counts(db) == before


@pytest.mark.usefixtures("playbooks", "frozen")
def test_replay_command_reads_the_stored_alerts_in_batches_in_time_order(app, db, make):
    from csirt.alerts.cli_commands import stored_alerts
    from csirt.alerts.context import HostLookup

    _store(app, make)
    rows = list(stored_alerts(NOW - timedelta(days=30), HostLookup(), batch=2))
    assert [r.fingerprint for r in rows] == ["a", "b", "d", "c"]
    assert all(isinstance(r, replay.StoredAlert) and json.dumps(r.labels) for r in rows)
