"""A notification's message: subject, plain text, HTML and the webhook's JSON, in its language.

Templates are files in csirt/notify/messages/<locale>/<event>.j2 (unknown event: generic.j2),
rendered in Jinja's SandboxedEnvironment: the context (alert titles, host names...) is data,
never template source, and the HTML is autoescaped. Each event template fills two blocks,
`headline` and `body`; the layouts (_text.j2, _html.j2 per locale) add the incident's reference,
title, severity, its link and, when the context has one, the one-click acknowledge link.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import FileSystemLoader, TemplateNotFound, Undefined
from jinja2.sandbox import SandboxedEnvironment

from . import ack_tokens

FOLDER = Path(__file__).resolve().parent / "messages"
LOCALES = ("vi", "en")
ACKNOWLEDGEABLE = ("incident.opened", "incident.assigned", "escalation.step", "incident.joined")
SUBJECT_MAX = 150
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass
class Message:
    subject: str
    text: str
    html: str
    data: dict = field(default_factory=dict)


def _env(autoescape):
    return SandboxedEnvironment(loader=FileSystemLoader(str(FOLDER)), autoescape=autoescape,
                                undefined=Undefined, trim_blocks=True, lstrip_blocks=True,
                                keep_trailing_newline=False)


_TEXT = _env(False)
_HTML = _env(True)


def base_url(config):
    return (config.get("CSIRT_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def render_context(notification, config):
    """What the templates see: the stored context plus the links."""
    ctx = {k: v for k, v in dict(notification.context or {}).items() if isinstance(k, str)}
    base = base_url(config)
    if notification.incident_id is not None:
        ctx.setdefault("url", f"{base}/incidents/{notification.incident_id}")
        if notification.event in ACKNOWLEDGEABLE and notification.id is not None and notification.user_id is not None:
            ctx["ack_url"] = f"{base}/ack/{ack_tokens.make(notification.id, notification.incident_id)}"
    ctx.setdefault("url", base + "/")
    ctx["event"] = notification.event
    return ctx


def _template_name(locale, event):
    locale = locale if locale in LOCALES else LOCALES[0]
    name = f"{locale}/{event}.j2"
    try:
        _TEXT.get_template(name)
        return locale, name
    except TemplateNotFound:
        return locale, f"{locale}/generic.j2"


def render(notification, config):
    """The message of `notification` in its locale (needs an app context for the ack link)."""
    ctx = render_context(notification, config)
    locale, name = _template_name(notification.locale, notification.event if re.fullmatch(
        r"[a-z]+(\.[a-z_]+)*", notification.event or "") else "generic")
    text = _TEXT.get_template(name).render(layout=f"{locale}/_text.j2", **ctx).strip() + "\n"
    html = _HTML.get_template(name).render(layout=f"{locale}/_html.j2", **ctx)
    headline = " ".join(_TEXT.get_template(name).render(layout="_headline.j2", **ctx).split())
    reference = str(ctx.get("reference") or "").strip()
    subject = " ".join(f"[CSIRT] {reference + ' ' if reference else ''}{headline}".split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[:SUBJECT_MAX - 1] + "…"
    data = {"id": notification.id, "event": notification.event, "incident_id": notification.incident_id,
            "subject": subject, "text": text, "url": ctx.get("url"), "ack_url": ctx.get("ack_url"),
            "context": {k: v for k, v in (notification.context or {}).items()}}
    return Message(subject=subject, text=text, html=html, data=data)
