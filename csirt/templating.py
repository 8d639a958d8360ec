"""Template helpers: dates in the province's zone and the user's locale, labels, badges, paging."""
from flask import request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from . import markdown
from .clock import utc_to_local
from .incidents import vocab

STATUS_BADGES = {"new": "text-bg-primary", "triaged": "text-bg-info", "contained": "text-bg-warning",
                 "eradicated": "text-bg-warning", "recovered": "text-bg-success",
                 "closed": "text-bg-secondary", "rejected": "text-bg-light border"}
TLP_BADGES = {"CLEAR": "text-bg-light border", "GREEN": "text-bg-success", "AMBER": "text-bg-warning",
              "AMBER+STRICT": "text-bg-warning", "RED": "text-bg-danger"}


# Babel's own "short" has a two-digit year and, in English, a 12-hour clock: an incident desk
# wants neither, so both languages get a four-digit year and a 24-hour clock.
DATETIME_PATTERNS = {
    "vi": {"short": "dd/MM/yyyy HH:mm", "medium": "dd/MM/yyyy HH:mm:ss"},
    "en": {"short": "d MMM yyyy, HH:mm", "medium": "d MMM yyyy, HH:mm:ss"},
}


def when(value, fmt="short"):
    """A naive-UTC datetime shown in the province's time zone, in the user's locale."""
    if value is None:
        return "—"
    pattern = DATETIME_PATTERNS.get(str(get_locale()), {}).get(fmt, fmt)
    return format_datetime(value, pattern)


def local_input(value):
    """A naive-UTC datetime as the value of an <input type=datetime-local>."""
    if value is None:
        return ""
    return utc_to_local(value).strftime("%Y-%m-%dT%H:%M")


def url_with(**changes):
    """The current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app):
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["local_input"] = local_input
    app.jinja_env.filters["markdown"] = markdown.render
    # globals, so imported macros see them too
    app.jinja_env.globals.update(
        url_with=url_with,
        vocab=vocab,
        label=vocab.label,
        status_badge=lambda s: STATUS_BADGES.get(s, "text-bg-secondary"),
        tlp_badge=lambda t: TLP_BADGES.get(t, "text-bg-secondary"),
        role_label=role_label,
        province=app.config["CSIRT_PROVINCE"],
    )

    @app.context_processor
    def inject():
        return {"current_locale": str(get_locale()), "current_user": current_user}


def role_label(role):
    return {
        "admin": _("Administrator"), "manager": _("Manager"), "coordinator": _("Coordinator"),
        "responder": _("Responder"), "member": _("Member (agency liaison)"),
    }.get(role, role)
