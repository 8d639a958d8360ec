"""Playbook matchers: every form of `match`, Alertmanager's string syntax and semantics, context
fields, reasons in words, and the errors of a bad `match` with where they are."""
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csirt.alerts.canonical import Alert, Context
from csirt.alerts.matchers import MatcherError, check_field, compile_match, field_value, parse_matchers


def alert(source="wazuh", severity="high", status="firing", host="portal.example", labels=None, **fields):
    return Alert(source=source, severity=severity, status=status, title=fields.pop("title", "Web attack"),
                 occurred_at=datetime(2026, 12, 1, 8, 0), fingerprint="f" * 16, host=host,
                 labels={"rule_id": "31101", "rule_groups": "web,attack", "agent_name": "srv-01"}
                 if labels is None else labels, **fields)


CTX = Context(agency="STTTT", system=("HT001", "HT007"), system_level=3, server="srv-01")


def matches(spec, a=None, ctx=CTX):
    match = compile_match(spec)
    result = match.test(a or alert(), ctx)
    assert result == (match.why_not(a or alert(), ctx) is None)  # the two always agree
    return result


def reason(spec, a=None, ctx=CTX):
    return compile_match(spec).why_not(a or alert(), ctx)


# --- Alertmanager matcher strings ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ('source="wazuh"', True), ('source="alertmanager"', False),
    ('source!="alertmanager"', True), ('source!="wazuh"', False),
    ('rule_groups=~".*web.*"', True), ('rule_groups=~"web"', False),
    ('rule_groups!~".*web.*"', False), ('rule_groups!~"ssh.*"', True),
    ("source=wazuh", True), ("rule_id = 31101", True),
    ('{source="wazuh", rule_id="31101"}', True), ('{source="wazuh", rule_id="1"}', False),
    ('source="wazuh",rule_id=~"311.."', True), ('{source="wazuh", }', True),
])
def test_each_alertmanager_operator_quoted_or_not_and_several_in_braces(text, expected):
    assert matches({"all": [text]}) is expected


def test_regexes_are_anchored_at_both_ends_like_alertmanager():
    assert matches({"all": ['rule_id=~"311"']}) is False      # no substring match
    assert matches({"all": ['rule_id=~"1101"']}) is False     # not at the end only
    assert matches({"all": ['rule_id=~"31101|x"']}) is True   # the alternation is grouped
    assert matches({"all": ['rule_id=~"x|31101"']}) is True
    assert matches({"all": ['rule_id!~"311"']}) is True
    # a trailing newline does not slip past the end anchor (Python's $ would let it)
    assert matches({"all": ['rule_id=~"31101"']}, alert(labels={"rule_id": "31101\n"})) is False


def test_quoted_values_take_alertmanager_escapes():
    assert parse_matchers(r'title="say \"hi\""') == [("title", "=", 'say "hi"')]
    assert parse_matchers(r'title="a\\b"') == [("title", "=", "a\\b")]
    assert parse_matchers(r'title="line\nnext"') == [("title", "=", "line\nnext")]
    # another backslash stays literal, so a regex's \d needs no doubling (Alertmanager's classic parser)
    assert parse_matchers(r'rule_id=~"\d+"') == [("rule_id", "=~", r"\d+")]
    assert matches({"all": [r'rule_id=~"\d+"']}) is True
    # commas and braces inside quotes are part of the value
    assert parse_matchers('{groups="web,attack", x="}"}') == [("groups", "=", "web,attack"), ("x", "=", "}")]
    assert matches({"all": ['rule_groups="web,attack"']}) is True
    assert matches({"all": [r'title="say \"hi\""']}, alert(title='say "hi"')) is True


def test_label_names_are_alertmanager_names_or_quoted_utf8_and_labels_dot_names_a_label():
    assert parse_matchers("a_b:c=1") == [("a_b:c", "=", "1")]
    assert parse_matchers('"tên máy"="srv 01"') == [("tên máy", "=", "srv 01")]
    assert matches({"all": ['"tên máy"="srv 01"']}, alert(labels={"tên máy": "srv 01"})) is True
    assert matches({"all": ['labels.rule_id="31101"']}) is True
    # labels.source is the label, not the alert's source field
    a = alert(labels={"source": "syslog"})
    assert matches({"all": ['labels.source="syslog"', 'source="wazuh"']}, a) is True
    assert matches({"all": ['labels.source="wazuh"']}, a) is False


