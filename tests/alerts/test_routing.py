"""The router: order and ties, continue chains, group keys, the source index (the same decision as
trying every playbook in order) and explain's verdicts."""
import random
from datetime import datetime, timedelta

import pytest

from csirt.alerts.canonical import SEVERITIES, Alert, Context
from csirt.alerts.matchers import compile_match
from csirt.alerts.playbooks.compiled import Group, Playbook, PlaybookSet
from csirt.alerts.routing import Routes, group_key, route

NOT_TRIED = "not tried: an earlier playbook took the alert"


def book(book_id, match=None, order=100, cont=False, group=None, enabled=True):
    """A compiled playbook with only what the router reads."""
    return Playbook(id=book_id, title=None, description=None, order=order, cont=cont, enabled=enabled,
                    match=compile_match(match), group=group, incident=None, actions=(), path=f"{book_id}.yaml",
                    version="", spec={"match": match})


def playbook_set(*books):
    routes = Routes(books)
    return PlaybookSet(playbooks=routes.playbooks, errors=(), version="test", routes=routes)


def alert(source="wazuh", severity="high", status="firing", host="portal.example", labels=None):
    return Alert(source=source, severity=severity, status=status, title="t", occurred_at=datetime(2026, 12, 1),
                 fingerprint="f" * 16, host=host, labels={"rule_id": "31101"} if labels is None else labels)


CTX = Context(agency="STTTT", system=("HT001",), system_level=3, server="srv-01")


def ids(decision):
    return [b.id for b in decision.playbooks]


# --- order, ties, continue ----------------------------------------------------------------------

def test_the_first_matching_playbook_in_order_takes_the_alert():
    books = playbook_set(book("late", {"all": ['source="wazuh"']}, order=200),
                         book("early", {"all": ['source="wazuh"']}, order=10),
                         book("other", {"all": ['source="check"']}, order=1))
    decision = route(alert(), books, CTX)
    assert decision.playbook.id == "early" and decision.extra == ()
    assert decision.matched


def test_ties_in_order_are_broken_by_id():
    books = playbook_set(book("b-second", order=50), book("a-first", order=50))
    assert route(alert(), books, CTX).playbook.id == "a-first"


def test_no_match_gives_an_empty_decision():
    decision = route(alert(), playbook_set(book("x", {"all": ['source="check"']})), CTX)
    assert decision.playbook is None and not decision.matched and decision.playbooks == ()
    assert decision.group_key is None and decision.verdicts == ()


def test_continue_collects_later_matches_until_one_without_continue():
    books = playbook_set(
        book("p1", {"all": ['source="wazuh"']}, order=1, cont=True),
        book("p2", {"all": ['source="check"']}, order=2, cont=False),   # does not match: no stop
        book("p3", order=3, cont=True),
        book("p4", {"all": ['rule_id="31101"']}, order=4, cont=False),  # matches, ends the walk
        book("p5", order=5))
    decision = route(alert(), books, CTX)
    assert ids(decision) == ["p1", "p3", "p4"]
    assert decision.playbook.id == "p1" and [b.id for b in decision.extra] == ["p3", "p4"]


def test_a_primary_without_continue_stops_at_once():
    books = playbook_set(book("p1", order=1), book("p2", order=2, cont=True))
    assert ids(route(alert(), books, CTX)) == ["p1"]


def test_disabled_playbooks_are_left_out_of_the_routes():
    routes = Routes([book("off", order=1, enabled=False), book("on", order=2)])
    assert [b.id for b in routes.playbooks] == ["on"]
    assert route(alert(), routes, CTX).playbook.id == "on"


def test_a_playbook_set_without_routes_is_indexed_on_the_fly():
    books = (book("a", {"all": ['source="wazuh"']}),)
    assert route(alert(), PlaybookSet(playbooks=books, errors=(), version="v"), CTX).playbook.id == "a"


# --- group keys ---------------------------------------------------------------------------------

GROUP = Group(by=("source", "host", "labels.rule_id", "system"), window=timedelta(hours=6), on_resolved="close")


def test_group_key_window_and_on_resolved_come_from_the_primary():
    books = playbook_set(book("g", order=1, cont=True, group=GROUP),
                         book("h", order=2, group=Group(by=("host",), window=timedelta(minutes=5))))
    decision = route(alert(), books, CTX)
    assert decision.window == timedelta(hours=6) and decision.on_resolved == "close"
    assert decision.group_key == group_key(books.get("g"), alert(), CTX)
    assert len(decision.group_key) == 64 and int(decision.group_key, 16) >= 0


def test_no_group_gives_no_key():
    decision = route(alert(), playbook_set(book("solo")), CTX)
    assert decision.group_key is None and decision.window is None and decision.on_resolved == "note"


