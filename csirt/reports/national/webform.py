"""The HTML form of a national form's page, built from its definition (`forms.Form`): one field
per editable entry, a select for flags and choices, the facts' version for optimistic locking.
Text comes back with its newlines as \n (browsers send a textarea's as \r\n), so an unchanged
multi-line prefill compares equal and is not stored as an answer."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf

from ...catalogue import gettext as _
from ...forms import CHOICE, at_most
from ..textsafe import newlines
from . import forms


class _Base(FlaskForm):
    version = HiddenField()


class _AtMost:
    """At most `limit` characters, unless the value is the one the page was filled with: what
    csirt fills in (several recipients joined, a long description) may be longer than a typed
    answer may be, and sending it back unchanged must not be refused (it is not stored)."""

    def __init__(self, field_, limit, prefill):
        self.field, self.limit, self.prefill = field_, limit, forms.normalised(field_, prefill)
        self.length = at_most(limit)

    def __call__(self, form, field):
        if forms.normalised(self.field, field.data) == self.prefill:
            return
        self.length(form, field)


def _field(f, prefill):
    if f.kind in ("flag", "choice"):
        choices = [("", "—"), (forms.YES, _("Yes")), (forms.NO, _("No"))] if f.kind == "flag" else f.choices()
        return SelectField(f.label, choices=choices, validate_choice=False,
                           validators=[AnyOf([value for value, _label in choices], message=CHOICE)])
    if f.kind == "text":
        return TextAreaField(f.label, validators=[_AtMost(f, f.limit, prefill)], filters=[newlines])
    return StringField(f.label, validators=[_AtMost(f, f.limit, prefill)], filters=[newlines])


def web_form(form, values, version):
    """The Flask-WTF form of `form`: on a POST it reads the request, else it shows `values`
    ({key: text}); `version` is the facts' version the page was loaded with."""
    attrs = {f.key: _field(f, values.get(f.key, "")) for f in form.editable}
    cls = type(f"Form{form.number}", (_Base,), attrs)
    return cls(data={**values, "version": str(version)})


def submitted(form, web):
    """{key: text} of the editable fields of a validated form, newlines as \n."""
    return {f.key: newlines(getattr(web, f.key).data or "") for f in form.editable}
