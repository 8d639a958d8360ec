"""Issue 6's structure, held: each capability's room (shared storage, forms, one time module, the
demo package, the version beside the factory, the API's errors with the others), the roles and
the open statuses written once, nothing registered at import, and tests/ mirroring the package."""
import ast
import subprocess
import sys
from pathlib import Path

from .test_structure import DOMAINS, PACKAGE

TESTS = Path(__file__).resolve().parent


def _defines(path, name):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name for node in tree.body)


def test_each_shared_mechanism_has_one_room_and_the_old_places_are_gone():
    for gone in ("forms_util.py", "timeutil.py", "models_base.py", "demo.py", "demo_data.py"):
        assert not (PACKAGE / gone).exists(), gone
    for room in ("forms.py", "storage.py", "clock.py", "about.py", "demo/__init__.py"):
        assert (PACKAGE / room).exists(), room
    assert _defines(PACKAGE / "forms.py", "ConfirmForm") and not _defines(PACKAGE / "auth" / "forms.py", "ConfirmForm")
    assert _defines(PACKAGE / "about.py", "version") and not _defines(PACKAGE / "__init__.py", "version")
    assert _defines(PACKAGE / "errors.py", "Unauthorized")
    assert not [p for p in (PACKAGE / "api").rglob("*.py") if _defines(p, "Unauthorized")]


def _string_tuples(path):
    """The sets of strings of every tuple or list literal of two or more plain strings in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) >= 2 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            found.append(frozenset(e.value for e in node.elts))
    return found


def test_the_roles_and_the_open_statuses_are_written_once():
    from csirt.incidents.lifecycle import OPEN_STATUSES
    from csirt.team.models import READERS_OF_ALL, ROLES, WORKERS

    homes = {frozenset(ROLES): "team/models.py", frozenset(WORKERS): "team/models.py",
             frozenset(READERS_OF_ALL): "team/models.py", frozenset(OPEN_STATUSES): "incidents/lifecycle.py"}
    written = {}
    for path in PACKAGE.rglob("*.py"):
        for values in _string_tuples(path):
            if values in homes:
                written.setdefault(values, set()).add(path.relative_to(PACKAGE).as_posix())
    assert written == {values: {home} for values, home in homes.items()}


def test_importing_every_module_registers_no_listener_and_guards_no_table():
    """The audit listener and the append-only tables are registered by the factory, not at import."""
    code = """
import importlib, pkgutil, csirt
for info in pkgutil.walk_packages(csirt.__path__, "csirt."):
    importlib.import_module(info.name)
from sqlalchemy import event
from sqlalchemy.orm import Session
from csirt.audit import models
print(event.contains(Session, "do_orm_execute", models._bulk_listener), sorted(models._guarded))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "False []"


def test_the_tests_mirror_the_package():
    for domain in DOMAINS:
        folder = TESTS / domain
        assert folder.is_dir() and list(folder.glob("test_*.py")), f"tests/{domain}/"
