"""Helpers to show a service's ValidationError on a WTForms form."""
from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms.validators import Length

# WTForms ships no Vietnamese messages: validators that people can trip get ours.
REQUIRED = _l("This field is required.")
CHOICE = _l("Not a valid choice.")
BAD_DATE = _l("Not a valid date and time.")


def at_most(n):
    """A Length(max=n) validator with the app's translated message."""
    # formatted by us; WTForms' own `% dict(max=...)` then finds nothing left to replace
    return Length(max=n, message=_l("At most %(n)d characters.", n=n))


def apply_errors(form, err):
    """Attach the service's per-field errors to the form fields; the rest is flashed."""
    leftover = []
    for field, message in (getattr(err, "errors", None) or {}).items():
        target = getattr(form, field, None) if form is not None else None
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [message]
        else:
            leftover.append(message)
    flash(err.message + (" " + " ".join(leftover) if leftover else ""), "danger")
