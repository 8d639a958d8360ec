"""Delivery to real local receivers: an SMTP server (aiosmtpd), a webhook receiver and a fake
Telegram Bot API, all on 127.0.0.1. Failures are retried with backoff on the app's clock and
the error is kept; redirects and refused networks fail."""
import hashlib
import hmac
from datetime import datetime, timedelta

import pytest

from csirt.clock import freeze
from csirt.notify import ack_tokens, delivery, outbox
from csirt.notify.models import Notification

from .support import HttpReceiver, Inbox, method, start_smtp

T0 = datetime(2026, 12, 3, 5, 0)


@pytest.fixture
def inbox(app):
    box = Inbox()
    controller = start_smtp(box)
    app.config.update(CSIRT_SMTP_HOST="127.0.0.1", CSIRT_SMTP_PORT=controller.port,
                      CSIRT_SMTP_FROM="csirt@laocai.gov.vn", CSIRT_BASE_URL="https://csirt.laocai.gov.vn")
    yield box
    controller.stop()


def _row(db, row_id):
    db.session.expire_all()
    return db.session.get(Notification, row_id)


def test_an_email_arrives_with_plain_text_and_html_in_vietnamese_with_its_ack_link(app, db, make, inbox):
    freeze(T0)
    person = make.user(email="an@soyte.gov.vn")
    incident = make.incident(title="Mã độc trên máy chủ <cổng thông tin>", severity="serious")
    (row,) = outbox.enqueue("incident.opened", person, {"reference": incident.reference, "title": incident.title,
                                                        "severity": "serious"}, incident_id=incident.id, serious=True)
    db.session.commit()
    assert delivery.deliver_due() == 1
    (mail,) = inbox.wait_for(1)
    assert mail["Subject"].startswith(f"[CSIRT] {incident.reference} Sự cố mới")
    assert mail["Message-ID"] == f"<csirt-notification-{row.id}@laocai.gov.vn>"
    assert mail["X-Csirt-Notification"] == str(row.id)
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Một sự cố mới đã được mở" in text and "Mức độ: Nghiêm trọng" in text
    assert f"https://csirt.laocai.gov.vn/incidents/{incident.id}" in text
    ack_url = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Xác nhận"))
    assert ack_url.startswith("https://csirt.laocai.gov.vn/ack/")
    assert ack_tokens.read(ack_url.rsplit("/", 1)[1]) == (row.id, incident.id)
    assert f'href="{ack_url}"' in html
    assert "&lt;cổng thông tin&gt;" in html and "<cổng thông tin>" not in html  # escaped in HTML
    sent = _row(db, row.id)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, T0)


def test_an_english_speaker_gets_english_and_a_status_change_has_no_ack_link(app, db, make, inbox):
    person = make.user(email="bob@x.vn", locale="en")
    outbox.enqueue("incident.status", person, {"reference": "LC-2026-0001", "title": "Phishing", "status": "triaged"},
                   incident_id=make.incident().id)
    db.session.commit()
    delivery.deliver_due()
    (mail,) = inbox.wait_for(1)
    text = mail.get_body(("plain",)).get_content()
    assert "Status changed" in mail["Subject"] and "Details:" in text and "/ack/" not in text


