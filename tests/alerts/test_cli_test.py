"""`csirt playbooks test ALERT.json`: which playbook takes each alert of the file, why the others
did not, and what it would do; nothing is written, and an unreadable file exits 1 naming it."""
from pathlib import Path

import pytest
import sqlalchemy as sa

from .intake_support import frozen, playbooks  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).parent / "fixtures"


def _counts(db):
    return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables}


def _test(runner, path, *args):
    return runner.invoke(args=["playbooks", "test", str(path), "--lang", "en", *args])


@pytest.mark.usefixtures("playbooks", "frozen")
@pytest.mark.parametrize("name, fmt, playbook", [
    ("wazuh_web_attack.json", "wazuh", "web-attack"),
    ("wazuh_syscheck.json", "wazuh", "web-attack"),
    ("alertmanager_firing.json", "alertmanager", "uptime"),
])
def test_each_format_is_detected_and_routed_to_its_playbook_without_writing_anything(runner, db, name, fmt, playbook):
    before = _counts(db)
    result = _test(runner, FIXTURES / name)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"format {fmt};" in out.splitlines()[0]
    assert f"    + {playbook:<32} matches" in out and f"Playbook: {playbook} (" in out
    assert "Would open a new incident:" in out
    assert _counts(db) == before


@pytest.mark.usefixtures("playbooks", "frozen")
def test_the_plan_shows_the_incident_assignees_tasks_clocks_notify_and_escalation(runner, db):
    result = _test(runner, FIXTURES / "wazuh_web_attack.json")
    out = result.output
    assert "    + web-attack " in out and "    - uptime                           not tried: an earlier playbook" in out
    assert "group: by host, labels.rule_id, window 1h, on resolved: note" in out
    assert "    title: Tấn công web vào 127.0.20.11" in out  # written in the default language, as it would be
    assert "category malware, severity ordinary, priority P3, TLP AMBER" in out
    assert "assignee: rotation:primary → role:responder; today: nobody" in out
    assert "rotation primary: nobody on call, or no such rotation" in out
    assert "[isolate] Cô lập máy chủ (required, owner responder, due +1h)" in out
    assert "[check] Kiểm tra nhật ký (optional, due +1d)" in out
    assert "clock incident.notice: due" in out
    assert "notify (web-attack): assignee, role:manager by email, telegram on opened, resolved" in out
    assert "escalate (web-attack): after 15m to rotation:secondary by telegram" in out


@pytest.mark.usefixtures("playbooks", "frozen")
def test_a_resolution_and_an_unmatched_alert_say_what_would_happen(runner):
    resolved = _test(runner, FIXTURES / "alertmanager_resolved.json")
    assert resolved.exit_code == 0, resolved.output
    assert "A resolution with no open incident to go to: nothing would change." in resolved.output
    assert '    - web-attack                       source is "alertmanager", not "wazuh"' in resolved.output
    generic = _test(runner, FIXTURES / "generic_batch.json")
    assert generic.exit_code == 0, generic.output
    assert "3 alert(s), format generic" in generic.output
    assert generic.output.count("No playbook matches") == 3


@pytest.mark.usefixtures("playbooks", "frozen")
def test_format_can_be_forced_and_another_folder_tried(runner, tmp_path):
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "all.yaml").write_text(
        "id: all\ntitle: All\norder: 1\nmatch: {}\nincident: {title: '{{ title }}', category: other, "
        "severity: ordinary, priority: P4, tlp: GREEN, agency: host}\nactions: []\n", encoding="utf-8")
    result = _test(runner, FIXTURES / "wazuh_syscheck.json", "--format", "wazuh", "--playbooks",
                   str(tmp_path / "alone"))
    assert result.exit_code == 0, result.output
    assert "1 playbooks in force" in result.output and "    + all " in result.output


@pytest.mark.usefixtures("playbooks")
def test_a_file_that_is_not_json_or_not_an_alert_exits_1_with_its_path_and_the_reason(runner, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = _test(runner, broken)
    assert result.exit_code == 1
    assert str(broken) in result.output and "Expecting property name" in result.output

    no_rule = tmp_path / "wazuh.json"
    no_rule.write_text('{"agent": {"id": "001"}}', encoding="utf-8")
    result = _test(runner, no_rule, "--format", "wazuh")
    assert result.exit_code == 1
    assert f"{no_rule}: wazuh: rule:" in result.output

    assert _test(runner, tmp_path / "missing.json").exit_code != 0


def test_the_shipped_playbooks_route_each_fixture_somewhere(runner, db):
    """With the province's playbooks (CSIRT_PLAYBOOKS_DIR as shipped), every fixture alert is
    taken by some playbook (the catch-all at least) and nothing is written."""
    before = _counts(db)
    for path in sorted(FIXTURES.glob("*.json")):
        result = _test(runner, path)
        assert result.exit_code == 0, (path, result.output)
        assert "No playbook matches" not in result.output, path
    assert _counts(db) == before
