"""A playbook in words: what the playbook pages and the "try an alert" result show instead of YAML.

Everything here is computed in Python so the templates only display (STYLE.md habit 7): match
conditions become sentences ('label "rule_groups" matches the pattern ".*web.*"'), durations
"15 min", targets "the primary rotation", graded values "Serious when critical; otherwise
Ordinary". Texts are in the reader's language (flask_babel at request time).
"""
from datetime import timedelta

from ..catalogue import gettext as _
from ..catalogue import ngettext
from ..incidents import vocab
from ..rules.keys import label as rule_label
from ..team.labels import role_label
from .canonical import ALERT_FIELDS, CONTEXT_FIELDS
from .matchers import LABEL_PREFIX, MAPPING_OPERATORS, MatcherError, parse_matchers

# --- durations, fields, values -------------------------------------------------------------

def duration(value):
    """A timedelta in short words: "15 min", "1 h 30 min", "2 d"."""
    if value is None:
        return ""
    seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
    parts = []
    for size, word in ((604800, lambda n: ngettext("%(num)d week", "%(num)d weeks", n)),
                       (86400, lambda n: ngettext("%(num)d day", "%(num)d days", n)),
                       (3600, lambda n: _("%(num)d h", num=n)),
                       (60, lambda n: _("%(num)d min", num=n)),
                       (1, lambda n: _("%(num)d s", num=n))):
        if seconds >= size:
            parts.append(word(seconds // size))
            seconds %= size
    return " ".join(parts) or _("%(num)d s", num=0)


def field_words(name):
    """How a field a playbook names is called in a sentence."""
    known = {"source": _("the source"), "severity": _("the severity"), "status": _("the status"),
             "title": _("the title"), "description": _("the description"), "host": _("the host"),
             "fingerprint": _("the fingerprint"), "format": _("the format"),
             "agency": _("the host's agency"), "system": _("the host's system"),
             "system_level": _("the system's security level"), "server": _("the inventory server")}
    if name in ALERT_FIELDS or name in CONTEXT_FIELDS:
        return known.get(name, name)
    key = name[len(LABEL_PREFIX):] if name.startswith(LABEL_PREFIX) else name
    return _('label "%(name)s"', name=key)


def _q(value):
    return f'"{value}"'


def condition_words(name, op, value):
    """One condition as a sentence."""
    who = field_words(name)
    if op == "=":
        return _("%(field)s is empty or absent", field=who) if value == "" else \
            _("%(field)s is %(value)s", field=who, value=_q(value))
    if op == "!=":
        return _("%(field)s is present", field=who) if value == "" else \
            _("%(field)s is not %(value)s", field=who, value=_q(value))
    if op == "=~":
        return _("%(field)s matches the pattern %(value)s", field=who, value=_q(value))
    if op == "!~":
        return _("%(field)s does not match the pattern %(value)s", field=who, value=_q(value))
    values = ", ".join(_q(v) for v in value) if isinstance(value, (list, tuple)) else _q(value)
    if op == "in":
        return _("%(field)s is one of %(values)s", field=who, values=values)
    if op == "not_in":
        return _("%(field)s is none of %(values)s", field=who, values=values)
    if op == "gte":
        return _("%(field)s is at least %(value)s", field=who, value=_q(value))
    if op == "lte":
        return _("%(field)s is at most %(value)s", field=who, value=_q(value))
    return f"{name} {op} {value}"


def item_words(item):
    """A condition of `match` (a matcher string, maybe several in braces, or a mapping) in words:
    the sentences of its parts joined by "and"."""
    if isinstance(item, dict):
        ops = [k for k in item if k != "field"]
        if len(ops) == 1 and ops[0] in MAPPING_OPERATORS:
            return condition_words(item.get("field", ""), MAPPING_OPERATORS[ops[0]], item[ops[0]])
        return str(item)
    try:
        parts = parse_matchers(str(item))
    except MatcherError:
        return str(item)
    return _(" and ").join(condition_words(*p) for p in parts)


BRIEF_VALUE_MAX = 30  # a longer value (a pattern, a list) is named, not quoted, in the list


def _brief_condition(name, op, value):
    if op == "=~":
        return _("%(field)s matches a pattern", field=field_words(name))
    if op == "!~":
        return _("%(field)s does not match a pattern", field=field_words(name))
    if len(str(value)) > BRIEF_VALUE_MAX:
        return _("a condition on %(field)s", field=field_words(name))
    return condition_words(name, op, value)


def item_brief(item):
    """A condition in few words, for the list: patterns and long values are not repeated."""
    if isinstance(item, dict):
        ops = [k for k in item if k != "field"]
        if len(ops) == 1 and ops[0] in MAPPING_OPERATORS:
            return _brief_condition(item.get("field", ""), MAPPING_OPERATORS[ops[0]], item[ops[0]])
        return str(item)
    try:
        parts = parse_matchers(str(item))
    except MatcherError:
        return str(item)
    return _(" and ").join(_brief_condition(*p) for p in parts)


def match_blocks(spec):
    """[(heading, [sentence, ...]), ...] for the `match` mapping; [] means every alert."""
    spec = spec or {}
    blocks = []
    for key, heading in (("all", _("All of these hold")), ("any", _("At least one of these holds")),
                         ("none", _("None of these holds"))):
        items = spec.get(key) or []
        if items:
            blocks.append((heading, [item_words(i) for i in items]))
    return blocks


SUMMARY_ITEM_MAX = 140  # characters of one alternative in the list (the playbook's page has it whole)


def _short(text):
    return text if len(text) <= SUMMARY_ITEM_MAX else text[:SUMMARY_ITEM_MAX - 1] + "…"


def match_summary(spec):
    """The match in short, for the list: {"all": sentence, "any": [sentences], "none": count}."""
    spec = spec or {}
    required = [item_brief(i) for i in spec.get("all") or []]
    some = [_short(item_brief(i)) for i in spec.get("any") or []]
    if len(some) == 1:
        required, some = required + some, []
    return {"all": _short("; ".join(required)) if required else "", "any": some,
            "none": len(spec.get("none") or []), "every": not required and not some}


# --- who, how ------------------------------------------------------------------------------

CHANNELS = {"email": "email", "telegram": "Telegram", "webhook": "webhook"}


def who(kind, value=None, layer=None, notify=False):
    """A candidate (`notify` False) or a notification target (True) in words."""
    if kind == "assignee":
        return _("the assignee")
    if kind == "agency_contact":
        return _("the agency's contact")
    if kind == "person":
        return _('the member "%(name)s"', name=value)
    if kind == "role":
        if notify:
            return _("every active %(role)s", role=role_label(value))
        return _("a %(role)s (the least loaded)", role=role_label(value))
    if kind == "rotation":
        if layer:
            return _('the on-call person of the "%(name)s" rotation, layer %(layer)s', name=value, layer=layer)
        return _('the on-call person of the "%(name)s" rotation', name=value)
    return f"{kind} {value or ''}".strip()


def channels(names):
    return ", ".join(CHANNELS.get(n, n) for n in names)


ON_WORDS = {"opened": lambda: _("when an incident opens"), "joined": lambda: _("when an alert joins it"),
            "resolved": lambda: _("when an alert is resolved")}


def graded(value, labels):
    """A Graded value in words: "Serious when critical or high; otherwise Ordinary"."""
    by_value = {}
    for severity, picked in value.by_severity.items():
        by_value.setdefault(picked, []).append(severity)
    shown = [_("%(value)s when %(severities)s", value=vocab.label(labels, picked),
               severities=_(" or ").join(sev)) for picked, sev in by_value.items()]
    default = vocab.label(labels, value.default)
    if not shown:
        return str(default)
    return "; ".join(shown) + "; " + _("otherwise %(value)s", value=default)


# --- a whole playbook ----------------------------------------------------------------------

def steps(book):
    return [step for action in book.actions if action.name == "tasks" for step in action.value]


def readable(book, locale, agencies=None):
    """Everything the playbook page shows, in the reader's `locale`. `agencies` maps agency codes
    to names (for an `agency:` that names one)."""
    spec, incident = book.spec or {}, book.incident
    if incident.agency == "host":
        agency = _("the owner of the host's server or system (an unknown host goes to the triage agency)")
    else:
        agency = (agencies or {}).get(incident.agency) or incident.agency
    out = {
        "match": match_blocks(spec.get("match")),
        "group": None,
        "incident": {
            "title": incident.title.source.get(locale),
            "description": incident.description.source.get(locale) if incident.description else "",
            "category": vocab.label(vocab.CATEGORIES, incident.category),
            "sub_type": vocab.label(vocab.SUB_TYPES, incident.sub_type) if incident.sub_type else "",
            "severity": graded(incident.severity, vocab.SEVERITIES),
            "priority": graded(incident.priority, vocab.PRIORITIES),
            "tlp": incident.tlp, "agency": agency,
        },
        "assign": [], "steps": [], "clocks": [], "notes": [], "link_affected": False,
        "notify": [], "escalate": [],
    }
    if book.group is not None:
        out["group"] = {
            "by": ", ".join(field_words(f) for f in book.group.by),
            "window": duration(book.group.window),
            "on_resolved": (_("A resolved alert is written on the incident's timeline, and the incident "
                              "closes when every alert of the group is resolved.")
                            if book.group.on_resolved == "close"
                            else _("A resolved alert is written on the incident's timeline.")),
        }
    for action in book.actions:
        name, value = action.name, action.value
        if name == "assign":
            out["assign"] += [who(c.kind, c.value, c.layer) for c in value]
        elif name == "tasks":
            out["steps"] += [{"key": s.key, "title": s.title.get(locale),
                              "detail": s.detail.get(locale) if s.detail else "",
                              "owner_role": s.owner_role or "",
                              "due": duration(s.due) if s.due is not None else "", "required": s.required}
                             for s in value]
        elif name == "clocks":
            out["clocks"] += [(key, rule_label(key)) for key in value]
        elif name == "note":
            out["notes"].append(value.source.get(locale))
        elif name == "link_affected":
            out["link_affected"] = bool(value)
        elif name == "notify":
            out["notify"].append(notify_words(value))
        elif name == "escalate":
            out["escalate"] += escalation_words(value)
            out["escalate_repeat"] = getattr(value, "repeat", 0)
            out["escalate_policy"] = getattr(value, "name", None)
    return out


def notify_words(notify):
    return {"on": ", ".join(ON_WORDS[o]() if o in ON_WORDS else o for o in notify.on),
            "to": ", ".join(who(t.kind, t.value, t.layer, notify=True) for t in notify.to),
            "channels": channels(notify.channels)}


def escalation_words(steps_):
    """The escalation as a timeline: [{"after": "15 min", "to": ..., "channels": ...}, ...]."""
    return [{"after": duration(s.after), "to": ", ".join(who(t.kind, t.value, t.layer, notify=True) for t in s.to),
             "channels": channels(s.channels)} for s in steps_]
