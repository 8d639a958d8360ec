"""`csirt playbooks test ALERT.json` and `csirt playbooks replay --since 30d`: try playbooks on the
command line before deploying them. Both only read the database.

They print in `--lang` (vi or en; default BABEL_DEFAULT_LOCALE), the language of the playbooks'
texts and of the router's reasons, so a line never mixes the two.
"""
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..catalogue import gettext as _
from ..clock import utcnow
from ..extensions import db
from . import normalise, preview, replay
from .context import HostLookup
from .executor import note_text
from .forms import detect_format
from .models import Alert

FORMATS = ("auto", "generic", "alertmanager", "wazuh")
BATCH = 1000  # stored alerts read per query by replay (keyset on occurred_at, id)


def _lang_option(command):
    return click.option("--lang", type=click.Choice(("vi", "en")), default=None,
                        help="Language of the output (default: BABEL_DEFAULT_LOCALE).")(command)


def _locale(lang):
    return force_locale(lang or current_app.config.get("BABEL_DEFAULT_LOCALE") or "vi")


def _playbook_set(path):
    """The set in force, or the one at `path` (its load errors printed first)."""
    from .playbooks import registry

    if path is None:
        return registry.current(current_app)
    loaded = registry.load_dir(path)
    for error in loaded.errors:
        click.echo(_("left out: %(error)s", error=str(error)), err=True)
    return loaded


# --- test ---------------------------------------------------------------------------------