def test_group_keys_are_stable_and_distinct():
    g = book("g", group=GROUP)
    key = group_key(g, alert(), CTX)
    assert key == group_key(g, alert(), CTX)  # same values, same key (and across processes: no hash())
    others = {
        group_key(g, alert(host="other"), CTX),
        group_key(g, alert(labels={"rule_id": "5710"}), CTX),
        group_key(g, alert(source="check"), CTX),
        group_key(g, alert(), Context(system=("HT002",))),
        group_key(book("g2", group=GROUP), alert(), CTX),  # another playbook, same values
    }
    assert len(others) == 5 and key not in others
    # values do not run into each other: ("a,b", "") and ("a", "b,") differ
    two = book("two", group=Group(by=("x", "y"), window=timedelta(hours=1)))
    assert group_key(two, alert(labels={"x": "a,b", "y": ""}), CTX) != \
        group_key(two, alert(labels={"x": "a", "y": "b,"}), CTX)
    # the time and the fingerprint are not part of the group
    later = Alert(source="wazuh", severity="low", status="resolved", title="u", occurred_at=datetime(2026, 12, 2),
                  fingerprint="0" * 16, host="portal.example", labels={"rule_id": "31101"})
    assert group_key(g, later, CTX) == key


def test_group_key_formula_is_sha256_of_the_id_and_the_values():
    import hashlib
    import json

    g = book("web", group=Group(by=("host", "system_level", "system"), window=timedelta(hours=1)))
    expected = hashlib.sha256(json.dumps(["web", ["portal.example", 3, ["HT001"]]], ensure_ascii=False,
                                         separators=(",", ":")).encode()).hexdigest()
    assert group_key(g, alert(), CTX) == expected


# --- the index --------------------------------------------------------------------------------------

def test_routes_index_candidates_by_source_merged_in_order_with_any_source_playbooks():
    routes = Routes([book("w1", {"all": ['source="wazuh"']}, order=30),
                     book("any1", order=20),
                     book("wc", {"all": [{"field": "source", "in": ["wazuh", "check"]}]}, order=10),
                     book("c1", {"all": ['source="check"']}, order=5),
                     book("any2", {"all": ['rule_id="1"']}, order=40)])
    assert [b.id for b in routes.candidates("wazuh")] == ["wc", "any1", "w1", "any2"]
    assert [b.id for b in routes.candidates("check")] == ["c1", "wc", "any1", "any2"]
    assert [b.id for b in routes.candidates("zabbix")] == ["any1", "any2"]


def test_a_second_level_picks_candidates_by_the_field_most_of_them_pin():
    routes = Routes([book("down", {"all": ['source="alertmanager"', 'alertname="HostDown"']}, order=1),
                     book("disk", {"all": ['{source="alertmanager", alertname=~"DiskFull|DiskSlow"}']}, order=2),
                     book("any", {"all": [{"field": "severity", "gte": "high"}]}, order=3),
                     book("tls", {"all": ['source="alertmanager"', {"field": "alertname", "in": ["TLS"]}]}, order=4),
                     book("job", {"all": ['source="alertmanager"', 'job="node"']}, order=5)])
    entry = routes.entries["alertmanager"]
    assert entry[1] == "labels.alertname"

    def tried(labels):
        return [b.id for b, _test in routes.pairs(alert(source="alertmanager", labels=labels), CTX)]

    assert tried({"alertname": "HostDown"}) == ["down", "any", "job"]
    assert tried({"alertname": "DiskSlow", "job": "node"}) == ["disk", "any", "job"]
    assert tried({"alertname": "Other"}) == ["any", "job"]
    assert tried({}) == ["any", "job"]  # a missing label is "": no playbook pins that value
    # the tests left out are the ones the index decided: source and alertname
    decision = route(alert(source="alertmanager", severity="low", labels={"alertname": "DiskFull"}), routes, CTX)
    assert decision.playbook.id == "disk"


def test_an_empty_label_value_is_indexed_like_any_other():
    routes = Routes([book("no-team", {"all": ['source="wazuh"', 'team=""']}, order=1),
                     book("soc", {"all": ['source="wazuh"', 'team="soc"']}, order=2),
                     book("rest", {"all": ['source="wazuh"']}, order=3)])
    assert route(alert(labels={}), routes, CTX).playbook.id == "no-team"
    assert route(alert(labels={"team": "soc"}), routes, CTX).playbook.id == "soc"
    assert route(alert(labels={"team": "x"}), routes, CTX).playbook.id == "rest"


SOURCES = ("wazuh", "alertmanager", "check", "manual")
LABELS = ("rule_id", "alertname", "team", "job")
VALUES = ("1", "2", "3", "web", "db", "")


