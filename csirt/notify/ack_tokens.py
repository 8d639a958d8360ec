"""Signed, expiring links for the one-click acknowledgement in a notification.

`make(notification_id, incident_id)` signs both ids with SECRET_KEY (salt "csirt-ack") and the
app's clock; `read(token)` gives them back, or raises `AckLinkError("expired" | "forged")`.
Single use is the outbox's: `outbox.consume_ack(notification_id)`.
"""
from datetime import timezone

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ..clock import utcnow

SALT = "csirt-ack"


class AckLinkError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code  # "expired" or "forged"


class _ClockSigner(TimestampSigner):
    """Timestamps from csirt.clock, so tests that move the clock move the links' age too."""

    def get_timestamp(self):
        return int(utcnow().replace(tzinfo=timezone.utc).timestamp())


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_ClockSigner)


def make(notification_id, incident_id):
    return _serializer().dumps([int(notification_id), int(incident_id)])


def read(token, max_age=None):
    """(notification_id, incident_id) of a valid link; AckLinkError otherwise."""
    if max_age is None:
        max_age = int(current_app.config.get("CSIRT_ACK_LINK_HOURS", 24)) * 3600
    try:
        value = _serializer().loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise AckLinkError("expired") from None
    except (BadData, ValueError, TypeError):
        raise AckLinkError("forged") from None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise AckLinkError("forged")
    return value[0], value[1]
