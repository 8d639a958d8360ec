"""Compiling a valid playbook into the contract's objects, and what only the compiler can refuse:
matchers (matchers.compile_match), group fields, templates that fail or escape the sandbox."""
import hashlib
from datetime import datetime, timedelta

import pytest

from csirt.alerts.canonical import Alert, Context
from csirt.alerts.playbooks.compile import compile_file
from csirt.alerts.playbooks.compiled import (
    Action,
    Candidate,
    Escalation,
    EscalationPolicy,
    Graded,
    Group,
    Notify,
    Step,
    Target,
    TemplateText,
    Text,
)
from csirt.alerts.playbooks.templates import OUTPUT_MAX, variables

from .playbook_helpers import GOOD, errors_of, minimal, replace_line, write


def _alert(**fields):
    values = dict(source="wazuh", severity="critical", status="firing", title="Defaced",
                  occurred_at=datetime(2026, 12, 1, 8, 0), fingerprint="f" * 64, host="portal.example",
                  labels={"rule_groups": "web,attack", "rule_id": "31101"})
    values.update(fields)
    return Alert(**values)


def test_a_good_playbook_compiles_to_the_contract_objects(tmp_path):
    path = write(tmp_path, "web.yaml", GOOD)
    result = compile_file(path)
    assert result.errors == []
    book = result.playbook
    assert (book.id, book.order, book.cont, book.enabled) == ("web-defacement", 100, False, True)
    assert book.title == Text("Thay đổi giao diện trang web", "Website defacement")
    assert book.description.get("en") == "Description"
    assert book.path == str(path) and book.version == hashlib.sha256(path.read_bytes()).hexdigest()
    assert book.spec["incident"]["tlp"] == "AMBER" and result.id_line == 1
    assert book.group == Group(by=("source", "host", "labels.rule_id"), window=timedelta(hours=6),
                               on_resolved="close")
    spec = book.incident
    assert (spec.category, spec.sub_type, spec.tlp, spec.agency) == ("defacement", "web_shell", "AMBER", "host")
    assert spec.severity == Graded("ordinary", {"critical": "serious", "high": "serious"})
    assert spec.priority == Graded("P2", {})
    ctx = Context(agency="SO-TTTT", system=("PORTAL",), system_level=3, server="portal")
    names = variables(_alert(), ctx)
    assert spec.title.render("vi", names) == "Trang portal.example bị thay đổi giao diện"
    assert spec.title.render("en", names) == "portal.example defaced"
    assert spec.description.render("en", variables(_alert(description="Files changed"), ctx)) == "Files changed"
    assert [a.name for a in book.actions] == ["assign", "tasks", "clocks", "note", "link_affected", "notify",
                                             "escalate"]
    assign, tasks, clocks, note, link, notify, escalate = book.actions
    assert assign == Action("assign", (Candidate("rotation", "primary"), Candidate("role", "coordinator"),
                                       Candidate("person", "an.nguyen")))
    assert tasks.value == (
        Step("isolate", Text("Cô lập máy chủ", "Isolate the server"), Text("Markdown vi", "Markdown en"),
             "responder", timedelta(hours=1), True),
        Step("report", Text("Report", "Report"), Text("", ""), None, None, False))
    assert clocks.value == ("incident.notice", "incident.report")
    assert isinstance(note.value, TemplateText)
    assert note.value.render("en", names) == "Opened from wazuh (31101)"
    assert note.value.render("vi", names) == "Mở từ wazuh"
    assert link.value is True
    assert notify.value == Notify(
        to=(Target("assignee"), Target("rotation", "primary"), Target("role", "manager"),
            Target("person", "an.nguyen"), Target("agency_contact")),
        channels=("email", "telegram", "webhook"), on=("opened", "joined", "resolved"))
    assert escalate.value == EscalationPolicy((
        Escalation(timedelta(minutes=15), (Target("rotation", "secondary"),), ("telegram",)),
        Escalation(timedelta(minutes=45), (Target("role", "manager"),), ("email", "telegram"))), 0)


def test_the_compiled_match_is_the_matchers_own(tmp_path):
    book = compile_file(write(tmp_path, "web.yaml", GOOD)).playbook
    ctx = Context()
    assert book.match.test(_alert(), ctx)
    assert not book.match.test(_alert(severity="low"), ctx)
    assert book.match.sources == frozenset({"wazuh"})


def test_defaults_of_the_optional_fields(tmp_path):
    book = compile_file(write(tmp_path, "m.yaml", minimal(extra="actions:\n  - notify: {to: [assignee], "
                                                                  "channels: [email]}\n"))).playbook
    assert (book.cont, book.enabled, book.group, book.incident.sub_type, book.incident.description) == \
        (False, True, None, "", None)
    assert book.description == Text("", "")
    assert book.actions[0].value.on == ("opened",)


