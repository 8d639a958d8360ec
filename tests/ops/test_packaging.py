"""The wheel (`make wheel`): built without setuptools warnings, and holding everything the
installed app reads: its modules, static files, compiled translations, templates and migrations."""
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "babel.cfg", "csirt", "templates", "migrations",
           "playbooks", "contrib")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build from a copy of the sources, with the catalogs compiled as `make translations` does,
    so the checkout gets no build/ folder and its .mo files do not matter."""
    from babel.messages.frontend import CommandLineInterface

    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=SKIP)
        else:
            shutil.copy2(path, source / name)
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(source / "csirt" / "translations")])
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(work / "dist"), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (work / "dist").glob("csirt-*.whl")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
    return source, names, built.stdout + built.stderr


@pytest.mark.slow
def test_the_wheel_builds_without_setuptools_warnings(wheel):
    _source, _names, output = wheel
    warnings = sorted(set(re.findall(r"\b[A-Z]\w*Warning\b: [^\n]*", output)))
    assert warnings == []


@pytest.mark.slow
def test_the_wheel_holds_modules_static_files_and_compiled_translations(wheel):
    source, names, _output = wheel
    package = source / "csirt"
    expected = {f"csirt/{p.relative_to(package).as_posix()}" for p in package.rglob("*")
                if p.is_file() and p.suffix not in (".po", ".pot")}
    assert {"csirt/translations/vi/LC_MESSAGES/messages.mo", "csirt/translations/en/LC_MESSAGES/messages.mo",
            "csirt/static/app.css"} <= expected
    assert sorted(expected - names) == []
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n or n.endswith((".po", ".pot"))]


@pytest.mark.slow
def test_the_wheel_installs_every_template_and_migration_under_share(wheel):
    source, names, _output = wheel
    share = {n.split("/data/share/csirt/", 1)[1] for n in names if "/data/share/csirt/" in n}
    wanted = {p.relative_to(source).as_posix() for folder in ("templates", "migrations", "playbooks", "contrib")
              for p in (source / folder).rglob("*") if p.is_file() and p.name != "README.md"}
    assert {"templates/base.html", "migrations/env.py", "migrations/alembic.ini",
            "playbooks/triage-catch-all.yaml"} <= wanted
    assert sorted(wanted - share) == [], "add the missing folders to [options.data_files] in setup.cfg"
