"""Locale: Vietnamese by default; the user's choice is kept in the session and on their record."""
from functools import lru_cache

from babel import Locale
from flask import Blueprint, current_app, g, has_request_context, redirect, request, session, url_for
from flask_babel.speaklater import LazyString
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept

from .catalogue import gettext
from .extensions import db

bp = Blueprint("i18n", __name__)


def select_locale():
    """The locale of this request (Flask-Babel asks once per request), as a parsed `Locale`:
    parsing the code again on every request cost more than choosing it."""
    return _parsed(_locale_code())


@lru_cache(maxsize=32)
def _parsed(code):
    return Locale.parse(code)


def _locale_code():
    supported = current_app.config["CSIRT_LOCALES"]
    if not has_request_context():  # console, scheduler
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/") and request.environ.get("HTTP_ACCEPT_LANGUAGE"):
        asked = _asked_language(supported)  # an API call that names a language gets it
        if asked:
            return asked
    api_user = g.get("api_user")  # otherwise the JSON API answers in its token user's language
    if api_user is not None:
        return api_user.locale if api_user.locale in supported else current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in supported:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in supported:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _asked_language(supported):
    """The best of `supported` in the request's Accept-Language ("en-US" gives "en"); None when
    the header names none of them (a bare `*` names none)."""
    named = LanguageAccept([(tag, q) for tag, q in request.accept_languages if tag != "*" and q > 0])
    return named.best_match(supported)


def select_timezone():
    return current_app.config["CSIRT_TIMEZONE"]


def gettext_proxy(message):
    """Flask-Login's messages: a lazy string is translated when it is read."""
    return str(message) if isinstance(message, LazyString) else gettext(message)


def _safe_next(target):
    # Browsers drop tabs and newlines inside URLs ("/\t/evil" becomes "//evil"), so any control
    # character or space refuses the target, as do "//" and backslashes.
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target)):
        return target
    return url_for("incidents.index")


@bp.post("/lang")
def set_language():
    lang = request.form.get("lang")
    if lang in current_app.config["CSIRT_LOCALES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
