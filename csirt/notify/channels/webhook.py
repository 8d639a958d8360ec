"""Generic webhook: POST the message as JSON, signed with the contact method's secret.

`X-Csirt-Signature: sha256=<hex HMAC-SHA256 of the body>` and `X-Csirt-Notification: <id>`.
The host is resolved once, every address checked (netguard), and the connection made to the
checked address itself (no second lookup a DNS change could turn elsewhere). http.client
never follows redirects: a 3xx is a failure like a 5xx. CSIRT_WEBHOOK_TIMEOUT_SECONDS bounds the
connect, each read, and the whole exchange.
"""
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import threading
from urllib.parse import urlsplit

from ...catalogue import gettext as _
from ...errors import invalid
from ..models import ADDRESS_MAX
from . import netguard
from .base import SendError

USER_AGENT = "csirt-notify/1"


def signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, ip, port, timeout):
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self):
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, ip, port, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _parts(address):
    """(scheme, host, port, path) of an http(s) URL; ValueError if it is not one."""
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise ValueError("not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def _secret_of(notification):
    """The HMAC key of the contact method the notification was made for (None: unsigned)."""
    from ...extensions import db
    from ..models import ContactMethod

    if notification.contact_method_id is None:
        return None
    method = db.session.get(ContactMethod, notification.contact_method_id)
    return method.secret if method is not None else None


class WebhookChannel:
    name = "webhook"

    def validate_address(self, address, allowed_text=None):
        from flask import current_app

        address = (address or "").strip()
        allowed_text = current_app.config.get("CSIRT_WEBHOOK_ALLOWED_NETWORKS", "") if allowed_text is None \
            else allowed_text
        try:
            if len(address) > ADDRESS_MAX:
                raise ValueError("too long")
            _scheme, host, port, _path = _parts(address)
        except ValueError:
            raise invalid({"address": _("Give an http:// or https:// address.")}) from None
        try:
            netguard.resolve(host, port, netguard.allowed_networks(allowed_text))
        except netguard.RefusedAddress as err:
            raise invalid({"address": _("This address points into a private or reserved network (%(ip)s), "
                                        "which webhooks may not reach.", ip=err.address)}) from None
        except (OSError, UnicodeError, ValueError):  # e.g. "a..b": an empty or over-long label
            raise invalid({"address": _("This host name does not resolve.")}) from None
        return address

    def send(self, notification, message, config):
        secret = _secret_of(notification)
        scheme, host, port, path = _parts(notification.address)
        ips = netguard.resolve(host, port, netguard.allowed_networks(config.get("CSIRT_WEBHOOK_ALLOWED_NETWORKS")))
        body = json.dumps(message.data, ensure_ascii=False, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-Csirt-Notification": str(notification.id), "X-Csirt-Event": notification.event}
        if secret:
            headers["X-Csirt-Signature"] = signature(secret, body)
        kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        seconds = config.get("CSIRT_WEBHOOK_TIMEOUT_SECONDS", 10)
        status = exchange(kind(host, ips[0], port, seconds), path, body, headers, seconds)
        if not 200 <= status < 300:
            raise SendError(f"webhook answered HTTP {status}"
                            + (" (redirects are not followed)" if 300 <= status < 400 else ""))


def exchange(conn, path, body, headers, seconds):
    """POST and read the answer (at most 64 KiB) within `seconds` in all: the per-read timeout
    alone lets a receiver that drips one byte at a time hold the delivery for hours, so a timer
    shuts the socket down when the time is up. The HTTP status, or SendError."""
    expired = threading.Event()

    def abort():
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    timer = threading.Timer(seconds, abort)
    timer.daemon = True
    timer.start()
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        status = response.status
    except Exception as err:
        if expired.is_set():
            raise SendError(f"no complete answer within {seconds} s") from None
        raise err
    finally:
        timer.cancel()
        conn.close()
    if expired.is_set():
        raise SendError(f"no complete answer within {seconds} s")
    return status