def test_playbooks_compare_by_identity_and_serve_as_dict_keys(tmp_path):
    first = compile_file(write(tmp_path, "a.yaml", minimal())).playbook
    second = compile_file(write(tmp_path, "b.yaml", minimal())).playbook
    assert first != second and len({first: 1, second: 2}) == 2


def test_a_bad_regular_expression_is_reported_by_the_matchers_at_its_line(tmp_path):
    text = replace_line(GOOD, """'{rule_groups=~".*web.*", severity!="info"}'""", """'host=~"(unclosed"'""")
    ((line, message),) = errors_of(tmp_path, text)
    assert line == 10
    assert message.startswith('match.all[1]: invalid regular expression "(unclosed"')


def test_a_bad_group_field_is_reported_at_its_line(tmp_path):
    text = replace_line(GOOD, "by: [source, host, labels.rule_id]", "by: [source, 'labels.']")
    assert errors_of(tmp_path, text) == [(14, 'group.by[1]: "labels." must be followed by a label name')]


def test_a_task_key_used_twice_is_refused(tmp_path):
    text = replace_line(GOOD, "      - key: report", "      - key: isolate")
    assert errors_of(tmp_path, text) == [(35, "actions[1].tasks[1].key: task key 'isolate' is used twice "
                                              "(first at line 29)")]


@pytest.mark.parametrize("template, reason", [
    ("{{ ''.__class__.__mro__ }}", "'__mro__' is not allowed (names starting with '_' reach Python internals)"),
    ("{{ cycler.__init__.__globals__ }}", "'__globals__' is not allowed"),
    ("{{ lipsum['__globals__'] }}", "'__globals__' is not allowed"),
    ("{{ ''|attr('__class__') }}", "SecurityError: access to attribute '__class__' of 'str' is unsafe"),
    ("{{ labels.clear() }}", "SecurityError"),
    ("{{ 'x' * 10**9 }}", "SecurityError: the result of * is longer than 100000"),
    ("{{ 10 ** 10 ** 10 }}", "SecurityError: the result of ** is too large"),
    ("{% for i in range(10**9) %}{% endfor %}", "Range too big"),
    ("{% for i in range(9) %}{% for j in range(9) %}{% endfor %}{% endfor %}", "nested loops are not allowed"),
    ("{{ 99999999999 }}", "the number 99999999999 is larger than 1000000"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "macros are not allowed"),
])
def test_a_template_that_escapes_the_sandbox_or_runs_away_is_refused_at_load(tmp_path, template, reason):
    text = replace_line(GOOD, 'description: "{{ description }}"', f'description: "{template}"')
    ((line, message),) = errors_of(tmp_path, text)
    assert line == 19
    assert message.startswith("incident.description: template refused: ") and reason in message


def test_a_template_syntax_error_is_refused_at_its_line_in_the_right_language(tmp_path):
    text = replace_line(GOOD, 'en: "Opened from {{ source }} ({{ labels.rule_id }})"', 'en: "{% if %}"')
    assert errors_of(tmp_path, text) == [
        (38, "actions[3].note.en: template syntax error: Expected an expression, got 'end of statement block'")]


def test_a_huge_output_is_cut_and_an_undefined_name_renders_empty(tmp_path):
    text = replace_line(GOOD, 'description: "{{ description }}"',
                        "description: \"{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{{ nope.deeper }}\"")
    book = compile_file(write(tmp_path, "big.yaml", text)).playbook
    out = book.incident.description.render("vi", variables(_alert(), Context()))
    assert out == "x" * OUTPUT_MAX
    assert book.incident.title.render("en", {}) == " defaced"


def test_a_template_failing_at_run_time_gives_its_source_text(tmp_path):
    text = replace_line(GOOD, 'description: "{{ description }}"',
                        'description: "{{ 10 // (labels.rule_id | int) }}"')
    book = compile_file(write(tmp_path, "div.yaml", text)).playbook   # the sample's rule_id is not 0
    assert book.incident.description.render("en", variables(_alert(labels={"rule_id": "5"}), Context())) == "2"
    zero = variables(_alert(labels={"rule_id": "0"}), Context())
    assert book.incident.description.render("en", zero) == "{{ 10 // (labels.rule_id | int) }}"


def test_a_text_falls_back_to_the_other_language():
    assert Text("", "only english").get("vi") == "only english"
    assert Text("chỉ tiếng Việt", "").get("en_GB") == "chỉ tiếng Việt"
    assert Graded("ordinary", {"critical": "serious"}).pick("critical") == "serious"
    assert Graded("ordinary", {"critical": "serious"}).pick("low") == "ordinary"
