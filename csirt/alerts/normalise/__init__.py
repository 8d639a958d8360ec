"""Normalisers: each reads one sender's format and returns canonical alerts, or raises BadAlert
naming the part of the payload that is wrong. Pure functions of (payload, now): no database, no
app (messages are lazy strings, translated when shown).

    from csirt.alerts.normalise import parse
    alerts = parse("wazuh", payload, utcnow())
"""
from . import alertmanager, generic, wazuh
from .errors import BadAlert

PARSERS = {
    "generic": generic.parse,
    "alertmanager": alertmanager.parse,
    "wazuh": wazuh.parse,
}


def parse(fmt, payload, now):
    """The canonical alerts of `payload` in format `fmt` (a key of PARSERS; KeyError otherwise:
    the caller chooses the format from its route, never from the payload)."""
    return PARSERS[fmt](payload, now)


__all__ = ["BadAlert", "PARSERS", "parse"]
