"""Local receivers for the notification tests: a real SMTP server (aiosmtpd) and an HTTP server,
both on 127.0.0.1 with a port the system picks."""
import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from csirt.extensions import db
from csirt.notify.models import ContactMethod


class Inbox:
    """An aiosmtpd handler that keeps what it accepted. `delay` holds each DATA before answering;
    a message whose client went away meanwhile is refused (never accepted), as a server that
    had not yet said 250 does. `started` is set when a DATA begins."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.messages = []
        self.started = threading.Event()
        self.started_count = 0
        self.cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.started.set()
        self.started_count += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        transport = getattr(server, "transport", None)
        if transport is None or transport.is_closing():
            return "451 client gone"
        with self.cond:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.cond.notify_all()
        return "250 OK"

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.messages)


class _Controller(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]  # port 0: the one the system gave
        return super()._trigger_server()


def start_smtp(inbox):
    controller = _Controller(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    return controller


class HttpReceiver:
    """An HTTP server answering each POST with the next status of `script` (then 200); it keeps
    each request's path, headers and body."""

    def __init__(self, script=(), location=None, body=b"{}"):
        self.script = list(script)
        self.requests = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                if location and 300 <= status < 400:
                    self.send_header("Location", location)
                payload = body if status < 300 else b"{}"
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                with receiver.cond:
                    receiver.requests.append((self.path, dict(self.headers), data, status))
                    receiver.cond.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.requests)

    @staticmethod
    def json(request):
        return json.loads(request[2])


def method(user, channel, address, secret=None, enabled=True):
    """A contact method written directly (the service validates; these tests aim at delivery)."""
    row = ContactMethod(user_id=user.id, channel=channel, address=address, label="", enabled=enabled,
                        secret=secret)
    db.session.add(row)
    db.session.commit()
    return row
