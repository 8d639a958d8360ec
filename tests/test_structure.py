"""The layout's rules, read from the source: domain packages never import the top-level package
(its factory and entry points), only the shared modules beside it; shared modules import no
domain package; team does not import auth (auth sits above the team)."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "csirt"
ENTRY = {"cli", "scheduler", "backup", "demo", "bootstrap", "health"}
DOMAINS = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
                 and p.name not in ENTRY and p.name != "translations")
SHARED = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ENTRY | {"__init__"})


def _imports(path, root=PACKAGE.parent):
    """(module, name) of every import in the file at `path`, with absolute module names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(root).with_suffix("").parts[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += [(module, alias.name) for alias in node.names]
    return found


def _targets(path, root=PACKAGE.parent):
    """The csirt modules a file imports: `from .. import storage` names csirt.storage,
    `from .. import version` names csirt (the package's __init__)."""
    out = set()
    for module, name in _imports(path, root):
        if not module.startswith("csirt"):
            continue
        if name and (root / module.replace(".", "/") / f"{name}.py").exists():
            out.add(f"{module}.{name}")
        elif name and (root / module.replace(".", "/") / name / "__init__.py").exists():
            out.add(f"{module}.{name}")
        else:
            out.add(module)
    return out


def _files(folder):
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_packages_import_only_shared_modules_and_other_domains_never_the_top_package(domain):
    offenders = []
    for path in _files(PACKAGE / domain):
        for target in _targets(path):
            parts = target.split(".")
            if parts == ["csirt"] or (len(parts) > 1 and parts[1] in ENTRY):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {target}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("module", SHARED)
def test_shared_modules_import_no_domain_package(module):
    targets = _targets(PACKAGE / f"{module}.py")
    bad = [t for t in targets if t == "csirt" or (len(t.split(".")) > 1 and t.split(".")[1] in DOMAINS + sorted(ENTRY))]
    assert not bad, f"csirt/{module}.py imports {bad}"


def test_team_does_not_import_auth():
    bad = [f"{p.name}: {t}" for p in _files(PACKAGE / "team") for t in _targets(p) if t.startswith("csirt.auth")]
    assert not bad, bad


def test_the_layout_check_tells_the_package_from_a_shared_module(tmp_path):
    """The checker itself: `from .. import version` names the package, `from .. import storage`
    the shared module."""
    (tmp_path / "csirt" / "incidents").mkdir(parents=True)
    (tmp_path / "csirt" / "storage.py").write_text("")
    sample = tmp_path / "csirt" / "incidents" / "probe.py"
    sample.write_text("from .. import version\nfrom .. import storage\nfrom ..storage import x\n")
    assert _targets(sample, tmp_path) == {"csirt", "csirt.storage"}


ROUTER = ["alerts/routing.py", "alerts/matchers.py", "alerts/matcher_syntax.py", "alerts/canonical.py",
          "alerts/decision.py",
          *(f"alerts/playbooks/{p.name}" for p in sorted((PACKAGE / "alerts" / "playbooks").glob("*.py")))]


@pytest.mark.parametrize("module", ROUTER)
def test_the_router_and_the_playbooks_reach_no_database(module):
    """ARCHITECTURE.md: the router is a pure function and the playbooks are data; neither imports
    the database, a model or a service (the executor applies the decision)."""
    path = PACKAGE / module
    allowed = ("csirt.alerts.", "csirt.clock", "csirt.catalogue", "csirt.rules.keys", "csirt.incidents.vocab",
               "csirt.team.models")
    bad = [t for t in _targets(path) if t.startswith("csirt") and not t.startswith(allowed)]
    bad += [m for m, _n in _imports(path) if m.startswith(("sqlalchemy", "flask_sqlalchemy"))]
    db_modules = ("csirt.alerts.models", "csirt.alerts.intake", "csirt.alerts.executor", "csirt.alerts.context")
    bad += [t for t in _targets(path) if t.startswith(db_modules)]
    assert not bad, f"csirt/{module} imports {bad}"


def test_the_outbox_sits_below_alerts_incidents_and_on_call():
    """ARCHITECTURE.md: alerts, incidents and on-call write to the outbox; the outbox imports none
    of them (it knows users, not incidents)."""
    bad = [f"{p.relative_to(PACKAGE)}: {t}" for p in _files(PACKAGE / "notify") for t in _targets(p)
           if t.startswith(("csirt.alerts", "csirt.incidents", "csirt.oncall"))]
    assert not bad, bad


PURE_ONCALL = ["oncall/schedule.py", "oncall/calendar.py", "notify/decide.py"]


@pytest.mark.parametrize("module", PURE_ONCALL)
def test_who_is_on_call_and_whether_to_notify_are_pure(module):
    """Who is on call at an instant and whether (and when) to notify are computed without the
    database or Flask, so they are tested alone with any clock."""
    path = PACKAGE / module
    bad = [t for t in _targets(path) if t.startswith("csirt")]
    bad += [m for m, _n in _imports(path) if m.startswith(("sqlalchemy", "flask"))]
    assert not bad, f"csirt/{module} imports {bad}"


def test_incidents_never_import_on_call_or_alerts():
    """On-call (escalation, acknowledgement) and alerts build on incidents, never the reverse."""
    bad = [f"{p.relative_to(PACKAGE)}: {t}" for p in _files(PACKAGE / "incidents") for t in _targets(p)
           if t.startswith(("csirt.oncall", "csirt.alerts"))]
    assert not bad, bad


@pytest.mark.parametrize("domain", ["systems", "alerts", "incidents", "notify", "oncall", "team", "rules"])
def test_the_checks_sit_above_the_inventory_and_the_alert_pipeline(domain):
    """The checks read the inventory and hand their alerts to the intake; none of those imports the
    checks (the server page's panel and layer 2's agent state are registered by the checks)."""
    bad = [f"{p.relative_to(PACKAGE)}: {t}" for p in _files(PACKAGE / domain) for t in _targets(p)
           if t.startswith("csirt.checks")]
    assert not bad, bad


def test_only_the_scanner_starts_a_process():
    """SECURITY.md: nmap is started in one place, from a fixed profile; nothing else in the app
    starts a program."""
    modules = ("subprocess", "pty", "multiprocessing")
    from_os = ("system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp")

    def starts(module, name):
        return (module.split(".")[0] in modules or (module == "os" and name is not None
                and (name in from_os or name.startswith(("exec", "spawn")))))

    bad = [f"{p.relative_to(PACKAGE)}: {m} {n or ''}" for p in _files(PACKAGE) for m, n in _imports(p)
           if starts(m, n) and p.relative_to(PACKAGE).as_posix() != "checks/scanner.py"]
    source = [p.relative_to(PACKAGE) for p in _files(PACKAGE)
              if p.relative_to(PACKAGE).as_posix() != "checks/scanner.py"
              and any(word in p.read_text(encoding="utf-8") for word in ("os.system(", "os.popen(", "os.exec"))]
    assert not bad and not source, (bad, source)


def test_the_code_translates_through_the_kept_catalogue():
    """csirt/catalogue.py: gettext, ngettext and lazy_gettext come from there, which reads the
    request's catalogue once; Flask-Babel's own look it up again on every call."""
    kept = {"gettext", "ngettext", "lazy_gettext"}
    bad = [f"{p.relative_to(PACKAGE)}: {name}" for p in _files(PACKAGE) if p.name != "catalogue.py"
           for module, name in _imports(p) if module == "flask_babel" and name in kept]
    assert not bad, bad
