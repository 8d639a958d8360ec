"""The translation catalogue and locale of a request, looked up once.

Flask-Babel finds the catalogue again on every `gettext` (the request's namespace, its domain,
its locale, the locale's name, a cache key: about 15 µs), and a page asks 100–200 times, so a
list page spent 2–3 ms there. The first lookup of a request (or of an app context: console,
scheduler) is kept where Flask-Babel itself reserves a place for it, `babel_translations` on its
namespace of the context, beside the `babel_locale` it keeps: its `force_locale` sets both aside
for the block that runs in another language (an e-mail in its recipient's language) and puts
them back after, and its `refresh` drops both.

- `gettext`, `ngettext` and `lazy_gettext` here are Flask-Babel's, reading the kept catalogue
  directly: the code imports them from here;
- `CatalogueBabel`, the app's `Babel`, gives Flask-Babel's own functions (and libraries that
  call them) a domain that reads the kept catalogue too;
- `install(app)` gives templates their own `_`, `gettext` and `ngettext` (Jinja's "newstyle":
  always `%`-formatted, escaped under autoescape) that read it too, taking only the evaluation
  context, where Jinja's own take the whole context and, inside a loop, copy it for each call;
- `locale()` is Flask-Babel's `get_locale`, read from the same place (dates are formatted per row).

`tests/test_catalogue.py` holds this against Flask-Babel's `force_locale` and `refresh`.
"""
import flask_babel
from flask import g
from flask_babel import Babel, Domain
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup


def _namespace():
    """Flask-Babel's namespace of the current context, None before its first lookup or outside
    any app context."""
    try:
        return g._flask_babel
    except (AttributeError, RuntimeError):
        return None


class CatalogueDomain(Domain):
    """Flask-Babel's domain, reading the catalogue kept for this context."""

    def get_translations(self):
        found = getattr(_namespace(), "babel_translations", None)
        if found is None:
            found = super().get_translations()
            kept_in = _namespace()  # None outside an app context: nothing is kept
            if kept_in is not None:
                kept_in.babel_translations = found
        return found


class CatalogueBabel(Babel):
    @property
    def domain_instance(self):
        # one domain for every app of the process, as Flask-Babel's own cached one
        return _DOMAIN


_DOMAIN = CatalogueDomain()


def translations():
    """The catalogue of this context."""
    found = getattr(_namespace(), "babel_translations", None)
    return found if found is not None else flask_babel.get_translations()


def locale():
    """The `Locale` of this context."""
    found = getattr(_namespace(), "babel_locale", None)
    return found if found is not None else flask_babel.get_locale()


@pass_eval_context
def _gettext(eval_ctx, message, /, **variables):
    found = translations().ugettext(message)
    if eval_ctx.autoescape:
        found = Markup(found)  # noqa: S704 - our own catalogue; the variables are escaped by %
    return found % variables


@pass_eval_context
def _ngettext(eval_ctx, singular, plural, num, /, **variables):
    variables.setdefault("num", num)
    found = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        found = Markup(found)  # noqa: S704 - our own catalogue; the variables are escaped by %
    return found % variables


def install(app):
    """Templates' `_`, `gettext` and `ngettext` (after Flask-Babel has installed its own)."""
    app.jinja_env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)


# Python's side: the same as Flask-Babel's functions of these names, reading the kept catalogue
# directly (Flask-Babel's look up their context's domain first: three more context lookups).

def gettext(message, /, **variables):
    found = translations().ugettext(message)
    return found % variables if variables else found


def ngettext(singular, plural, num, /, **variables):
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(message, /, **variables):
    """Translated when read, in the language of the context that reads it."""
    return LazyString(gettext, message, **variables)
