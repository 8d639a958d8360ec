"""How incidents look on the pages: the badges of status, severity and TLP (one source for the
`_macros.html` macros and for the list's rows, which are formatted in Python), and the
vocabulary's labels, registered as template globals by the factory."""
from markupsafe import Markup

from . import vocab

STATUS_BADGES = {"new": "text-bg-primary", "triaged": "text-bg-info", "contained": "text-bg-warning",
                 "eradicated": "text-bg-warning", "recovered": "text-bg-success",
                 "closed": "text-bg-secondary", "rejected": "text-bg-light border"}
TLP_BADGES = {"CLEAR": "text-bg-light border", "GREEN": "text-bg-success", "AMBER": "text-bg-warning",
              "AMBER+STRICT": "text-bg-warning", "RED": "text-bg-danger"}
_STATUS = Markup('<span class="badge {}" data-status="{}">{}</span>')
_SEVERITY = Markup('<span class="badge {}">{}</span>')
_TLP = Markup('<span class="badge {}">TLP:{}</span>')


def status_badge(status):
    return STATUS_BADGES.get(status, "text-bg-secondary")


def tlp_badge(tlp):
    return TLP_BADGES.get(tlp, "text-bg-secondary")


def status_html(status):
    return _STATUS.format(status_badge(status), status, vocab.label(vocab.STATUSES, status))


def severity_html(severity):
    kind = "text-bg-danger" if severity == "serious" else "text-bg-light border"
    return _SEVERITY.format(kind, vocab.label(vocab.SEVERITIES, severity))


def tlp_html(tlp):
    return _TLP.format(tlp_badge(tlp), tlp)


class Badges:
    """The badges and labels of one page, each built once: a list shows the same few statuses,
    severities and categories on every row."""

    def __init__(self):
        self._made = {}

    def _once(self, key, make, value):
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = make(value)
        return found

    def status(self, status):
        return self._once(("status", status), status_html, status)

    def severity(self, severity):
        return self._once(("severity", severity), severity_html, severity)

    def tlp(self, tlp):
        return self._once(("tlp", tlp), tlp_html, tlp)

    def label(self, vocabulary, key):
        return self._once((id(vocabulary), key), lambda k: vocab.label(vocabulary, k), key)


def register(app):
    # globals, so imported macros see them too
    app.jinja_env.globals.update(vocab=vocab, label=vocab.label, status_badge=status_badge, tlp_badge=tlp_badge,
                                 status_html=status_html, severity_html=severity_html, tlp_html=tlp_html)
