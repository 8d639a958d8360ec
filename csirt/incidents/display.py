"""How incidents look on the pages: badge classes of statuses and TLP, and the vocabulary's
labels, registered as template globals by the factory."""
from . import vocab

STATUS_BADGES = {"new": "text-bg-primary", "triaged": "text-bg-info", "contained": "text-bg-warning",
                 "eradicated": "text-bg-warning", "recovered": "text-bg-success",
                 "closed": "text-bg-secondary", "rejected": "text-bg-light border"}
TLP_BADGES = {"CLEAR": "text-bg-light border", "GREEN": "text-bg-success", "AMBER": "text-bg-warning",
              "AMBER+STRICT": "text-bg-warning", "RED": "text-bg-danger"}


def status_badge(status):
    return STATUS_BADGES.get(status, "text-bg-secondary")


def tlp_badge(tlp):
    return TLP_BADGES.get(tlp, "text-bg-secondary")


def register(app):
    # globals, so imported macros see them too
    app.jinja_env.globals.update(vocab=vocab, label=vocab.label, status_badge=status_badge, tlp_badge=tlp_badge)
