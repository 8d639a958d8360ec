"""Telegram bot: `sendMessage` at CSIRT_TELEGRAM_API_BASE (default https://api.telegram.org),
so a local relay or a test server can stand in. The base URL is the admin's setting, so the
webhook's private-network refusal does not apply to it. The bot token never reaches a log."""
import json
import re
import urllib.error
import urllib.request

from ...catalogue import gettext as _
from ...errors import invalid
from .base import SendError

CHAT_ID = re.compile(r"-?[0-9]{1,20}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class TelegramChannel:
    name = "telegram"

    def validate_address(self, address):
        address = (address or "").strip()
        if not CHAT_ID.fullmatch(address):
            raise invalid({"address": _("A Telegram chat id is a number (negative for a group).")})
        return str(int(address))

    def send(self, notification, message, config):
        token = (config.get("CSIRT_TELEGRAM_BOT_TOKEN") or "").strip()
        if not token:
            raise SendError("CSIRT_TELEGRAM_BOT_TOKEN is not set")
        base = (config.get("CSIRT_TELEGRAM_API_BASE") or "https://api.telegram.org").rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise SendError("CSIRT_TELEGRAM_API_BASE must be an http(s) URL")
        body = json.dumps({"chat_id": int(notification.address), "text": message.text[:4096],
                           "disable_web_page_preview": True}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310  (the scheme is checked just above)
            f"{base}/bot{token}/sendMessage", data=body, method="POST", headers={"Content-Type": "application/json"})
        try:
            with _opener.open(request, timeout=config.get("CSIRT_WEBHOOK_TIMEOUT_SECONDS", 10)) as response:
                answer = json.loads(response.read(64 * 1024) or b"{}")
        except urllib.error.HTTPError as err:
            raise SendError(f"Telegram answered HTTP {err.code}") from None
        except Exception as err:  # noqa: BLE001 - whatever it is, its text must not carry the token
            text = str(err).replace(token, "***").replace(repr(token)[1:-1], "***")
            raise SendError(f"Telegram unreachable: {type(err).__name__}: {text}") from None
        if not answer.get("ok"):
            raise SendError(f"Telegram refused: {str(answer.get('description'))[:200]}")
