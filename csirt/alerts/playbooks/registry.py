"""The set of playbooks in force: loaded from a folder, rebuilt when a file changes, swapped whole.

`load_dir` builds a complete PlaybookSet; `current(app)` returns the one in force. A reload is
built beside the old set and put in place by one reference assignment, so a reader holds either
the old set or the new one, never a mix; readers never wait for a reload (the thread that finds
the folder changed rebuilds, the others keep answering with the set in force). A reload always
yields a set: an invalid file is left out and its errors are listed in `set.errors`.
"""
import hashlib
import logging
import threading
import time
from pathlib import Path

from .compile import Compiled, compile_file, compile_policy
from .compiled import LoadError, LoadFailed, PlaybookSet
from .loader import read_bytes

logger = logging.getLogger(__name__)

SUFFIXES = (".yaml", ".yml")
POLICY_FOLDER = "escalation"  # named escalation policies: playbooks/escalation/<id>.yaml
EXTENSION = "csirt_playbooks"


def playbook_files(folder):
    """The playbook files of `folder`, sorted by name (hidden files, such as an editor's, skipped)."""
    folder = Path(folder)
    return sorted((p for p in folder.iterdir()
                   if p.suffix in SUFFIXES and not p.name.startswith(".") and p.is_file()),
                  key=lambda p: p.name)


def policy_files(folder):
    """The named escalation policies' files: `escalation/*.yaml` beside the playbooks."""
    sub = Path(folder) / POLICY_FOLDER
    return playbook_files(sub) if sub.is_dir() else []


def load_policies(folder):
    """({name: EscalationPolicy}, [LoadError], [(file, version)]) of the folder's named policies;
    an invalid policy file is left out (and the playbooks that name it with it)."""
    policies, errors, versions = {}, [], []
    for path in policy_files(folder):
        try:
            policy, found = compile_policy(read_bytes(path), path)
        except LoadFailed as failed:
            policy, found = None, list(failed.errors)
        except OSError as err:
            policy, found = None, [LoadError(str(path), None, f"cannot read the file: {err.strerror or err}")]
        errors += found
        if policy is None:
            continue
        if policy.name in policies:
            errors.append(LoadError(str(path), None, f"duplicate escalation policy id '{policy.name}'; "
                                                     "this file is left out"))
            continue
        policies[policy.name] = policy
        versions.append((f"{POLICY_FOLDER}/{path.name}", policy.version))
    return policies, errors, versions


def load_dir(path):
    """The PlaybookSet of every playbook file of the folder `path` (or of the one file `path`),
    with the named escalation policies of its `escalation/` folder (of the file's folder)."""
    path = Path(path)
    if path.is_file():
        return load_files([path], *load_policies(path.parent))
    if not path.is_dir():
        return _build([], [LoadError(str(path), None, "no such folder")], [])
    return load_files(playbook_files(path), *load_policies(path))


def load_files(paths, policies=None, policy_errors=(), policy_versions=()):
    """The PlaybookSet of these files: each invalid file left out with its errors; of two files
    with the same playbook id, the first (by name) stays, and both are reported."""
    books, errors, versions, owners = [], list(policy_errors), list(policy_versions), {}
    for path in paths:
        try:
            result = compile_file(path, policies)
        except Exception as err:  # noqa: BLE001 - a bug met on one file must not take the others down
            logger.exception("compiling the playbook %s failed", path)
            result = Compiled(None, [LoadError(str(path), None, f"internal error while compiling: {err!r}")], "")
        versions.append((Path(path).name, result.version))
        errors += result.errors
        book = result.playbook
        if book is None:
            continue
        first = owners.get(book.id)
        if first is not None:
            errors.append(LoadError(first.playbook.path, first.id_line,
                                    f"playbook id '{book.id}' is also used by {book.path}, which is left out"))
            errors.append(LoadError(book.path, result.id_line,
                                    f"duplicate playbook id '{book.id}': already defined in "
                                    f"{first.playbook.path}; this file is left out"))
            continue
        owners[book.id] = result
        books.append(book)
    return _build(books, errors, versions)


def _build(books, errors, versions):
    from ..routing import Routes

    enabled = tuple(sorted((b for b in books if b.enabled), key=lambda b: (b.order, b.id)))
    digest = hashlib.sha256()
    for name, version in sorted(versions):
        digest.update(f"{name}\0{version}\n".encode())
    return PlaybookSet(playbooks=enabled, errors=tuple(errors), version=digest.hexdigest(),
                       routes=Routes(enabled))


def signature(folder):
    """What changes when a playbook file is added, removed or written: (name, size, mtime_ns)."""
    try:
        files = playbook_files(folder) + policy_files(folder)
    except OSError:
        return None
    out = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


class _Holder:
    """The set in force for one folder, and when the folder was last looked at."""

    def __init__(self, folder, recheck):
        self.folder, self.recheck = Path(folder), recheck
        self.lock = threading.Lock()
        self.set = None
        self.signature = None
        self.checked = float("-inf")

    def reload(self):
        """Build the set of the folder as it is now and put it in force (caller holds the lock).
        The signature is taken before reading, so a write during the build triggers another one."""
        sig = signature(self.folder)
        new = load_dir(self.folder)
        self.set, self.signature = new, sig   # the swap: readers see the old set or the new one
        self.checked = time.monotonic()
        return new


def _holder(app):
    folder = str(app.config["CSIRT_PLAYBOOKS_DIR"])
    recheck = float(app.config.get("CSIRT_PLAYBOOKS_RECHECK_SECONDS", 2))
    holder = app.extensions.get(EXTENSION)
    if holder is None or str(holder.folder) != folder:
        holder = _Holder(folder, recheck)
        app.extensions[EXTENSION] = holder
    holder.recheck = recheck
    return holder


def current(app):
    """The PlaybookSet in force for `app`, reloaded when the folder's signature changed (looked at
    most every CSIRT_PLAYBOOKS_RECHECK_SECONDS; time.monotonic, not the app's clock, which tests
    may freeze)."""
    holder = _holder(app)
    in_force = holder.set
    if in_force is None:
        with holder.lock:
            if holder.set is None:
                _log(holder.reload())
            return holder.set
    if time.monotonic() - holder.checked < holder.recheck:
        return in_force
    if not holder.lock.acquire(blocking=False):
        return in_force   # another thread is looking; keep answering with the set in force
    try:
        if time.monotonic() - holder.checked >= holder.recheck:
            holder.checked = time.monotonic()
            if signature(holder.folder) != holder.signature:
                _log(holder.reload())
        return holder.set
    finally:
        holder.lock.release()


def _log(playbook_set):
    for error in playbook_set.errors:
        logger.warning("playbook left out: %s", error)
    return playbook_set


def init_app(app):
    """Load the playbooks once at start-up and log each error (the app starts regardless)."""
    return current(app)
