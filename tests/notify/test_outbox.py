"""enqueue writes in the caller's transaction (nothing without its commit), digests instead of
flooding, defers for quiet hours; the acknowledge links are signed, expire and are used once."""
from datetime import datetime, time, timedelta

import pytest

from csirt.clock import freeze, utcnow
from csirt.errors import ValidationError
from csirt.notify import ack_tokens, outbox
from csirt.notify.models import Notification, NotifyPreference

from .support import method

NOON_HANOI = datetime(2026, 12, 3, 5, 0)
THREE_AM_HANOI = datetime(2026, 12, 3, 20, 0)


def _rows(db):
    db.session.expire_all()
    return db.session.execute(db.select(Notification).order_by(Notification.id)).scalars().all()


def test_enqueue_writes_one_row_per_enabled_method_in_the_callers_transaction(app, db, make):
    freeze(NOON_HANOI)
    person = make.user(email="an@soyte.gov.vn")
    method(person, "email", "an@soyte.gov.vn")
    method(person, "webhook", "https://hooks.example/x", secret="k")
    method(person, "telegram", "12345", enabled=False)
    rows = outbox.enqueue("incident.opened", person, {"reference": "LC-1", "title": "T"}, incident_id=None)
    assert [r.id is not None for r in rows] == [True, True]  # flushed: ids set
    assert sorted(r.channel for r in rows) == ["email", "webhook"]
    assert all(r.status == "pending" and r.next_attempt_at == NOON_HANOI for r in rows)
    db.session.rollback()  # the event's transaction fails: no notification survives it
    assert _rows(db) == []


def test_enqueue_is_kept_when_the_caller_commits(app, db, make):
    person = make.user(email="an@soyte.gov.vn")
    outbox.enqueue("incident.assigned", person, {"reference": "LC-2"})
    db.session.commit()
    (row,) = _rows(db)
    assert (row.channel, row.address, row.locale) == ("email", "an@soyte.gov.vn", "vi")


def test_channels_narrow_the_methods_and_a_person_with_no_way_to_reach_gets_no_row(app, db, make):
    person = make.user(email=None)
    assert outbox.enqueue("incident.opened", person, {}) == []
    method(person, "telegram", "-1001")
    method(person, "email", "x@y.vn")
    rows = outbox.enqueue("incident.opened", person, {}, channels=["telegram"])
    assert [(r.channel, r.address) for r in rows] == [("telegram", "-1001")]


def test_an_inactive_person_is_not_notified(app, db, make):
    person = make.user(email="gone@x.vn", active=False)
    assert outbox.enqueue("incident.opened", person, {}) == []


def test_quiet_hours_defer_an_ordinary_notification_and_not_a_serious_one(app, db, make):
    person = make.user(email="an@x.vn")
    db.session.add(NotifyPreference(user_id=person.id, quiet_start=time(22, 0), quiet_end=time(6, 0),
                                    time_zone="Asia/Ho_Chi_Minh"))
    db.session.commit()
    freeze(THREE_AM_HANOI)
    (quiet,) = outbox.enqueue("incident.status", person, {})
    (loud,) = outbox.enqueue("incident.opened", person, {}, serious=True)
    assert quiet.next_attempt_at == datetime(2026, 12, 3, 23, 0)  # 06:00 in Hà Nội
    assert loud.next_attempt_at == THREE_AM_HANOI and loud.serious


def test_a_digest_folds_many_alerts_into_one_waiting_notification(app, db, make):
    person = make.user(email="an@x.vn")
    first = outbox.enqueue("incident.joined", person, {"title": "a1"}, digest_key="grp-1")
    for n in range(2, 6):
        again = outbox.enqueue("incident.joined", person, {"title": f"a{n}"}, digest_key="grp-1")
        assert [r.id for r in again] == [r.id for r in first]
    db.session.commit()
    (row,) = _rows(db)
    assert row.context["more"] == 4 and row.context["latest_title"] == "a5"


def test_a_digest_starts_a_new_row_once_the_previous_one_was_sent_and_keys_do_not_mix(app, db, make):
    person = make.user(email="an@x.vn")
    (first,) = outbox.enqueue("incident.joined", person, {}, digest_key="grp-1")
    first.status = "sent"
    outbox.enqueue("incident.joined", person, {}, digest_key="grp-1")
    outbox.enqueue("incident.joined", person, {}, digest_key="grp-2")
    outbox.enqueue("incident.joined", person, {})  # no key: never folded
    db.session.commit()
    assert len(_rows(db)) == 4


def test_a_serious_event_pulls_a_deferred_digest_forward(app, db, make):
    person = make.user(email="an@x.vn")
    db.session.add(NotifyPreference(user_id=person.id, quiet_start=time(22, 0), quiet_end=time(6, 0),
                                    time_zone="Asia/Ho_Chi_Minh"))
    db.session.commit()
    freeze(THREE_AM_HANOI)
    (row,) = outbox.enqueue("incident.joined", person, {}, digest_key="g")
    assert row.next_attempt_at > utcnow()
    outbox.enqueue("incident.joined", person, {}, digest_key="g", serious=True)
    assert row.next_attempt_at == utcnow() and row.serious


def test_enqueue_address_validates_the_address_by_its_channel(app, db):
    row = outbox.enqueue_address("layer.expiring", "email", " Lien.He@SoYTe.gov.vn ", {"system": "HT-1"},
                                 locale="en")
    assert (row.address, row.locale, row.user_id) == ("Lien.He@soyte.gov.vn", "en", None)
    with pytest.raises(ValidationError):
        outbox.enqueue_address("layer.expiring", "telegram", "@someone", {})


def test_an_ack_link_gives_back_its_ids_until_it_expires(app):
    freeze(NOON_HANOI)
    token = ack_tokens.make(41, 7)
    assert ack_tokens.read(token) == (41, 7)
    freeze(NOON_HANOI + timedelta(hours=24, seconds=1))
    with pytest.raises(ack_tokens.AckLinkError) as err:
        ack_tokens.read(token)
    assert err.value.code == "expired"


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],  # one character
                                    lambda t: "x" + t, lambda t: "", lambda t: "not.a.token"])
def test_a_forged_ack_link_is_refused(app, mangle):
    with pytest.raises(ack_tokens.AckLinkError) as err:
        ack_tokens.read(mangle(ack_tokens.make(41, 7)))
    assert err.value.code == "forged"


def test_an_ack_link_signed_with_another_key_is_forged(app):
    token = ack_tokens.make(41, 7)
    app.config["SECRET_KEY"] = "another-key"
    with pytest.raises(ack_tokens.AckLinkError) as err:
        ack_tokens.read(token)
    assert err.value.code == "forged"


def test_consume_ack_succeeds_once(app, db, make):
    person = make.user(email="an@x.vn")
    (row,) = outbox.enqueue("incident.opened", person, {})
    db.session.commit()
    assert outbox.consume_ack(row.id) is True
    assert outbox.consume_ack(row.id) is False
    db.session.commit()
    assert _rows(db)[0].ack_used_at is not None
