"""What a review of the outbox found, each closed by a test: a dripping webhook cannot hold the
delivery, malformed host names and allow-lists are refused without a 500, the bot token never
reaches an error text, 6to4 addresses are refused, a digest folds per address, a row waiting for a
person who may no longer receive it is not sent, and an address-only message has no ack link."""
import socket
import threading
import time

import pytest

from csirt.errors import ValidationError
from csirt.notify import delivery, messages, outbox
from csirt.notify.channels import CHANNELS, netguard
from csirt.notify.channels.base import SendError
from csirt.notify.channels.webhook import _PinnedHTTP, exchange
from csirt.notify.models import Notification

from .support import HttpReceiver, method


class Dripper:
    """A TCP server that answers any request one byte every `pause` seconds (a slow-loris reply)."""

    def __init__(self, pause=0.2, reply=b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"):
        self.pause, self.reply = pause, reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _addr = self.sock.accept()
        conn.recv(65536)
        try:
            for byte in self.reply:
                conn.sendall(bytes([byte]))
                time.sleep(self.pause)
        except OSError:
            pass  # the client gave up: what the test wants
        finally:
            conn.close()


def test_a_webhook_that_drips_its_answer_fails_at_the_deadline_instead_of_holding_the_delivery():
    dripper = Dripper()  # the whole reply takes ~10 s, each byte well within a 1 s read timeout
    with pytest.raises(SendError, match="no complete answer within 1 s"):
        exchange(_PinnedHTTP("127.0.0.1", "127.0.0.1", dripper.port, 1), "/", b"{}", {}, 1)


def test_a_webhook_that_answers_in_time_still_works():
    with HttpReceiver() as receiver:
        assert exchange(_PinnedHTTP("127.0.0.1", "127.0.0.1", receiver.port, 5), "/h", b"{}", {}, 5) == 200


@pytest.mark.parametrize("url", ["http://a..b/", "http://.x/", "http://" + "a" * 64 + ".com/"])
def test_a_malformed_host_name_is_refused_not_a_crash(app, url):
    with app.test_request_context(), pytest.raises(ValidationError):
        CHANNELS["webhook"].validate_address(url)


def test_6to4_and_site_local_addresses_are_refused():
    for address in ("2002:7f00:1::1", "2002:a9fe:a9fe::1", "fec0::1"):
        with pytest.raises(netguard.RefusedAddress):
            netguard.check_ip(address)


def test_a_malformed_allow_list_entry_is_left_out(app):
    assert netguard.allowed_networks("127.0.0.0/8, not-a-network, 10.0.0.0/33") == \
        [netguard.ipaddress.ip_network("127.0.0.0/8")]


def test_the_bot_token_never_reaches_the_error_text(app, db, make):
    person = make.user(email=None)
    with HttpReceiver() as bot:
        app.config.update(CSIRT_TELEGRAM_API_BASE=bot.url, CSIRT_TELEGRAM_BOT_TOKEN="123:SEC RET")  # a bad token
        method(person, "telegram", "42")
        (row,) = outbox.enqueue("test", person, {"title": "x"})
        db.session.commit()
        assert delivery.deliver_due() == 0
    db.session.expire_all()
    failed = db.session.get(Notification, row.id)
    assert failed.status == "failed" and "SEC RET" not in failed.last_error and "SEC%20RET" not in failed.last_error


def test_a_digest_folds_per_address(app, db, make):
    person = make.user(email=None)
    method(person, "email", "a@so.example")
    method(person, "email", "b@so.example")
    for n in range(3):
        outbox.enqueue("incident.joined", person, {"title": f"alert {n}"}, digest_key="incident:1:joined")
    db.session.commit()
    rows = db.session.execute(db.select(Notification).order_by(Notification.address)).scalars().all()
    assert [(r.address, r.context.get("more")) for r in rows] == [("a@so.example", 2), ("b@so.example", 2)]


def test_a_row_for_a_person_disabled_meanwhile_is_not_sent(app, db, make):
    person = make.user(email="x@so.example")
    (row,) = outbox.enqueue("test", person, {"title": "x"})
    db.session.commit()
    person.active = False
    db.session.commit()
    assert delivery.deliver_due() == 0
    db.session.expire_all()
    stopped = db.session.get(Notification, row.id)
    assert stopped.status == "dead" and "disabled" in stopped.last_error


def test_a_row_about_an_incident_the_person_may_no_longer_see_is_not_sent(app, db, make):
    home, other = make.agency(), make.agency()
    liaison = make.user("member", agency_obj=home, email="lien@so.example")
    incident = make.incident(agency_obj=home)
    (row,) = outbox.enqueue("incident.status", liaison, {"title": incident.title}, incident_id=incident.id)
    db.session.commit()
    liaison.agency_id = other.id  # moved to another agency: the incident is no longer theirs to see
    db.session.commit()
    assert delivery.deliver_due() == 0
    db.session.expire_all()
    assert db.session.get(Notification, row.id).status == "dead"


def test_a_message_to_an_address_without_an_account_has_no_ack_link(app, db, make):
    incident = make.incident()
    row = outbox.enqueue_address("incident.opened", "email", "contact@so.example", {"title": "x"},
                                 incident_id=incident.id)
    db.session.commit()
    with app.test_request_context():
        assert "ack_url" not in messages.render_context(row, app.config)
