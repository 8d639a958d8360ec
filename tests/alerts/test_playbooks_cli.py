"""`csirt playbooks validate [PATH]`: each error as file:line: reason, a summary line, exit 1 on
any error."""
from .playbook_helpers import minimal, write


def test_validate_a_folder_prints_each_error_and_a_summary_and_fails(runner, tmp_path):
    write(tmp_path, "a.yaml", minimal("alpha"))
    write(tmp_path, "b.yaml", minimal("beta"))
    write(tmp_path, "c.yaml", minimal("gamma", extra="colour: red\nactions:\n  - run_shell: ls\n"))
    result = runner.invoke(args=["playbooks", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{tmp_path / 'c.yaml'}:12: unknown field 'colour'",
        f"{tmp_path / 'c.yaml'}:14: actions[0]: unknown action 'run_shell'; known: assign, tasks, clocks, note, "
        "link_affected, notify, escalate",
        "2 playbooks valid, 1 files invalid"]


def test_validate_one_good_file_succeeds(runner, tmp_path):
    path = write(tmp_path, "a.yaml", minimal("alpha"))
    result = runner.invoke(args=["playbooks", "validate", str(path)])
    assert (result.exit_code, result.output) == (0, "1 playbooks valid, 0 files invalid\n")


def test_validate_without_a_path_checks_the_configured_folder(app, runner, tmp_path):
    write(tmp_path, "a.yaml", "id: [")
    app.config["CSIRT_PLAYBOOKS_DIR"] = str(tmp_path)
    result = runner.invoke(args=["playbooks", "validate"])
    assert result.exit_code == 1
    assert result.output.startswith(f"{tmp_path / 'a.yaml'}:1: YAML syntax: ")
    assert result.output.endswith("0 playbooks valid, 1 files invalid\n")


def test_validate_a_missing_path_fails(runner, tmp_path):
    result = runner.invoke(args=["playbooks", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"{tmp_path / 'nowhere'}: no such folder",
                                          "0 playbooks valid, 1 files invalid"]
