"""The JSON Schema of the language: strict, every error of a file reported at the line of the field
it names, sorted by line; an unknown action gets its own message."""
from csirt.alerts.playbooks.schema import SCHEMA, field_name

from .playbook_helpers import GOOD, errors_of, minimal, replace_line


def _line(text, fragment):
    """The 1-based line of the only line holding `fragment`."""
    (number,) = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return number


def test_an_unknown_top_level_field_is_reported_at_its_line(tmp_path):
    text = minimal(extra="colour: red\n")
    assert errors_of(tmp_path, text) == [(12, "unknown field 'colour'")]


def test_an_unknown_field_inside_a_task_is_reported_at_its_line(tmp_path):
    text = replace_line(GOOD, "        due: 1h\n", "        due: 1h\n        colour: red\n")
    assert errors_of(tmp_path, text) == [(_line(text, "colour"), "unknown field 'colour' in actions[1].tasks[0]")]


def test_an_unknown_action_names_itself_and_the_registry(tmp_path):
    text = minimal(extra="actions:\n  - link_affected: true\n  - run_shell: 'rm -rf /'\n")
    assert errors_of(tmp_path, text) == [
        (14, "actions[1]: unknown action 'run_shell'; known: assign, tasks, clocks, note, link_affected, "
             "notify, escalate")]


def test_an_action_item_with_two_names_is_refused(tmp_path):
    text = minimal(extra="actions:\n  - {link_affected: true, clocks: [incident.notice]}\n")
    ((line, message),) = errors_of(tmp_path, text)
    assert line == 13 and message.startswith("actions[0]: each action is a mapping with one key")


def test_an_unknown_clock_key_is_reported_with_the_known_keys(tmp_path):
    text = replace_line(GOOD, "[incident.notice, incident.report]", "[incident.notice, incident.later]")
    ((line, message),) = errors_of(tmp_path, text)
    assert line == _line(text, "incident.later")
    assert message.startswith("actions[2].clocks[1]: 'incident.later' is not one of: incident.notice, ")


def test_a_bad_duration_is_reported_at_its_line(tmp_path):
    text = replace_line(GOOD, "  window: 6h", "  window: 6 hours")
    assert errors_of(tmp_path, text) == [
        (_line(text, "window"),
         "group.window: '6 hours' is not a duration (a whole number and s, m, h, d or w: 30s, 15m, 6h, 2d, 1w)")]


def test_a_bad_category_lists_the_ten_national_categories(tmp_path):
    text = replace_line(GOOD, "category: defacement", "category: hacking")
    assert errors_of(tmp_path, text) == [
        (_line(text, "category"),
         "incident.category: 'hacking' is not one of: dos, spoofing, malware, unauthorized_access, defacement, "
         "ransomware, destruction, data_theft, combined, other")]


def test_a_graded_map_takes_only_severities_and_needs_a_default(tmp_path):
    text = replace_line(GOOD, "{critical: serious, high: serious, default: ordinary}", "{urgent: serious}")
    line = _line(text, "urgent")
    assert errors_of(tmp_path, text) == [
        (line, "incident.severity: unknown key 'urgent'; allowed: info, low, medium, high, critical, default"),
        (line, "missing required field 'default' in incident.severity")]


def test_a_missing_required_field_is_reported_at_its_mapping(tmp_path):
    text = replace_line(minimal(), "  tlp: GREEN\n", "")
    assert errors_of(tmp_path, text) == [(5, "missing required field 'tlp' in incident")]


def test_every_error_of_a_file_is_reported_sorted_by_line(tmp_path):
    text = minimal(extra="actions:\n  - notify: {to: [everyone], channels: [sms]}\n  - escalate: [{after: soon}]\n")
    text = replace_line(text, "id: minimal", "id: Not_An_Id")
    text = replace_line(text, "order: 10", "order: ten")
    found = errors_of(tmp_path, text)
    assert [line for line, _m in found] == sorted(line for line, _m in found)
    assert found == [
        (1, "id: 'Not_An_Id' is not a valid id (lower-case letters, digits and '-', at most 64)"),
        (3, "order: expected a whole number, got a text"),
        (13, "actions[0].notify.channels[0]: 'sms' is not one of: email, telegram, webhook"),
        (13, "actions[0].notify.to[0]: 'everyone' is not one of: assignee, agency_contact"),
        (14, "actions[1].escalate[0].after: 'soon' is not a duration (a whole number and s, m, h, d or w: "
             "30s, 15m, 6h, 2d, 1w)"),
        (14, "missing required field 'channels' in actions[1].escalate[0]"),
        (14, "missing required field 'to' in actions[1].escalate[0]"),
    ]


def test_a_yaml_1_1_boolean_word_is_not_a_boolean(tmp_path):
    text = minimal(extra="enabled: yes\n")
    assert errors_of(tmp_path, text) == [(12, "enabled: expected true or false, got a text")]


def test_a_candidate_names_exactly_one_of_person_role_rotation(tmp_path):
    text = minimal(extra="actions:\n  - assign: [{role: manager, rotation: primary}, {team: x}]\n")
    assert errors_of(tmp_path, text) == [
        (13, "actions[0].assign[0]: give exactly one of: person, role, rotation"),
        (13, "actions[0].assign[1]: unknown key 'team'; use one of: person, role, rotation"),
    ]


def test_the_schema_is_strict_on_every_mapping():
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" or "object" in (node.get("type") or []):
                assert node.get("additionalProperties") is not None, where
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")
    walk({k: v for k, v in SCHEMA.items() if k != "properties"} | {"properties": {
        k: v for k, v in SCHEMA["properties"].items() if k != "match"}}, "schema")


def test_field_names_read_as_the_playbook_writes_them():
    assert field_name(("actions", 2, "tasks", 0, "due")) == "actions[2].tasks[0].due"
    assert field_name(()) == "(top level)"
