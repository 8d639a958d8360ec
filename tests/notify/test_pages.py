"""The notification pages: my contact methods (refusals change nothing), quiet hours, a test
message, and the outbox with its retry button for admins and coordinators only."""
import pytest

from csirt.audit.models import AuditLog
from csirt.notify import outbox
from csirt.notify.models import ContactMethod, Notification, NotifyPreference
from tests.conftest import csrf_from

from .support import method


def _post(client, path, data, page="/notifications"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _methods(db, user):
    db.session.expire_all()
    return db.session.execute(db.select(ContactMethod).where(ContactMethod.user_id == user.id)).scalars().all()


def test_a_person_adds_an_email_and_a_telegram_chat(client, auth, db, make):
    me = make.user()
    auth.login(me)
    assert _post(client, "/notifications/methods", {"channel": "email", "address": "An@SoYTe.gov.vn",
                                                     "label": "công việc"}).status_code == 302
    assert _post(client, "/notifications/methods", {"channel": "telegram", "address": "-100123"}).status_code == 302
    assert [(m.channel, m.address) for m in _methods(db, me)] == [("email", "An@soyte.gov.vn"),
                                                                  ("telegram", "-100123")]
    page = client.get("/notifications").get_data(as_text=True)
    assert "An@soyte.gov.vn" in page and "-100123" in page


def test_a_new_webhook_shows_its_signing_key_once(client, auth, db, make, app):
    app.config["CSIRT_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    me = make.user()
    auth.login(me)
    response = _post(client, "/notifications/methods", {"channel": "webhook", "address": "http://127.0.0.1:9/h"})
    (hook,) = _methods(db, me)
    assert response.status_code == 200 and hook.secret and hook.secret in response.get_data(as_text=True)
    assert hook.secret not in client.get("/notifications").get_data(as_text=True)
    audit = db.session.execute(db.select(AuditLog).where(AuditLog.action == "notify.method_added")).scalar_one()
    assert hook.secret not in str(audit.after)


@pytest.mark.parametrize("channel, address, message", [
    ("webhook", "http://10.0.0.5/hook", "Địa chỉ này trỏ vào mạng nội bộ"),
    ("webhook", "ftp://example.com/x", "http://"),
    ("telegram", "@nguoi_dung", "Telegram"),
    ("email", "khong-phai-email", "thư điện tử"),
])
def test_a_bad_address_is_refused_with_a_translated_message_and_nothing_is_written(client, auth, db, make,
                                                                                    channel, address, message):
    me = make.user()
    auth.login(me)
    response = _post(client, "/notifications/methods", {"channel": channel, "address": address})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _methods(db, me) == []


def test_someone_elses_contact_method_cannot_be_removed_or_turned_off(client, auth, db, make):
    owner, other = make.user(), make.user()
    theirs = method(owner, "email", "owner@x.vn")
    auth.login(other)
    assert _post(client, f"/notifications/methods/{theirs.id}/delete", {}).status_code == 404
    assert _post(client, f"/notifications/methods/{theirs.id}/disable", {}).status_code == 404
    assert [m.enabled for m in _methods(db, owner)] == [True]


def test_a_person_turns_a_method_off_and_removes_it(client, auth, db, make):
    me = make.user()
    mine = method(me, "email", "me@x.vn")
    auth.login(me)
    _post(client, f"/notifications/methods/{mine.id}/disable", {})
    assert [m.enabled for m in _methods(db, me)] == [False]
    _post(client, f"/notifications/methods/{mine.id}/delete", {})
    assert _methods(db, me) == []


def test_removing_a_method_stops_what_still_waits_to_go_to_it(client, auth, db, make):
    me = make.user()
    mine = method(me, "webhook", "https://hooks.example/x", secret="k")
    (waiting,) = outbox.enqueue("incident.opened", me, {})
    db.session.commit()
    auth.login(me)
    _post(client, f"/notifications/methods/{mine.id}/delete", {})
    db.session.expire_all()
    row = db.session.get(Notification, waiting.id)
    assert (row.status, row.last_error) == ("dead", "the contact method was removed")


def test_quiet_hours_are_saved_and_half_given_ones_refused(client, auth, db, make):
    me = make.user()
    auth.login(me)
    assert _post(client, "/notifications/quiet", {"quiet_start": "22:00", "quiet_end": ""}).status_code == 400
    assert db.session.get(NotifyPreference, me.id) is None
    assert _post(client, "/notifications/quiet", {"quiet_start": "22:00", "quiet_end": "06:30"}).status_code == 302
    db.session.expire_all()
    pref = db.session.get(NotifyPreference, me.id)
    assert (str(pref.quiet_start), str(pref.quiet_end)) == ("22:00:00", "06:30:00")


def test_send_me_a_test_enqueues_one_notification_per_method(client, auth, db, make):
    me = make.user(email="me@x.vn")
    method(me, "telegram", "42")
    auth.login(me)
    assert _post(client, "/notifications/test", {}).status_code == 302
    rows = db.session.execute(db.select(Notification)).scalars().all()
    assert [(r.event, r.channel, r.context["address"]) for r in rows] == [("test", "telegram", "42")]


def test_the_csrf_token_is_required(client, auth, db, make):
    me = make.user()
    auth.login(me)
    response = client.post("/notifications/methods", data={"channel": "email", "address": "a@b.vn"})
    assert response.status_code == 400 and _methods(db, me) == []


def _failed(db, make):
    person = make.user(email="p@x.vn")
    row = Notification(event="incident.opened", user_id=person.id, channel="email", address="p@x.vn", locale="vi",
                       context={"reference": "LC-1"}, status="dead", attempts=8,
                       last_error="SMTPRecipientsRefused: <script>alert(1)</script>")
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.parametrize("role, status", [("admin", 200), ("coordinator", 200), ("manager", 403),
                                          ("responder", 403), ("member", 403)])
def test_the_outbox_is_for_admins_and_coordinators(client, auth, db, make, role, status):
    _failed(db, make)
    auth.login(make.user(role=role))
    response = client.get("/notifications/outbox?status=dead")
    assert response.status_code == status
    if status == 200:
        body = response.get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body


def test_a_coordinator_retries_a_dead_notification_and_it_is_audited(client, auth, db, make):
    row = _failed(db, make)
    auth.login(make.user(role="coordinator"))
    assert _post(client, f"/notifications/outbox/{row.id}/retry", {}, page="/notifications/outbox").status_code == 302
    db.session.expire_all()
    again = db.session.get(Notification, row.id)
    assert (again.status, again.attempts) == ("pending", 0)
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "notify.retried")).scalar_one()
    assert entry.before["status"] == "dead"


