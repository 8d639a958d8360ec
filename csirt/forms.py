"""What every HTML form shares: translated validator messages, the confirm-only form, and
`handle()`, the one place that runs validate → service → field errors on the form."""
from dataclasses import dataclass
from typing import Any

from flask import flash, request
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import Length

from .catalogue import lazy_gettext as _l
from .errors import ValidationError
from .extensions import db

# WTForms ships no Vietnamese messages: validators that people can trip get ours.
REQUIRED = _l("This field is required.")
CHOICE = _l("Not a valid choice.")
BAD_DATE = _l("Not a valid date and time.")


def at_most(n):
    """A Length(max=n) validator with the app's translated message."""
    # formatted by us; WTForms' own `% dict(max=...)` then finds nothing left to replace
    return Length(max=n, message=_l("At most %(n)d characters.", n=n))


class ConfirmForm(FlaskForm):
    """An empty form: just the CSRF token, for buttons that change something."""
    confirm = BooleanField(default=True)


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


@dataclass
class Outcome:
    """What `handle()` did: `ok` when the service accepted the form, with its return `value`."""
    ok: bool
    value: Any = None

    @property
    def status(self):
        """The HTTP status of a page that shows the form again: 200 for GET, 400 after a refusal."""
        return 200 if request.method == "GET" else 400


def handle(form, action, invalid_message=None, redirecting=False):
    """Validate a posted `form` and call `action()` (the service). A ValidationError from the
    service rolls the transaction back and puts its messages on the form's fields (or, when the
    view redirects instead of showing the form again, flashes them all)."""
    if not form.validate_on_submit():
        if request.method == "POST" and invalid_message:
            flash(invalid_message, "danger")
        return Outcome(False)
    try:
        return Outcome(True, action())
    except ValidationError as err:
        db.session.rollback()
        apply_errors(None if redirecting else form, err)
        return Outcome(False)