def test_a_missing_label_equals_the_empty_text():
    a = alert(labels={"rule_id": "1"})
    assert matches({"all": ['team=""']}, a) is True
    assert matches({"all": ['team!=""']}, a) is False
    assert matches({"all": ['team=~".*"']}, a) is True
    assert matches({"all": ['team=~".+"']}, a) is False
    assert matches({"all": ['rule_id!=""']}, a) is True
    assert matches({"all": [{"field": "team", "in": ["a", ""]}]}, a) is True
    assert field_value("team", a, CTX) == ""


@pytest.mark.parametrize("text, fragment", [
    ("source", "needs an operator"),
    ('source=="wazuh"', "double quote"),
    ('source="wazuh', "double quote"),
    ('source=wa"zuh', "double quote"),
    ('source="wa"zuh"', "double quote"),
    ('{source="wazuh"', "unbalanced braces"),
    ('source="wazuh"}', "unbalanced braces"),
    ("{}", "at least one matcher"),
    ("", "at least one matcher"),
    ('{a="1",,b="2"}', "an empty matcher"),
    ("9lives=1", "does not start with a label name"),
    ("tên=1", "does not start with a label name"),
    ('""="x"', "an empty label name"),
    ('source~"x"', "needs an operator"),
    ('rule_id=~"(unclosed"', "invalid regular expression"),
    ('rule_id!~"*"', "invalid regular expression"),
    ('labels="x"', "cannot be matched"),
    ('occurred_at="x"', "cannot be matched"),
])
def test_a_bad_matcher_string_is_refused_with_where_it_is(text, fragment):
    with pytest.raises(MatcherError) as caught:
        compile_match({"all": ['source="wazuh"', text]})
    assert caught.value.where == "match.all[1]"
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("match.all[1]: ")


# --- mapping forms --------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, expected", [
    ({"field": "host", "in": ["portal.example", "10.0.0.5"]}, True),
    ({"field": "host", "in": ["10.0.0.5"]}, False),
    ({"field": "host", "not_in": ["10.0.0.5"]}, True),
    ({"field": "host", "not_in": ["portal.example"]}, False),
    ({"field": "severity", "gte": "high"}, True), ({"field": "severity", "gte": "critical"}, False),
    ({"field": "severity", "lte": "high"}, True), ({"field": "severity", "lte": "medium"}, False),
    ({"field": "severity", "gte": "info"}, True),
    ({"field": "source", "equals": "wazuh"}, True), ({"field": "source", "equals": "check"}, False),
    ({"field": "source", "not_equals": "check"}, True), ({"field": "source", "not_equals": "wazuh"}, False),
    ({"field": "rule_groups", "regex": ".*web.*"}, True), ({"field": "rule_groups", "regex": "web"}, False),
    ({"field": "rule_groups", "not_regex": "ssh.*"}, True), ({"field": "rule_groups", "not_regex": "web.*"}, False),
    ({"field": "labels.rule_id", "in": [31101, 5710]}, True),  # YAML numbers compare as their text
])
def test_each_mapping_operator(condition, expected):
    assert matches({"all": [condition]}) is expected


def test_severity_order_follows_the_canonical_scale_not_the_alphabet():
    assert matches({"all": [{"field": "severity", "gte": "low"}]}, alert(severity="medium")) is True
    assert matches({"all": [{"field": "severity", "gte": "medium"}]}, alert(severity="low")) is False
    assert matches({"all": [{"field": "severity", "lte": "info"}]}, alert(severity="info")) is True
    assert matches({"all": [{"field": "severity", "gte": "high"}]}, alert(severity="critical")) is True