def test_an_unreachable_smtp_server_leaves_the_notification_failed_with_its_error_then_dead(app, db, make):
    app.config.update(CSIRT_SMTP_HOST="127.0.0.1", CSIRT_SMTP_PORT=1, CSIRT_NOTIFY_MAX_ATTEMPTS=3)
    freeze(T0)
    person = make.user(email="an@x.vn")
    (row,) = outbox.enqueue("incident.opened", person, {})
    db.session.commit()
    assert delivery.deliver_due() == 0
    failed = _row(db, row.id)
    assert failed.status == "failed" and failed.attempts == 1 and "Connection" in failed.last_error
    assert timedelta(seconds=22) <= failed.next_attempt_at - T0 <= timedelta(seconds=38)  # 30 s ± 25 %
    assert delivery.deliver_due() == 0 and _row(db, row.id).attempts == 1  # not due yet
    freeze(T0 + timedelta(hours=1))
    delivery.deliver_due()
    freeze(T0 + timedelta(hours=2))
    delivery.deliver_due()
    dead = _row(db, row.id)
    assert dead.status == "dead" and dead.attempts == 3 and dead.last_error


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [delivery.backoff(n, rand=lambda: 0.5) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert delivery.backoff(20, rand=lambda: 1.0) == 3600
    assert 22.5 <= delivery.backoff(1, rand=lambda: 0.0) < 30


def test_a_webhook_is_retried_after_a_failure_and_arrives_signed(app, db, make):
    app.config["CSIRT_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    freeze(T0)
    person = make.user(email=None)
    with HttpReceiver(script=[500]) as receiver:
        hook = method(person, "webhook", receiver.url + "/csirt?x=1", secret="khóa-bí-mật")
        (row,) = outbox.enqueue("incident.opened", person, {"reference": "LC-9", "title": "DDoS"},
                                incident_id=make.incident().id)
        db.session.commit()
        assert delivery.deliver_due() == 0
        first = _row(db, row.id)
        assert first.status == "failed" and "HTTP 500" in first.last_error
        assert delivery.deliver_due() == 0 and len(receiver.requests) == 1  # waits for its backoff
        freeze(first.next_attempt_at)
        assert delivery.deliver_due() == 1
        requests = receiver.wait_for(2)
    path, headers, body, status = requests[1]
    assert (path, status) == ("/csirt?x=1", 200)
    expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Csirt-Signature"], expected)
    assert headers["X-Csirt-Notification"] == str(row.id)
    payload = HttpReceiver.json(requests[1])
    assert payload["event"] == "incident.opened" and payload["context"]["reference"] == "LC-9"
    assert "/ack/" in payload["ack_url"]
    done = _row(db, row.id)
    assert (done.status, done.attempts) == ("sent", 2)


def test_a_webhook_redirect_is_a_failure_and_is_not_followed(app, db, make):
    app.config["CSIRT_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    person = make.user(email=None)
    with HttpReceiver(script=[302], location="http://169.254.169.254/latest") as receiver:
        method(person, "webhook", receiver.url + "/hook", secret="k")
        (row,) = outbox.enqueue("incident.opened", person, {})
        db.session.commit()
        delivery.deliver_due()
        assert len(receiver.wait_for(1)) == 1
    failed = _row(db, row.id)
    assert failed.status == "failed" and "HTTP 302" in failed.last_error and "redirect" in failed.last_error


def test_a_webhook_to_loopback_is_refused_at_send_time_without_the_allow_setting(app, db, make):
    """The address was allowed when saved; the admin then removed the allowance."""
    person = make.user(email=None)
    with HttpReceiver() as receiver:
        method(person, "webhook", receiver.url + "/hook", secret="k")
        (row,) = outbox.enqueue("incident.opened", person, {})
        db.session.commit()
        delivery.deliver_due()
        assert receiver.requests == []
    failed = _row(db, row.id)
    assert failed.status == "failed" and "refused network address 127.0.0.1" in failed.last_error


def test_telegram_goes_to_the_configured_bot_api(app, db, make):
    person = make.user(email=None)
    with HttpReceiver(body=b'{"ok": true, "result": {}}') as bot:
        app.config.update(CSIRT_TELEGRAM_API_BASE=bot.url, CSIRT_TELEGRAM_BOT_TOKEN="123:ABC")
        method(person, "telegram", "-100200300")
        (row,) = outbox.enqueue("escalation.step", person, {"reference": "LC-7", "title": "Ransomware", "step": 2},
                                incident_id=make.incident().id)
        db.session.commit()
        assert delivery.deliver_due() == 1
        (request,) = bot.wait_for(1)
    assert request[0] == "/bot123:ABC/sendMessage"
    payload = HttpReceiver.json(request)
    assert payload["chat_id"] == -100200300
    assert "Chưa ai xác nhận: Ransomware" in payload["text"] and "/ack/" in payload["text"]
    assert _row(db, row.id).status == "sent"


def test_a_telegram_refusal_keeps_the_error_without_the_bot_token(app, db, make):
    person = make.user(email=None)
    with HttpReceiver(script=[401]) as bot:
        app.config.update(CSIRT_TELEGRAM_API_BASE=bot.url, CSIRT_TELEGRAM_BOT_TOKEN="123:SECRET")
        method(person, "telegram", "42")
        (row,) = outbox.enqueue("incident.opened", person, {})
        db.session.commit()
        delivery.deliver_due()
    failed = _row(db, row.id)
    assert failed.status == "failed" and "401" in failed.last_error and "SECRET" not in failed.last_error


def test_a_notification_deferred_by_quiet_hours_is_not_sent_before_its_time(app, db, make, inbox):
    freeze(T0)
    person = make.user(email="an@x.vn")
    (row,) = outbox.enqueue("incident.status", person, {})
    row.next_attempt_at = T0 + timedelta(hours=3)
    db.session.commit()
    assert delivery.deliver_due() == 0
    freeze(T0 + timedelta(hours=3))
    sent = delivery.deliver_due()
    after = _row(db, row.id)
    assert sent == 1, (after.status, after.attempts, after.last_error)
    assert len(inbox.wait_for(1)) == 1
