"""IP addresses, DNS domains and host names of the inventory. Pure: no database.

Everything here may later reach a scanner's command line (SECURITY.md: nmap option injection), so
a value is accepted only as exactly one clean token: no whitespace, no `%` (an IPv6 scope id may
carry anything), no leading `-`. Addresses are stored in their canonical compressed form.
"""
import ipaddress
import re

from ..catalogue import gettext as _

MAX_ITEMS = 1000
_SEPARATORS = re.compile(r"[\s,;]+")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_NAME = 253


def _shown(token):
    return token if len(token) <= 60 else token[:60] + "…"


def _tokens(value):
    """The items of a list, or of text separated by commas, spaces or new lines."""
    if value is None:
        return []
    if isinstance(value, str):
        items = _SEPARATORS.split(value.strip())
    elif isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError(_("Each item must be text."))
            items.append(item.strip())
    else:
        raise ValueError(_("Must be a list or text."))
    items = [i for i in items if i]
    if len(items) > MAX_ITEMS:
        raise ValueError(_("At most %(n)d items.", n=MAX_ITEMS))
    return items


def _unique(items):
    return list(dict.fromkeys(items))


def parse_address(token):
    """One IPv4 or IPv6 address in canonical form; ValueError naming it otherwise (networks, host
    names and scoped IPv6 addresses are refused)."""
    if not isinstance(token, str) or "%" in token or token != token.strip() or token.startswith("-") \
            or not token or any(c.isspace() for c in token):
        raise ValueError(_('"%(value)s" is not an IP address.', value=_shown(str(token))))
    try:
        return str(ipaddress.ip_address(token))
    except ValueError:
        raise ValueError(_('"%(value)s" is not an IP address.', value=_shown(token))) from None


def parse_addresses(value):
    """IPv4 and IPv6 addresses from a list or text: canonical, duplicates removed, order kept."""
    return _unique(parse_address(t) for t in _tokens(value))


def _ascii_labels(name):
    """The labels of `name` in their ASCII (IDNA) form, or None when it cannot be encoded."""
    try:
        return name.encode("idna").decode("ascii").split(".")
    except UnicodeError:
        return None


def _is_dns_name(name, allow_unicode, min_labels):
    if not name or len(name) > MAX_NAME or name.startswith("-") or "%" in name:
        return False
    if any(c.isspace() for c in name):
        return False
    if allow_unicode:
        labels = _ascii_labels(name)
        if labels is None:
            return False
    else:
        if not name.isascii():
            return False
        labels = name.split(".")
    if len(labels) < min_labels or len(".".join(labels)) > MAX_NAME:
        return False
    if labels[-1].isdigit():  # "10.0.0.1" is an address, not a name
        return False
    return all(_LABEL.fullmatch(label) for label in labels)


def parse_domain(token):
    """A DNS domain (at least two labels; internationalised names allowed), lowercased, without
    a trailing dot; ValueError naming it otherwise."""
    name = token.strip().lower().rstrip(".") if isinstance(token, str) else ""
    if not _is_dns_name(name, allow_unicode=True, min_labels=2):
        raise ValueError(_('"%(value)s" is not a domain name.', value=_shown(str(token))))
    return name


def parse_domains(value):
    """Domains from a list or text: lowercased, duplicates removed, order kept."""
    return _unique(parse_domain(t) for t in _tokens(value))


def parse_hostname(value):
    """A server's host name (one label such as "ioffice-db01" or a full name), ASCII, lowercased;
    ValueError otherwise."""
    name = value.strip().lower().rstrip(".") if isinstance(value, str) else ""
    if not _is_dns_name(name, allow_unicode=False, min_labels=1):
        raise ValueError(_('"%(value)s" is not a valid host name: use letters, digits, hyphens and dots.',
                           value=_shown(str(value or ""))))
    return name