def test_context_fields_agency_server_system_and_system_level():
    assert matches({"all": ['agency="STTTT"', 'server="srv-01"']}) is True
    assert matches({"all": ['agency="SYT"']}) is False
    assert matches({"all": [{"field": "system_level", "gte": 3}]}) is True
    assert matches({"all": [{"field": "system_level", "gte": 4}]}) is False
    assert matches({"all": [{"field": "system_level", "lte": 3}]}) is True
    assert matches({"all": [{"field": "system_level", "gte": "2"}]}) is True  # a number written as text
    assert matches({"all": ['system_level="3"']}) is True     # string forms compare its text
    assert matches({"all": ['system_level=~"[34]"']}) is True
    assert matches({"all": [{"field": "system_level", "in": [3, 4]}]}) is True
    assert matches({"all": ['agency="STTTT"']}, ctx=None) is False  # nothing known: empty context


def test_system_matches_when_any_code_does_and_its_negations_when_none_does():
    assert matches({"all": ['system="HT007"']}) is True
    assert matches({"all": ['system="HT002"']}) is False
    assert matches({"all": ['system=~"HT00[7-9]"']}) is True
    assert matches({"all": ['system!="HT007"']}) is False     # one of them is HT007
    assert matches({"all": ['system!="HT002"']}) is True
    assert matches({"all": ['system!~"HT00.*"']}) is False
    assert matches({"all": ['system!~"HT9.*"']}) is True
    assert matches({"all": [{"field": "system", "in": ["HT002", "HT001"]}]}) is True
    assert matches({"all": [{"field": "system", "not_in": ["HT002", "HT001"]}]}) is False
    assert matches({"all": [{"field": "system", "not_in": ["HT002"]}]}) is True


def test_no_system_counts_as_the_empty_code_like_a_missing_label():
    bare = Context()
    assert matches({"all": ['system=""']}, ctx=bare) is True
    assert matches({"all": ['system!=""']}, ctx=bare) is False
    assert matches({"all": ['system!=""']}) is True
    assert matches({"all": ['system="HT001"']}, ctx=bare) is False
    assert matches({"all": [{"field": "system", "not_in": ["HT001"]}]}, ctx=bare) is True


@pytest.mark.parametrize("condition, fragment", [
    ({"field": "host", "gte": "a"}, "compares only severity and system_level"),
    ({"field": "labels.severity", "lte": "high"}, "compares only severity and system_level"),
    ({"field": "severity", "gte": "urgent"}, "takes one of info, low, medium, high, critical"),
    ({"field": "system_level", "gte": "high"}, "takes a whole number"),
    ({"field": "system_level", "gte": True}, "takes a whole number"),
    ({"field": "host", "in": []}, "non-empty list"),
    ({"field": "host", "in": "portal.example"}, "non-empty list"),
    ({"field": "host", "equals": ["a"]}, "a text or a number"),
    ({"field": "host", "equals": None}, "a text or a number"),
    ({"field": "host", "equals": True}, "a text or a number"),
    ({"field": "host", "regex": 5}, "must be a text"),
    ({"field": "host", "regex": "(a"}, "invalid regular expression"),
    ({"field": "host", "like": "x"}, 'unknown operator "like"'),
    ({"field": "host"}, "exactly one operator"),
    ({"field": "host", "in": ["a"], "not_in": ["b"]}, "exactly one operator"),
    ({"in": ["a"]}, 'needs "field"'),
    ({"field": "", "equals": "a"}, "non-empty text"),
    ({"field": " host", "equals": "a"}, "spaces around it"),
    ({"field": "labels.", "equals": "a"}, "followed by a label name"),
    (42, "a matcher string or a mapping"),
])
def test_a_bad_mapping_condition_is_refused_with_where_it_is(condition, fragment):
    with pytest.raises(MatcherError) as caught:
        compile_match({"none": [condition]})
    assert caught.value.where.startswith("match.none[0]")
    assert fragment in str(caught.value)


def test_a_bad_element_of_in_names_its_position():
    with pytest.raises(MatcherError) as caught:
        compile_match({"any": ['source="x"', {"field": "host", "in": ["a", {"b": 1}]}]})
    assert caught.value.where == "match.any[1].in[1]"