def _when(moment):
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _span(delta):
    """timedelta → "1d2h", "15m", "30s" (the playbooks' way of writing durations)."""
    seconds = int(delta.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + ("".join(parts) or "0m")


def _offset(moment, now):
    return "" if moment is None else "+" + _span(moment - now)


def _targets(targets):
    return ", ".join(t.kind if t.value is None else f"{t.kind}:{t.value}" + (f"/{t.layer}" if t.layer else "")
                     for t in targets)


def _echo_plan(number, total, result, now):
    alert, ctx, decision = result.alert, result.context, result.decision
    click.echo(_("Alert %(n)d of %(total)d: %(source)s, %(severity)s, %(status)s, host %(host)s: %(title)s",
                 n=number, total=total, source=alert.source, severity=alert.severity, status=alert.status,
                 host=alert.host or "-", title=alert.title))
    click.echo("  " + _("context: agency %(agency)s, systems %(systems)s (level %(level)d), server %(server)s",
                        agency=ctx.agency or "-", systems=", ".join(ctx.system) or "-", level=ctx.system_level,
                        server=ctx.server or "-"))
    click.echo("  " + _("Playbooks, in order:"))
    for verdict in decision.verdicts:
        mark = "+" if verdict.matched else "-"
        why = _("matches") if verdict.matched else verdict.reason
        click.echo(f"    {mark} {verdict.playbook:<32} {why}")
    if not decision.matched:
        click.echo("  " + _("No playbook matches: the alert is stored, unmatched, and opens no incident."))
        return
    book = decision.playbook
    line = _("Playbook: %(id)s (%(title)s)", id=book.id, title=book.title.get(_lang()))
    if decision.extra:
        line += "; " + _("with the actions of: %(ids)s", ids=", ".join(b.id for b in decision.extra))
    click.echo("  " + line)
    if decision.group_key is not None:
        click.echo("  " + _("group: by %(by)s, window %(window)s, on resolved: %(on)s; key %(key)s",
                            by=", ".join(book.group.by), window=_span(decision.window), on=decision.on_resolved,
                            key=decision.group_key[:12]))
    if result.outcome == preview.JOIN:
        click.echo("  " + _("Would join the open incident %(ref)s: %(title)s", ref=result.incident.reference,
                            title=result.incident.title))
    elif result.outcome == preview.RESOLVE:
        click.echo("  " + _("Would be written on incident %(ref)s as resolved", ref=result.incident.reference)
                   + ("; " + _("and close it") if result.would_close else ""))
    elif result.outcome == preview.NOTHING:
        click.echo("  " + _("A resolution with no open incident to go to: nothing would change."))
    else:
        _echo_opening(result, now)
    for owner, notify in result.notify:
        click.echo("  " + _("notify (%(playbook)s): %(to)s by %(channels)s on %(on)s", playbook=owner,
                            to=_targets(notify.to), channels=", ".join(notify.channels), on=", ".join(notify.on)))
    for owner, step in result.escalate:
        click.echo("  " + _("escalate (%(playbook)s): after %(after)s to %(to)s by %(channels)s", playbook=owner,
                            after=_span(step.after), to=_targets(step.to), channels=", ".join(step.channels)))


def _lang():
    from flask_babel import get_locale

    return str(get_locale() or "vi")


def _echo_opening(result, now):
    o = result.opening
    click.echo("  " + _("Would open a new incident:"))
    click.echo("    " + _("title: %(title)s", title=o["title"]))
    click.echo("    " + _("category %(category)s, severity %(severity)s, priority %(priority)s, TLP %(tlp)s",
                          category=o["category"] + (f"/{o['sub_type']}" if o["sub_type"] else ""),
                          severity=o["severity"], priority=o["priority"], tlp=o["tlp"]))
    agency = result.agency
    where = {"host_unknown": _("host not in the inventory: the triage agency"),
             "agency_unknown": _("agency unknown: the triage agency")}.get(result.agency_note, "")
    click.echo("    " + _("agency: %(code)s", code=agency.code if agency is not None else "-")
               + (f" ({where})" if where else ""))
    candidates = [a.value for _o, a in result.decision.actions() if a.name == "assign"]
    chain = " → ".join(f"{c.kind}:{c.value}" for group in candidates for c in group)
    picked = result.assignee.username if result.assignee is not None else _("nobody")
    click.echo("    " + _("assignee: %(chain)s; today: %(who)s", chain=chain or "-", who=picked))
    for note in result.assign_notes:
        click.echo("      " + note_text(note))
    if result.tasks:
        click.echo("    " + _("tasks:"))
    for step in result.tasks:
        flags = [_("required") if step.required else _("optional")]
        if step.owner_role:
            flags.append(_("owner %(role)s", role=step.owner_role))
        if step.due_at is not None:
            flags.append(_("due %(offset)s", offset=_offset(step.due_at, now)))
        click.echo(f"      [{step.key}] {step.title} ({', '.join(flags)})")
    for key, due in result.clocks:
        text = _("due %(when)s", when=_when(due)) if due is not None else _("no rule in force, not started")
        click.echo("    " + _("clock %(key)s: %(text)s", key=key, text=text))
    for note in result.notes:
        click.echo("    " + _("note: %(text)s", text=note))
    if result.server is not None or result.systems:
        click.echo("    " + _("links: server %(server)s; systems %(systems)s",
                              server=result.server.hostname if result.server is not None else "-",
                              systems=", ".join(s.code for s in result.systems) or "-"))


@click.command("test")
@click.argument("alert_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="The payload's format; auto: Alertmanager has alerts and a version, Wazuh a rule.")
@click.option("--playbooks", "path", type=click.Path(path_type=Path), default=None,
              help="Try the playbooks at PATH (a file or folder) instead of those in force.")
@_lang_option
@with_appcontext
def test_command(alert_file, fmt, path, lang):
    """Which playbook ALERT_FILE's alerts match, why the others do not, and what each would do.
    Writes nothing. Exit status 1 when the file cannot be read or parsed."""
    with _locale(lang):
        try:
            payload = json.loads(alert_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            click.echo(f"{alert_file}: {err}", err=True)
            raise SystemExit(1) from None
        fmt = detect_format(payload) if fmt == "auto" else fmt
        now = utcnow()
        try:
            alerts = normalise.parse(fmt, payload, now)
        except normalise.BadAlert as err:
            click.echo(f"{alert_file}: {fmt}: {err}", err=True)
            raise SystemExit(1) from None
        playbook_set = _playbook_set(path)
        click.echo(_("%(file)s: %(count)d alert(s), format %(format)s; %(books)d playbooks in force",
                     file=alert_file, count=len(alerts), format=fmt, books=len(playbook_set.playbooks)))
        try:
            for number, alert in enumerate(alerts, start=1):
                _echo_plan(number, len(alerts), preview.plan(alert, playbook_set, now), now)
        finally:
            db.session.rollback()  # read only: leave nothing behind


# --- replay -------------------------------------------------------------------------------

COLUMNS = (Alert.id, Alert.source, Alert.severity, Alert.status, Alert.title, Alert.occurred_at, Alert.fingerprint,
           Alert.description, Alert.host, Alert.labels, Alert.format, Alert.incident_id, Alert.playbook_id,
           Alert.route)


def stored_alerts(since, hosts, batch=BATCH):
    """The stored alerts that occurred at or after `since`, in (occurred_at, id) order, read
    `batch` at a time by keyset (never all at once); each batch's hosts primed in `hosts`."""
    last = None
    while True:
        query = db.select(*COLUMNS).where(Alert.occurred_at >= since)
        if last is not None:
            query = query.where(db.or_(Alert.occurred_at > last[0],
                                       db.and_(Alert.occurred_at == last[0], Alert.id > last[1])))
        rows = db.session.execute(query.order_by(Alert.occurred_at, Alert.id).limit(batch)).all()
        if not rows:
            return
        hosts.prime(row.host for row in rows)
        for row in rows:
            yield replay.StoredAlert(**row._asdict())
        last = (rows[-1].occurred_at, rows[-1].id)
        db.session.rollback()  # end the read transaction between batches


def _delta(report):
    delta = report.incidents_delta
    if delta > 0:
        return _("%(n)d more", n=delta)
    if delta < 0:
        return _("%(n)d fewer", n=-delta)
    return _("the same number")


KINDS = {"playbook": lambda: _("playbook"), "merge": lambda: _("merge"), "split": lambda: _("split"),
         "assignment": lambda: _("assignment")}


def echo_report(report, since, playbook_set, path):
    click.echo(_("Replay of %(n)d alerts since %(since)s through %(books)d playbooks (%(where)s, version %(v)s)",
                 n=report.alerts, since=_when(since), books=len(playbook_set.playbooks),
                 where=path or _("in force"), v=playbook_set.version[:12]))
    if not report.alerts:
        click.echo(_("No stored alert since then: nothing to compare."))
        return
    before_label, after_label = _("before"), _("after")
    click.echo(f"{'':<34}{before_label:>10}{after_label:>10}")
    rows = ((_("incidents the alerts went to"), report.incidents_before, report.incidents_after),
            (_("alerts that opened an incident"), report.opened_before, report.opened_after),
            (_("unmatched alerts"), report.unmatched_before, report.unmatched_after))
    for label, before, after in rows:
        click.echo(f"{label:<34}{before:>10}{after:>10}")
    click.echo(_("Incidents: %(delta)s.", delta=_delta(report)))
    click.echo(_("Alerts that would go to another playbook: %(n)d", n=report.playbook_changed))
    for (before, after), count in report.moves.most_common(10):
        click.echo(f"    {before or '-'} → {after or '-'}: {count}")
    click.echo(_("Incidents that would gather alerts of several stored incidents (merge): %(n)d", n=report.merged))
    click.echo(_("Stored incidents whose alerts would go to several incidents (split): %(n)d", n=report.split))
    click.echo(_("Incidents that would go to another first assign candidate: %(n)d", n=report.reassigned))
    if report.unchanged:
        click.echo(_("No difference: these playbooks decide as the stored alerts went."))
        return
    click.echo(_("The first %(n)d differences of %(total)d:", n=len(report.differences),
                 total=report.differences_total))
    word = _("alert")
    for d in report.differences:
        click.echo(f"    {word} {d.alert_id:<8} {d.occurred_at:%Y-%m-%d %H:%M}  {KINDS[d.kind]():<12} "
                   f"{d.before} → {d.after}")


@click.command("replay")
@click.option("--since", default="30d", show_default=True,
              help="How far back: 30d, 12h, 2w, or a date (YYYY-MM-DD, UTC).")
@click.option("--playbooks", "path", type=click.Path(path_type=Path, exists=True), default=None,
              help="Replay the playbooks at PATH (a file or folder) instead of those in force.")
@click.option("--limit", default=replay.DEFAULT_LIMIT, show_default=True, type=click.IntRange(0),
              help="How many differences to list.")
@_lang_option
@with_appcontext
def replay_command(since, path, limit, lang):
    """The stored alerts since --since through the playbooks (those in force, or at PATH), with
    grouping simulated in memory, against what happened: more or fewer incidents, other
    playbooks, merges, splits, other assignees. Writes nothing."""
    from .playbooks import registry

    with _locale(lang):
        try:
            start = replay.parse_since(since, utcnow())
        except ValueError:
            raise click.BadParameter(_("write 30d, 12h, 2w or a date such as 2026-11-01"),
                                     param_hint="--since") from None
        in_force = registry.current(current_app)
        playbook_set = _playbook_set(path) if path is not None else in_force
        hosts = HostLookup()
        try:
            report = replay.compare(stored_alerts(start, hosts), playbook_set, hosts.context, before=in_force,
                                    limit=limit)
        finally:
            db.session.rollback()
        echo_report(report, start, playbook_set, path)


def add_commands(group):
    """Put `test` and `replay` in the `csirt playbooks` group (csirt/cli.py calls it)."""
    group.add_command(test_command)
    group.add_command(replay_command)
