"""The router: which playbooks take an alert. Pure: no database, no app, no clock.

Playbooks are tried in (order, id) order; the first that matches is the primary (its incident is
opened or joined). When it says `continue: true` the walk goes on and every later match is added
as `extra` (its actions run after the primary's); a later match without `continue` is added and
ends the walk.

`Routes` indexes the playbooks once by the source their `match` requires (`Match.sources`): an
alert is only tried against the playbooks of its source merged, in order, with those accepting any
source; inside a source, by a second field many of them pin (`alertname`, `rule_id`: see
`Match.constraints`). Skipping the others changes nothing: a playbook requiring another value
cannot match; and the conditions the index has decided are left out of the tests it runs.
`explain=True` walks every playbook instead and says, for each, why it did or did not take the
alert (the "try an alert" page, `csirt playbooks test`, replay).
"""
import hashlib
import json
from collections import Counter
from functools import lru_cache

from ..catalogue import gettext as _
from .canonical import Context
from .decision import Decision, Verdict
from .matchers import value_getter

EMPTY_CONTEXT = Context()
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # tuples become lists


def _key(book):
    return (book.order, book.id)


class Routes:
    """The enabled playbooks in (order, id) order, and the index: per alert source, the ordered
    candidates (the playbooks requiring that source merged with those accepting any source), each
    with its test narrowed to what the index does not already guarantee. Inside one source, when
    several candidates pin the same field by its values (`alertname="HostDown"`, `rule_id in
    [...]`), a second level picks the candidates by that field's value too."""

    __slots__ = ("playbooks", "entries", "fallback")

    def __init__(self, playbooks):
        self.playbooks = tuple(sorted((b for b in playbooks if getattr(b, "enabled", True)), key=_key))
        # an alert of a source no playbook names: only the playbooks accepting any source
        self.fallback = _entry([b for b in self.playbooks if b.match.sources is None], frozenset())
        sources = {s for b in self.playbooks if b.match.sources is not None for s in b.match.sources}
        self.entries = {
            source: _entry([b for b in self.playbooks if b.match.sources is None or source in b.match.sources],
                           frozenset({"source"}))
            for source in sources}

    def candidates(self, source):
        """The playbooks an alert from `source` may match, in order (before the second level)."""
        return tuple(book for book, _test in self.entries.get(source, self.fallback)[0])

    def pairs(self, alert, ctx):
        """(playbook, test) of every playbook `alert` may match, in order."""
        pairs, _field, getter, table, default = self.entries.get(alert.source, self.fallback)
        return pairs if getter is None else table.get(getter(alert, ctx), default)


MIN_SPLIT = 2  # a second level is built when at least this many candidates pin the same field


def _entry(books, known):
    """(pairs, field, getter, table, default) for the ordered candidates `books`, whose alerts are
    known to satisfy their constraints on the fields `known`. `field` and `getter` are None when no
    field is worth a second level; else `table` maps a value of that field to the (playbook, test)
    pairs, in order, of the candidates allowing it or not pinning the field, and `default` is the
    latter alone."""
    pairs = tuple((b, b.match.narrowed(known)) for b in books)
    counts = Counter(name for b in books for name in b.match.constraints if name not in known)
    best = max(sorted(counts), key=counts.get, default=None)  # ties: the first name alphabetically
    if best is None or counts[best] < MIN_SPLIT:
        return pairs, None, None, None, pairs
    deeper = known | {best}

    def allows(book, value):
        pinned = book.match.constraints.get(best)
        return pinned is None or value in pinned

    values = {v for b in books for v in b.match.constraints.get(best, ())}
    table = {value: tuple((b, b.match.narrowed(deeper)) for b in books if allows(b, value)) for value in values}
    default = tuple((b, b.match.narrowed(deeper)) for b in books if best not in b.match.constraints)
    return pairs, best, value_getter(best), table, default


@lru_cache(maxsize=1024)
def _getters(names):
    return tuple(value_getter(name) for name in names)


def group_key(book, alert, ctx):
    """The group's stable key: SHA-256 hex of the JSON of [playbook id, [values of group.by]]
    (a system list is a JSON list). Stored with incidents: do not change the formula."""
    values = [get(alert, ctx) for get in _getters(tuple(book.group.by))]
    return hashlib.sha256(_JSON.encode([book.id, values]).encode("utf-8")).hexdigest()


def _decision(primary, extra, alert, ctx, verdicts=()):
    if primary is None:
        return Decision(verdicts=verdicts)
    group = primary.group
    if group is None:
        return Decision(playbook=primary, extra=extra, verdicts=verdicts)
    return Decision(playbook=primary, extra=extra, group_key=group_key(primary, alert, ctx),
                    window=group.window, on_resolved=group.on_resolved, verdicts=verdicts)


def route(alert, playbook_set, context=None, explain=False):
    """The Decision for `alert` under `playbook_set` (a PlaybookSet, or a Routes) with the host's
    `context` (canonical.Context; None = nothing known)."""
    routes = playbook_set if isinstance(playbook_set, Routes) else playbook_set.routes
    if routes is None:
        routes = Routes(playbook_set.playbooks)
    ctx = context if context is not None else EMPTY_CONTEXT
    if explain:
        return _explained(alert, routes, ctx)
    primary, extra = None, ()
    pairs, _field, getter, table, default = routes.entries.get(alert.source, routes.fallback)  # Routes.pairs
    if getter is not None:
        pairs = table.get(getter(alert, ctx), default)
    for book, test in pairs:
        if not test(alert, ctx):
            continue
        if primary is None:
            primary = book
        else:
            extra += (book,)
        if not book.cont:
            break
    return _decision(primary, extra, alert, ctx)


def _explained(alert, routes, ctx):
    """Every playbook tried in order, with its Verdict; the same decision as the indexed walk."""
    primary, extra, verdicts, done = None, (), [], False
    for book in routes.playbooks:
        if done:
            verdicts.append(Verdict(book.id, False, _("not tried: an earlier playbook took the alert")))
            continue
        reason = book.match.why_not(alert, ctx)
        verdicts.append(Verdict(book.id, reason is None, reason or ""))
        if reason is not None:
            continue
        if primary is None:
            primary = book
        else:
            extra += (book,)
        done = not book.cont
    return _decision(primary, extra, alert, ctx, tuple(verdicts))
