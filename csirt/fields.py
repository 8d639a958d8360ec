"""Checks of plain values shared by the domains' validators (incidents, systems, checks): one
wording of each message, whichever form or API body the value came from."""
from .catalogue import gettext as _


def text(errors, name, value, limit, required=False, single_line=False):
    """`value` stripped, or an error in `errors[name]`: not text, missing when `required`, longer
    than `limit`, or holding a NUL (any control character when `single_line`)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("Must be text.")
        return None
    value = value.strip()
    bad = (lambda c: ord(c) < 32) if single_line else (lambda c: c == "\x00")
    if required and not value:
        errors[name] = _("This field is required.")
    elif len(value) > limit:
        errors[name] = _("At most %(n)d characters.", n=limit)
    elif any(bad(c) for c in value):
        errors[name] = _("Contains a character that is not allowed.")
    return value