def test_a_responder_cannot_retry(client, auth, db, make):
    row = _failed(db, make)
    auth.login(make.user(role="responder"))
    assert _post(client, f"/notifications/outbox/{row.id}/retry", {}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Notification, row.id).status == "dead"


def test_pages_ask_for_a_login(client):
    assert client.get("/notifications").status_code == 302
    assert client.get("/notifications/outbox").status_code == 302


def test_test_messages_are_limited_per_person(client, auth, db, make):
    me = make.user(email="me@x.vn")
    auth.login(me)
    for _n in range(3):
        assert _post(client, "/notifications/test", {}).status_code == 302
    refused = _post(client, "/notifications/test", {})  # the page comes back with the refusal
    assert "10 phút" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Notification.id))).scalar() == 3


def test_a_webhook_url_is_shown_and_audited_without_its_path(client, auth, db, make, app):
    app.config["CSIRT_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    me = make.user("coordinator")
    auth.login(me)
    _post(client, "/notifications/methods", {"channel": "webhook", "address": "http://127.0.0.1:9/hooks/T0KEN-42"})
    audit = db.session.execute(db.select(AuditLog).where(AuditLog.action == "notify.method_added")).scalar_one()
    assert audit.after["address"] == "http://127.0.0.1:9/…"
    _post(client, "/notifications/test", {})
    page = client.get("/notifications/outbox").get_data(as_text=True)
    assert "http://127.0.0.1:9/…" in page and "T0KEN-42" not in page


@pytest.mark.parametrize("value", ["0800Z", "08+07", "T08", "08:00:30", "08:00Z"])
def test_quiet_hours_take_a_local_time_only(client, auth, db, make, value):
    me = make.user()
    auth.login(me)
    assert _post(client, "/notifications/quiet", {"quiet_start": value, "quiet_end": "06:00"}).status_code == 400
    assert db.session.get(NotifyPreference, me.id) is None
