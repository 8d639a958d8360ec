"""Template helpers every page shares: dates in the province's zone and the user's locale,
Markdown, links that keep only a page's own query arguments. Domain packages register their own
labels and badges (`incidents/display.py`, `team/labels.py`)."""
from datetime import datetime
from functools import lru_cache

from babel.dates import parse_pattern
from flask import request, url_for
from flask_babel import format_decimal
from flask_login import current_user

from . import markdown
from .catalogue import locale
from .clock import utc_to_local

# Babel's own "short" has a two-digit year and, in English, a 12-hour clock: an incident desk
# wants neither, so both languages get a four-digit year and a 24-hour clock.
DATETIME_PATTERNS = {
    "vi": {"short": "dd/MM/yyyy HH:mm", "medium": "dd/MM/yyyy HH:mm:ss"},
    "en": {"short": "d MMM yyyy, HH:mm", "medium": "d MMM yyyy, HH:mm:ss"},
}


def when(value, fmt="short"):
    """A naive-UTC datetime shown in the province's time zone, in the user's locale.

    Babel formats it from the pattern parsed once; Flask-Babel's `format_datetime` looked up the
    locale, the zone and the pattern again for each date (50 µs, 25 times on a list page)."""
    if value is None:
        return "—"
    shown_in = locale()
    return _pattern(DATETIME_PATTERNS.get(str(shown_in), {}).get(fmt, fmt)).apply(utc_to_local(value), shown_in)


@lru_cache(maxsize=64)
def _pattern(pattern):
    return parse_pattern(pattern)


_NAMED = ("short", "medium", "long", "full")


def day_text(value, pattern="short"):
    """A date in the reader's locale: Flask-Babel's `format_date` (a pattern, or a named format
    such as "short"; a naive-UTC datetime gives its day in the province's zone), with the
    pattern parsed once. A dashboard labels hundreds of days and months a page."""
    shown_in = locale()
    if isinstance(value, datetime):
        value = utc_to_local(value).date()
    fmt = shown_in.date_formats[pattern] if pattern in _NAMED else _pattern(pattern)
    return fmt.apply(value, shown_in)


def local_input(value):
    """A naive-UTC datetime as the value of an <input type=datetime-local>."""
    if value is None:
        return ""
    return utc_to_local(value).strftime("%Y-%m-%dT%H:%M")


def url_with(allowed, **changes):
    """The current URL keeping only the query arguments named in `allowed` (the page's own, e.g.
    `ListQuery.link_keys`), with some replaced (None removes one).

    Anything else in the query string is dropped: `url_for` reads `_scheme`, `_external`,
    `_anchor`, `_method` as instructions, so a copied `?_scheme=javascript` would make the
    link `javascript:...` and `?_method=POST` an error."""
    args = {key: value for key, value in request.args.items() if key in allowed}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **{**args, **(request.view_args or {})})


def url_pattern(endpoint, key):
    """A function giving `url_for(endpoint, key=value)` for any whole number `value`, from one
    URL built once: for a link on every row of a table (`url_for` costs about 8 µs a call)."""
    marker = 9_876_543_210
    prefix, suffix = url_for(endpoint, **{key: marker}).split(str(marker))
    return lambda value: f"{prefix}{int(value)}{suffix}"


def decimal(value, digits=1):
    """A number in the reader's locale, at most `digits` decimals ("69,2" in Vietnamese)."""
    return format_decimal(value, format="#,##0." + "#" * digits) if digits else format_decimal(value, format="#,##0")


def register(app):
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["local_input"] = local_input
    app.jinja_env.filters["markdown"] = markdown.render
    app.jinja_env.filters["decimal"] = decimal
    # globals, so imported macros see them too
    app.jinja_env.globals.update(
        url_with=url_with,
        province=app.config["CSIRT_PROVINCE"],
    )

    @app.context_processor
    def inject():
        return {"current_locale": str(locale()), "current_user": current_user}