@pytest.mark.parametrize("spec, where, fragment", [
    ("source=wazuh", "match", "mapping of all, any and none"),
    ({"al": []}, "match", 'unknown key "al"'),
    ({"all": 'source="wazuh"'}, "match.all", "list of conditions"),
    ({"all": [], "none": {"field": "host"}}, "match.none", "list of conditions"),
])
def test_a_bad_match_is_refused(spec, where, fragment):
    with pytest.raises(MatcherError) as caught:
        compile_match(spec)
    assert caught.value.where == where
    assert fragment in str(caught.value)


# --- all / any / none -----------------------------------------------------------------------------

def test_an_empty_or_missing_match_takes_every_alert():
    for spec in (None, {}, {"all": [], "any": [], "none": []}):
        match = compile_match(spec)
        assert match.test(alert(), CTX) and match.why_not(alert(), CTX) is None
        assert match.sources is None


@pytest.mark.parametrize("spec, expected", [
    ({"all": ['source="wazuh"', 'rule_id="31101"']}, True),
    ({"all": ['source="wazuh"', 'rule_id="1"']}, False),
    ({"any": ['source="check"', 'rule_id="31101"']}, True),
    ({"any": ['source="check"', 'rule_id="1"']}, False),
    ({"none": ['source="check"', 'rule_id="1"']}, True),
    ({"none": ['source="check"', 'rule_id="31101"']}, False),
    ({"all": ['source="wazuh"'], "any": ['rule_id="1"', 'host="portal.example"'], "none": ['status="resolved"']},
     True),
    ({"all": ['source="wazuh"'], "any": ['rule_id="1"', 'host="portal.example"'], "none": ['status="firing"']},
     False),
    ({"all": ['source="wazuh"'], "any": ['rule_id="1"', 'host="x"'], "none": ['status="resolved"']}, False),
    # a brace string in `none` excludes only when all of its matchers hold
    ({"none": ['{source="wazuh", rule_id="1"}']}, True),
    ({"none": ['{source="wazuh", rule_id="31101"}']}, False),
    # a brace string in `any` is one alternative: all of its matchers
    ({"any": ['{source="wazuh", rule_id="1"}', '{source="check"}']}, False),
    ({"any": ['{source="wazuh", rule_id="31101"}', '{source="check"}']}, True),
    # long conjunctions (the compiled forms differ by length)
    ({"all": ['source="wazuh"'] * 5 + ['rule_id="31101"']}, True),
    ({"all": ['source="wazuh"'] * 5 + ['rule_id="1"']}, False),
    ({"all": ['source="wazuh"'] * 3 + ['rule_id="1"']}, False),
])
def test_all_any_and_none_combine(spec, expected):
    assert matches(spec) is expected


# --- reasons ----------------------------------------------------------------------------------------

