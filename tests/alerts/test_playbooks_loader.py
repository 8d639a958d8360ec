"""Reading a playbook file: YAML's safe loader without anchors, aliases, merge keys or duplicate
keys, a size cap, UTF-8, a mapping at the top, and the line of every node."""
import pytest

from csirt.alerts.playbooks.compiled import LoadError, LoadFailed
from csirt.alerts.playbooks.loader import MAX_BYTES, line_of, parse

from .playbook_helpers import GOOD, errors_of, minimal

BILLION_LAUGHS = """\
id: laughs
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def _failed(data):
    with pytest.raises(LoadFailed) as caught:
        parse(data, "f.yaml")
    return [(e.line, e.message) for e in caught.value.errors]


def test_every_node_has_its_line_and_mapping_entries_have_the_line_of_their_key():
    mapping, lines = parse(GOOD.encode(), "f.yaml")
    text = GOOD.splitlines()
    assert mapping["id"] == "web-defacement"
    assert lines[()] == 1 and lines[("id",)] == 1
    due = lines[("actions", 1, "tasks", 0, "due")]
    assert text[due - 1].strip() == "due: 1h"
    assert text[lines[("actions", 1, "tasks", 1)] - 1].strip() == "- key: report"
    assert line_of(lines, ("actions", 1, "tasks", 0, "nope", 3)) == lines[("actions", 1, "tasks", 0)]


def test_yaml_1_2_booleans_keep_the_key_on_of_notify_a_text():
    mapping, _lines = parse(b"notify: {on: [opened], off: x, flag: yes, real: true}\n", "f.yaml")
    assert mapping == {"notify": {"on": ["opened"], "off": "x", "flag": "yes", "real": True}}


def test_a_yaml_syntax_error_is_reported_with_its_line(tmp_path):
    (line, message), = errors_of(tmp_path, "id: x\ntitle: [unclosed\norder: 1\n")
    assert line == 3 and message.startswith("YAML syntax:")


def test_the_billion_laughs_is_refused_at_its_first_anchor(tmp_path):
    assert errors_of(tmp_path, BILLION_LAUGHS) == [(2, "YAML anchor '&a' is not allowed in a playbook")]


def test_an_alias_without_anchor_and_a_merge_key_are_refused_with_their_line():
    assert _failed(b"id: x\ntitle: *nothing\n") == [(2, "YAML alias '*nothing' is not allowed in a playbook")]
    assert _failed(b"id: x\nincident:\n  <<: {a: 1}\n") == [(3, "YAML merge key '<<' is not allowed in a playbook")]


def test_a_duplicate_key_is_refused_at_the_second_one(tmp_path):
    text = minimal(extra="enabled: true\nenabled: false\n")
    assert errors_of(tmp_path, text) == [(13, "duplicate key 'enabled' (first at line 12)")]


def test_a_file_beyond_256_kib_is_refused_without_being_parsed(tmp_path):
    big = minimal() + "#" * MAX_BYTES + "\n"
    assert errors_of(tmp_path, big) == [(None, "the file is larger than 256 KiB")]


def test_a_file_just_under_the_cap_is_read(tmp_path):
    from csirt.alerts.playbooks.compile import compile_file

    text = minimal()
    text += "#" * (MAX_BYTES - len(text.encode()) - 1) + "\n"
    path = tmp_path / "big.yaml"
    path.write_text(text)
    assert path.stat().st_size == MAX_BYTES
    assert compile_file(path).errors == []


@pytest.mark.parametrize("text, expected", [
    ("- id: x\n- id: y\n", (1, "a playbook must be a mapping (id: ..., title: ..., match: ...)")),
    ("# only a comment\n\n", (1, "the file is empty")),
    ("", (1, "the file is empty")),
    ("\n\njust a text\n", (3, "a playbook must be a mapping (id: ..., title: ..., match: ...)")),
    ("id: x\n1: y\n", (2, "the key '1' must be a text")),
])
def test_a_top_level_that_is_not_a_mapping_is_refused_with_its_line(tmp_path, text, expected):
    assert errors_of(tmp_path, text) == [expected]


def test_a_file_that_is_not_utf8_is_refused_with_the_line_of_the_bad_byte(tmp_path):
    assert errors_of(tmp_path, b"id: x\ntitle: caf\xe9\n") == [(2, "the file is not valid UTF-8 text")]


def test_a_utf8_byte_order_mark_is_accepted():
    mapping, _lines = parse("\ufeffid: x\n".encode(), "f.yaml")
    assert mapping == {"id": "x"}


def test_a_load_error_reads_as_file_colon_line_colon_reason():
    assert str(LoadError("p/a.yaml", 7, "bad")) == "p/a.yaml:7: bad"
    assert str(LoadError("p/a.yaml", None, "bad")) == "p/a.yaml: bad"


def test_a_python_tag_is_refused_as_yaml_that_cannot_be_read(tmp_path):
    ((line, message),) = errors_of(tmp_path, 'id: x\ntitle: !!python/object/apply:os.system ["touch /tmp/p"]\n')
    assert line == 2 and "could not determine a constructor for the tag 'tag:yaml.org,2002:python/object" in message