def _random_condition(rng):
    kind = rng.randrange(12)
    label = rng.choice(LABELS)
    if kind == 9:  # the fields the second index level picks
        return f'{rng.choice(("", "labels."))}{label}="{rng.choice(VALUES)}"'
    if kind == 10:
        return {"field": label, "in": rng.sample(VALUES, 2)}
    if kind == 11:
        return f'{{source="{rng.choice(SOURCES)}", {label}=~"{rng.choice(VALUES)}|{rng.choice(VALUES[:3])}"}}'
    if kind == 0:
        return f'source="{rng.choice(SOURCES)}"'
    if kind == 1:
        return {"field": "source", "in": rng.sample(SOURCES, 2)}
    if kind == 2:
        return f'source=~"{rng.choice(SOURCES)}|{rng.choice(SOURCES)}"'
    if kind == 3:
        return f'{{{label}="{rng.choice(VALUES)}", source!="{rng.choice(SOURCES)}"}}'
    if kind == 4:
        return f'{label}=~"{rng.choice(("w.*", ".*", "[12]", "d."))}"'
    if kind == 5:
        return {"field": "severity", rng.choice(("gte", "lte")): rng.choice(SEVERITIES)}
    if kind == 6:
        return {"field": "system_level", "gte": rng.randint(0, 5)}
    if kind == 7:
        return f'system{rng.choice(("=", "!="))}"HT{rng.randint(1, 3)}"'
    return f'{label}!="{rng.choice(VALUES)}"'


def _random_match(rng):
    spec = {}
    for key, most in (("all", 3), ("any", 2), ("none", 2)):
        count = rng.randint(0, most)
        if count:
            spec[key] = [_random_condition(rng) for _ in range(count)]
    return spec


def _random_alert(rng):
    labels = {k: rng.choice(VALUES) for k in rng.sample(LABELS, rng.randint(0, len(LABELS)))}
    return alert(source=rng.choice(SOURCES + ("other",)), severity=rng.choice(SEVERITIES),
                 status=rng.choice(("firing", "resolved")), host=rng.choice(("a", "b", "")), labels=labels)


def _random_context(rng):
    return Context(system=tuple(f"HT{n}" for n in rng.sample((1, 2, 3), rng.randint(0, 2))),
                   system_level=rng.randint(0, 5))


def _walk_every_playbook(alert_, books, ctx):
    """The reference: every playbook in (order, id) order, no index."""
    taken = []
    for b in sorted(books, key=lambda b: (b.order, b.id)):
        if b.match.test(alert_, ctx):
            taken.append(b)
            if not b.cont:
                break
    return taken


@pytest.mark.parametrize("seed", range(8))
def test_the_indexed_route_decides_as_trying_every_playbook_in_order(seed):
    rng = random.Random(seed)
    books = [book(f"p{n:02d}", _random_match(rng), order=rng.choice((10, 20, 30)), cont=rng.random() < 0.3,
                  group=GROUP if rng.random() < 0.5 else None) for n in range(40)]
    books_set = playbook_set(*books)
    indexed = sum(1 for b in books_set.playbooks if b.match.sources is not None)
    assert indexed > 5  # the random playbooks do exercise the index, both levels
    assert any(entry[1] is not None for entry in books_set.routes.entries.values())
    decided = 0
    for _ in range(300):
        a, ctx = _random_alert(rng), _random_context(rng)
        expected = _walk_every_playbook(a, books, ctx)
        decision = route(a, books_set, ctx)
        assert decision.playbooks == tuple(expected)
        explained = route(a, books_set, ctx, explain=True)
        assert explained.playbooks == decision.playbooks and explained.group_key == decision.group_key
        for verdict in explained.verdicts:  # a verdict's reason agrees with the test
            b = books_set.get(verdict.playbook)
            if verdict.reason != NOT_TRIED:
                assert verdict.matched == b.match.test(a, ctx) == (verdict.reason == "")
        decided += decision.matched
    assert decided > 30


# --- explain ------------------------------------------------------------------------------------------

def test_explain_gives_a_verdict_for_every_playbook_in_order():
    books = playbook_set(
        book("a-check", {"all": ['source="check"']}, order=1),
        book("b-wazuh", {"all": ['source="wazuh"']}, order=2, cont=True),
        book("c-rule", {"all": ['rule_id="5710"']}, order=3),
        book("d-any", order=4),
        book("e-late", order=5),
        book("off", order=0, enabled=False))
    decision = route(alert(), books, CTX, explain=True)
    assert ids(decision) == ["b-wazuh", "d-any"]
    assert [(v.playbook, v.matched, v.reason) for v in decision.verdicts] == [
        ("a-check", False, 'source is "wazuh", not "check"'),
        ("b-wazuh", True, ""),
        ("c-rule", False, 'rule_id is "31101", not "5710"'),
        ("d-any", True, ""),
        ("e-late", False, NOT_TRIED),
    ]


def test_explain_tries_playbooks_of_other_sources_and_says_why_not():
    books = playbook_set(book("am", {"all": ['source="alertmanager"']}), book("w", {"all": ['source="wazuh"']}))
    decision = route(alert(), books, CTX, explain=True)
    assert decision.playbook.id == "w"
    assert decision.verdicts[0].reason == 'source is "wazuh", not "alertmanager"'


def test_explain_with_no_match_gives_every_reason():
    books = playbook_set(book("a", {"all": ['source="check"']}), book("b", {"all": [{"field": "severity",
                                                                                     "gte": "critical"}]}))
    decision = route(alert(), books, None, explain=True)
    assert not decision.matched
    assert [v.reason for v in decision.verdicts] == ['source is "wazuh", not "check"',
                                                     'severity is "high", below "critical"']
