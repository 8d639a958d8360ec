"""Named escalation policies: files of `escalation/` beside the playbooks, named by playbooks as
`escalate: {policy: ID}`; checked like playbooks, and part of the version of the playbooks that
name them."""
import os
import textwrap

from csirt.alerts.playbooks.compiled import EscalationPolicy, Target
from csirt.alerts.playbooks.registry import load_dir, signature

from .playbook_helpers import minimal, write

SERIOUS = textwrap.dedent('''\
    id: serious
    title: {vi: "Nghiêm trọng", en: "Serious"}
    steps:
      - {after: 15m, to: [{rotation: responders, layer: secondary}], channels: [telegram]}
      - {after: 45m, to: [{role: manager}], channels: [email]}
    repeat: 2
    ''')


def _folder(tmp_path, policy=SERIOUS, books=None):
    (tmp_path / "escalation").mkdir(exist_ok=True)
    if policy is not None:
        write(tmp_path / "escalation", "serious.yaml", policy)
    for name, text in (books or {"a.yaml": minimal("a", extra="actions:\n  - escalate: {policy: serious}\n")}).items():
        write(tmp_path, name, text)
    return tmp_path


def _escalate(book):
    return next(a.value for a in book.actions if a.name == "escalate")


def test_a_playbook_naming_a_policy_gets_its_steps_and_repeat(tmp_path):
    result = load_dir(_folder(tmp_path))
    assert result.errors == ()
    [book] = result.playbooks
    policy = _escalate(book)
    assert isinstance(policy, EscalationPolicy) and (policy.name, policy.repeat) == ("serious", 2)
    assert [s.to for s in policy] == [(Target("rotation", "responders", "secondary"),), (Target("role", "manager"),)]


def test_the_policy_is_part_of_the_version_of_the_playbooks_that_name_it(tmp_path):
    books = {"a.yaml": minimal("a", extra="actions:\n  - escalate: {policy: serious}\n"),
             "b.yaml": minimal("b", order=20)}
    first = load_dir(_folder(tmp_path, books=books))
    write(tmp_path / "escalation", "serious.yaml", SERIOUS.replace("repeat: 2", "repeat: 1"))
    second = load_dir(tmp_path)
    assert first.get("a").version != second.get("a").version  # incidents record which ladder ran
    assert first.get("b").version == second.get("b").version
    assert first.version != second.version


def test_a_policy_file_change_is_seen_by_the_registry(tmp_path):
    folder = _folder(tmp_path)
    before = signature(folder)
    path = folder / "escalation" / "serious.yaml"
    path.write_text(SERIOUS.replace("45m", "50m"), encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert signature(folder) != before


def test_an_unknown_policy_leaves_that_playbook_out_with_its_line(tmp_path):
    books = {"a.yaml": minimal("a", extra="actions:\n  - escalate: {policy: urgent}\n"),
             "b.yaml": minimal("b", order=20)}
    result = load_dir(_folder(tmp_path, books=books))
    assert [b.id for b in result.playbooks] == ["b"]
    [error] = result.errors
    assert (error.path, error.line) == (str(tmp_path / "a.yaml"), 13)
    assert "unknown escalation policy 'urgent' (known: serious" in error.message


def test_an_invalid_policy_file_is_reported_and_its_playbooks_left_out(tmp_path):
    bad = SERIOUS.replace("{after: 45m", "{after: 10m")  # earlier than the step before it
    result = load_dir(_folder(tmp_path, policy=bad, books={
        "a.yaml": minimal("a", extra="actions:\n  - escalate: {policy: serious}\n"),
        "b.yaml": minimal("b", order=20)}))
    assert [b.id for b in result.playbooks] == ["b"]
    messages = [(os.path.basename(e.path), e.line, e.message) for e in result.errors]
    assert ("serious.yaml", 5, "steps[1].after: each step's `after` must be later than the previous step's") \
        in messages
    assert any(name == "a.yaml" and "unknown escalation policy 'serious'" in m for name, _l, m in messages)


def test_policy_with_steps_or_nothing_is_refused(tmp_path):
    both = minimal("a", extra="actions:\n  - escalate: {policy: serious, repeat: 1}\n")
    neither = minimal("c", order=30, extra="actions:\n  - escalate: {repeat: 1}\n")
    result = load_dir(_folder(tmp_path, books={"a.yaml": both, "c.yaml": neither}))
    assert result.playbooks == ()
    messages = sorted(e.message for e in result.errors)
    assert any("`policy` names a whole policy" in m for m in messages)
    assert any("give `steps` (and `repeat`), or `policy`" in m for m in messages)


def test_a_policy_file_is_checked_against_its_schema(tmp_path):
    result = load_dir(_folder(tmp_path, policy=SERIOUS.replace("repeat: 2", "repeat: 99\nextra: 1")))
    messages = [(e.line, e.message) for e in result.errors if e.path.endswith("serious.yaml")]
    assert (6, "repeat: must be at most 10") in messages
    assert (7, "unknown field 'extra'") in messages


def test_the_shipped_serious_playbooks_share_the_serious_policy():
    from pathlib import Path

    shipped = load_dir(Path(__file__).resolve().parents[2] / "playbooks")
    assert shipped.errors == ()
    named = {b.id: _escalate(b).name for b in shipped.playbooks if any(a.name == "escalate" for a in b.actions)}
    assert all(named[b] == "serious" for b in named if b.endswith("-serious")) and named["ransomware"] == "serious"
