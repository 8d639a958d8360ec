"""The channel registry: each channel checks its addresses and sends one message.

A channel is a small class with `name`, `validate_address(address) -> str` (the normalised
address, or the house `invalid()` error with a translated message) and
`send(notification, message, config)` (raises `SendError` or any exception on failure; the
delivery records it and retries). Add a channel by adding it to CHANNELS.
"""
from ...errors import invalid
from .base import SendError  # noqa: F401  (part of the interface)
from .email import EmailChannel
from .telegram import TelegramChannel
from .webhook import WebhookChannel

CHANNELS = {"email": EmailChannel(), "webhook": WebhookChannel(), "telegram": TelegramChannel()}


def get(name):
    """The channel called `name`, or the house validation error."""
    from ...catalogue import gettext as _

    channel = CHANNELS.get(name)
    if channel is None:
        raise invalid({"channel": _("Choose e-mail, webhook or Telegram.")})
    return channel
