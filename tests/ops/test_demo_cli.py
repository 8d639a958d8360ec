"""`csirt demo load` (what `CSIRT_DEMO=1 make run` prints): says in words what it created and
what the desk now holds, and says so plainly when the demo was already there."""
import sqlalchemy as sa


def _totals(db):
    from csirt.alerts.models import Alert
    from csirt.incidents.models import Incident
    from csirt.systems.models import InformationSystem, Server
    from csirt.team.models import Agency, User

    count = lambda model: db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()  # noqa: E731
    return {"agencies": count(Agency), "members": count(User), "systems": count(InformationSystem),
            "servers": count(Server), "incidents": count(Incident), "alerts": count(Alert)}


def _holds(t):
    return (f"{t['agencies']} agencies, {t['members']} members, {t['systems']} information systems, "
            f"{t['servers']} servers, {t['incidents']} incidents and {t['alerts']} alerts")


def test_demo_load_after_make_run_bootstrap_says_what_it_created_and_what_the_desk_holds(
        runner, db, monkeypatch):
    monkeypatch.setenv("CSIRT_ADMIN_PASSWORD", "a-long-admin-password-2026")
    assert runner.invoke(args=["ensure-admin"]).exit_code == 0  # as `make run`: the unit and `admin` exist
    before = _totals(db)
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    after = _totals(db)
    created = {k: after[k] - before[k] for k in after}
    assert before["agencies"] == 1 and created["agencies"] == after["agencies"] - 1 > 0
    lines = result.output.splitlines()
    assert lines[0] == (
        f"Demo province loaded: {created['agencies']} agencies, {created['members']} members, "
        f"{created['systems']} information systems, {created['servers']} servers, "
        f"{created['incidents']} incidents and {created['alerts']} alerts created now; "
        f"the desk now holds {_holds(after)}.")
    assert "{" not in result.output and "'" not in result.output, "no Python dict in the output"
    assert lines[1].startswith("Demo members sign in with the password in CSIRT_DEMO_PASSWORD")

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert again.output == f"Demo data already present: nothing created. The desk holds {_holds(after)}.\n"


def test_demo_load_names_only_what_it_had_to_create_in_singular_or_plural(runner, db):
    from csirt.systems.models import Server

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    db.session.execute(sa.delete(Server).where(Server.hostname == db.session.execute(
        sa.select(Server.hostname).order_by(Server.id).limit(1)).scalar_one()))
    db.session.commit()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        f"Demo province loaded: 1 server created now; the desk now holds {_holds(_totals(db))}.")