def test_why_not_gives_the_first_failing_condition_with_the_actual_value():
    assert reason({"all": ['source="alertmanager"']}) == 'source is "wazuh", not "alertmanager"'
    assert reason({"all": ['source="wazuh"', 'rule_id="5710"', 'host="x"']}) == 'rule_id is "31101", not "5710"'
    assert reason({"all": ['{source="wazuh", rule_id="5710"}']}) == 'rule_id is "31101", not "5710"'
    assert reason({"all": ['team="soc"']}) == 'team is absent, not "soc"'
    assert reason({"all": ['source!="wazuh"']}) == 'source is "wazuh", which the playbook excludes'
    assert reason({"all": ['rule_groups=~"ssh.*"']}) == \
        'rule_groups is "web,attack", which does not match "ssh.*"'
    assert reason({"all": ['rule_groups!~"web.*"']}) == \
        'rule_groups is "web,attack", which matches the excluded "web.*"'
    assert reason({"all": [{"field": "host", "in": ["a", "b"]}]}) == \
        'host is "portal.example", not one of ["a", "b"]'
    assert reason({"all": [{"field": "host", "not_in": ["portal.example"]}]}) == \
        'host is "portal.example", one of the excluded ["portal.example"]'
    assert reason({"all": [{"field": "severity", "gte": "critical"}]}) == 'severity is "high", below "critical"'
    assert reason({"all": [{"field": "severity", "lte": "low"}]}) == 'severity is "high", above "low"'
    assert reason({"all": [{"field": "system_level", "gte": 4}]}) == "system_level is 3, below 4"
    assert reason({"all": ['system="HT9"']}) == 'system is ["HT001", "HT007"], not "HT9"'
    assert reason({"all": ['system="HT9"']}, ctx=Context()) == 'system is absent, not "HT9"'
    assert reason({"any": ['rule_id="1"', 'host="x"']}) == \
        'none of the "any" conditions holds; the first: rule_id is "31101", not "1"'
    assert reason({"none": ['host="x"', 'rule_id=~"311.*"']}) == \
        'an excluded ("none") condition holds: rule_id=~"311.*"'
    assert reason({"none": [{"field": "severity", "gte": "high"}]}) == \
        'an excluded ("none") condition holds: severity gte "high"'
    assert reason({"all": ['source="wazuh"']}) is None


