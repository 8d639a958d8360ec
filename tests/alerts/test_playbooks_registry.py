"""The set in force: every file of the folder, an invalid one left out with its errors while the
others stay, duplicate ids, the swap when a file changes, the load at start-up, and the shipped
playbooks/ folder."""
import logging
import os
from pathlib import Path

from csirt import create_app
from csirt.alerts.playbooks import registry
from csirt.alerts.playbooks.registry import current, load_dir
from csirt.config import TestConfig

from .playbook_helpers import minimal, write

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"


def _bump(path, seconds=10):
    """Move the file's mtime forward, as a later write would (the signature includes it)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))


def test_an_invalid_file_is_left_out_and_the_others_stay_in_force(tmp_path):
    write(tmp_path, "a.yaml", minimal("alpha", order=20))
    write(tmp_path, "b.yml", minimal("beta", order=10))
    write(tmp_path, "c.yaml", minimal("gamma", extra="colour: red\n"))
    write(tmp_path, "notes.txt", "not a playbook")
    write(tmp_path, ".#a.yaml", "editor lock file")
    result = load_dir(tmp_path)
    assert [b.id for b in result.playbooks] == ["beta", "alpha"]   # by (order, id)
    assert [str(e) for e in result.errors] == [f"{tmp_path / 'c.yaml'}:12: unknown field 'colour'"]
    assert result.get("alpha").path == str(tmp_path / "a.yaml") and result.get("gamma") is None
    assert result.routes.playbooks == result.playbooks


def test_a_disabled_playbook_is_valid_but_not_in_force(tmp_path):
    write(tmp_path, "a.yaml", minimal("alpha", extra="enabled: false\n"))
    result = load_dir(tmp_path)
    assert result.playbooks == () and result.errors == ()


def test_a_duplicate_id_reports_both_files_and_leaves_the_second_out(tmp_path):
    write(tmp_path, "1-first.yaml", minimal("same"))
    write(tmp_path, "2-second.yaml", "# the same id again\n" + minimal("same", order=1))
    result = load_dir(tmp_path)
    assert [b.path for b in result.playbooks] == [str(tmp_path / "1-first.yaml")]
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / '1-first.yaml'}:1: playbook id 'same' is also used by {tmp_path / '2-second.yaml'}, "
        "which is left out",
        f"{tmp_path / '2-second.yaml'}:2: duplicate playbook id 'same': already defined in "
        f"{tmp_path / '1-first.yaml'}; this file is left out"]


def test_the_set_version_changes_with_any_file_and_only_then(tmp_path):
    write(tmp_path, "a.yaml", minimal("alpha"))
    bad = write(tmp_path, "b.yaml", "id: [")
    first, again = load_dir(tmp_path), load_dir(tmp_path)
    assert first.version == again.version
    bad.write_text("id: [ ")
    assert load_dir(tmp_path).version != first.version


def test_a_missing_folder_gives_an_empty_set_with_one_error(tmp_path):
    result = load_dir(tmp_path / "nowhere")
    assert result.playbooks == () and [e.message for e in result.errors] == ["no such folder"]


def _use_folder(app, folder, recheck=0):
    app.config["CSIRT_PLAYBOOKS_DIR"] = str(folder)
    app.config["CSIRT_PLAYBOOKS_RECHECK_SECONDS"] = recheck


def test_current_swaps_in_the_new_set_when_a_file_changes_and_old_readers_keep_theirs(app, tmp_path):
    path = write(tmp_path, "a.yaml", minimal("alpha", extra="description: first\n"))
    _use_folder(app, tmp_path)
    old = current(app)
    assert current(app) is old, "no change, no reload"
    old_books = old.playbooks
    path.write_text(minimal("alpha", extra="description: second\n"))
    write(tmp_path, "b.yaml", minimal("beta"))
    _bump(path)
    new = current(app)
    assert new is not old
    assert [(b.id, b.description.en) for b in new.playbooks] == [("alpha", "second"), ("beta", "")]
    # the reader still holding the old set sees it whole and unchanged
    assert old.playbooks is old_books and old.routes.playbooks == old_books
    assert [(b.id, b.description.en) for b in old.playbooks] == [("alpha", "first")]
    assert old.get("beta") is None and old.version != new.version


def test_an_invalid_write_leaves_the_file_out_of_the_new_set_with_its_error(app, tmp_path):
    path = write(tmp_path, "a.yaml", minimal("alpha"))
    write(tmp_path, "b.yaml", minimal("beta"))
    _use_folder(app, tmp_path)
    assert len(current(app).playbooks) == 2
    path.write_text("id: alpha\ntitle: [broken\n")
    _bump(path)
    now = current(app)
    assert [b.id for b in now.playbooks] == ["beta"]
    assert [e.path for e in now.errors] == [str(path)]


def test_the_folder_is_looked_at_no_more_often_than_the_recheck_interval(app, tmp_path):
    path = write(tmp_path, "a.yaml", minimal("alpha"))
    _use_folder(app, tmp_path, recheck=3600)
    old = current(app)
    path.unlink()
    assert current(app) is old, "within the interval the folder is not looked at"
    app.extensions[registry.EXTENSION].checked -= 3601   # as if the interval had passed
    assert current(app).playbooks == ()


def test_the_app_loads_the_playbooks_at_start_and_logs_each_error(database_url, tmp_path, monkeypatch, caplog):
    folder = tmp_path / "books"
    folder.mkdir()
    write(folder, "good.yaml", minimal("good"))
    write(folder, "bad.yaml", minimal("bad", extra="actions:\n  - run_shell: ls\n"))
    monkeypatch.setenv("CSIRT_PLAYBOOKS_DIR", str(folder))
    with caplog.at_level(logging.WARNING, logger="csirt.alerts.playbooks.registry"):
        app = create_app(TestConfig(database_url, tmp_path / "instance"))
    assert [b.id for b in app.extensions[registry.EXTENSION].set.playbooks] == ["good"]
    assert [r.getMessage() for r in caplog.records] == [
        f"playbook left out: {folder / 'bad.yaml'}:13: actions[0]: unknown action 'run_shell'; known: assign, "
        "tasks, clocks, note, link_affected, notify, escalate"]


def test_readers_in_other_threads_always_get_a_whole_set_while_files_change(app, tmp_path):
    import threading

    paths = [write(tmp_path, f"{n}.yaml", minimal(f"book-{n}", order=n)) for n in range(3)]
    _use_folder(app, tmp_path)
    seen, problems, stop = set(), [], threading.Event()

    def read():
        while not stop.is_set():
            got = current(app)
            seen.add(id(got))
            ids = [b.id for b in got.playbooks]
            if ids != [f"book-{n}" for n in range(3)] or got.routes.playbooks != got.playbooks \
                    or any(got.get(i) is None for i in ids):
                problems.append(ids)

    with app.app_context():
        readers = [threading.Thread(target=read) for _ in range(2)]
        for thread in readers:
            thread.start()
        for generation in range(10):
            for path in paths:
                # as a deployment should write: a temporary file, then one rename
                temporary = path.with_suffix(".tmp")
                temporary.write_text(path.read_text() + f"# {generation}\n")
                os.replace(temporary, path)
            current(app)
        stop.set()
        for thread in readers:
            thread.join()
    assert problems == []
    assert len(seen) > 1


def test_the_default_folder_is_the_shipped_one(monkeypatch):
    from csirt.config import Config

    monkeypatch.delenv("CSIRT_PLAYBOOKS_DIR", raising=False)
    assert Path(Config().CSIRT_PLAYBOOKS_DIR) == SHIPPED


def test_the_shipped_playbooks_are_all_valid():
    files = registry.playbook_files(SHIPPED)
    result = load_dir(SHIPPED)
    assert [str(e) for e in result.errors] == []
    assert files and len(result.playbooks) == len(files)