def test_why_not_is_translated_in_an_app_context(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("vi"):
        vietnamese = reason({"all": ['source="alertmanager"']})
    with app.test_request_context(), force_locale("en"):
        english = reason({"all": ['source="alertmanager"']})
    assert english == 'source is "wazuh", not "alertmanager"'
    assert vietnamese != english and '"wazuh"' in vietnamese and '"alertmanager"' in vietnamese


# --- sources (the router's index) ------------------------------------------------------------------

@pytest.mark.parametrize("spec, sources", [
    ({"all": ['source="wazuh"']}, {"wazuh"}),
    ({"all": ['{source="wazuh", rule_id="1"}']}, {"wazuh"}),
    ({"all": [{"field": "source", "in": ["wazuh", "check"]}]}, {"wazuh", "check"}),
    ({"all": [{"field": "source", "in": ["wazuh", "check"]}, 'source="check"']}, {"check"}),
    ({"all": ['source=~"wazuh|check"']}, {"wazuh", "check"}),
    ({"all": ['source=~"wa.*"']}, None),
    ({"all": ['source!="wazuh"']}, None),
    ({"all": ['labels.source="wazuh"']}, None),
    ({"any": ['source="wazuh"', 'source="check"']}, {"wazuh", "check"}),
    ({"any": ['source="wazuh"', 'rule_id="1"']}, None),
    ({"all": ['source="wazuh"'], "any": ['source="wazuh"', 'source="check"']}, {"wazuh"}),
    ({"none": ['source="wazuh"']}, None),
    ({"all": ['rule_id="1"']}, None),
])
def test_sources_are_what_the_match_requires(spec, sources):
    found = compile_match(spec).sources
    assert (None if found is None else set(found)) == sources


def test_constraints_name_the_values_each_field_is_pinned_to():
    match = compile_match({"all": ['{source="wazuh", rule_id=~"1|2"}', {"field": "labels.rule_id", "in": ["2", "3"]},
                                   'host="a"', 'agency="X"', 'team!="soc"', 'title=~"a.*"'],
                           "any": ['job="node"', {"field": "job", "in": ["db"]}]})
    assert match.constraints == {"source": {"wazuh"}, "labels.rule_id": {"2"}, "host": {"a"},
                                 "labels.job": {"node", "db"}}
    assert match.sources == {"wazuh"}


def test_narrowed_leaves_out_only_the_parts_the_index_decided():
    match = compile_match({"all": ['{source="wazuh", rule_id="31101"}', 'host="portal.example"'],
                           "none": ['status="resolved"']})
    other = alert(source="check", labels={"rule_id": "9"})
    assert match.narrowed({"source"})(alert(source="check"), CTX) is True
    assert match.narrowed({"source"})(other, CTX) is False
    assert match.narrowed({"source", "labels.rule_id"})(other, CTX) is True
    assert match.narrowed({"source", "labels.rule_id"})(alert(status="resolved"), CTX) is False  # none stays


def test_narrowed_on_the_source_drops_only_the_source_conditions():
    match = compile_match({"all": ['source="wazuh"', 'rule_id="31101"']})
    assert match.narrowed({"source"})(alert(source="check"), CTX) is True    # for an alert the index chose
    assert match.narrowed({"source"})(alert(labels={"rule_id": "2"}), CTX) is False
    assert match.narrowed(set()) is match.test
    # a regex or a negation on the source is not a constraint: it stays
    loose = compile_match({"all": ['source=~"wa.*"', 'source!="check"']})
    assert loose.narrowed({"source"})(alert(source="check"), CTX) is False


# --- field names -------------------------------------------------------------------------------------

def test_field_value_reads_alert_context_and_labels():
    a = alert()
    assert field_value("source", a, CTX) == "wazuh"
    assert field_value("host", a, CTX) == "portal.example"
    assert field_value("system", a, CTX) == ("HT001", "HT007")
    assert field_value("system_level", a, CTX) == 3
    assert field_value("agency", a, None) == ""
    assert field_value("labels.rule_id", a, CTX) == "31101"
    assert field_value("rule_id", a, CTX) == "31101"
    assert field_value("nothing", a, CTX) == ""


@pytest.mark.parametrize("name", ["", " x", "x\n", "labels.", "labels", "raw", "occurred_at", 5, None,
                                  "x" * 200])
def test_check_field_refuses_bad_names(name):
    with pytest.raises(MatcherError):
        check_field(name, "group.by[0]")


@pytest.mark.parametrize("name", ["source", "host", "labels.rule_id", "rule_id", "tên máy", "system_level"])
def test_check_field_accepts_fields_and_label_names(name):
    assert check_field(name) == name


# --- any text: a Match or a MatcherError, and quoting round-trips ------------------------------------

MATCHER_ALPHABET = st.sampled_from(list('ab_:.{}",=!~\\ \n\té$*()[]|+?^') + ["labels.", "source", "x"])


@settings(max_examples=400, deadline=None)
@given(st.lists(MATCHER_ALPHABET, max_size=24).map("".join))
def test_any_text_compiles_or_is_a_matcher_error(text):
    try:
        match = compile_match({"all": [text]})
    except MatcherError as err:
        assert err.where == "match.all[0]" and str(err)
    else:
        assert match.test(alert(), CTX) == (match.why_not(alert(), CTX) is None)


def _quote(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.sampled_from(["=", "!="]))
def test_a_quoted_value_reads_back_as_written(value, op):
    assert parse_matchers(f"rule_id{op}{_quote(value)}") == [("rule_id", op, value)]
    assert parse_matchers(f'{{a="1", rule_id {op} {_quote(value)} }}')[1] == ("rule_id", op, value)
    expected = (value == "31101") == (op == "=")
    assert matches({"all": [f"rule_id{op}{_quote(value)}"]}) is expected


@pytest.mark.parametrize("pattern, why", [
    ("(a+)+", "nested repetition"), ("(x*y*)*z", "nested repetition"), ("(?:a|b+)*c", "nested repetition"),
    ("(?<=x)y", "lookaround"), ("a(?!b)", "lookaround"), ("(a)\\\\1", "backreference"),
])
def test_a_regex_that_could_backtrack_for_ever_or_is_not_re2_is_refused(pattern, why):
    """Patterns run on attacker-written text: `(a+)+` takes exponential time on 'aaa…b'."""
    with pytest.raises(MatcherError) as refused:
        compile_match({"all": [f'message=~"{pattern}"']})
    assert why in str(refused.value) and refused.value.where == "match.all[0]"


@pytest.mark.parametrize("pattern", [".*web.*", "(web|attack)+", "a{1,5}(b+)?", "[0-9]+(\\\\.[0-9]+){3}", "(ab){2}"])
def test_ordinary_regexes_are_accepted(pattern):
    compile_match({"all": [f'message=~"{pattern}"']})
