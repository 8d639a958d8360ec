"""Calendar feeds: a secret URL that works without a login, parsed back as iCalendar with the right
shifts; 404 for an unknown token and after revocation."""
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from csirt.audit.models import AuditLog
from csirt.errors import NotFound
from csirt.oncall import feeds, services
from csirt.oncall.models import CalendarFeed
from tests.conftest import csrf_from

from .conftest import NOW


def _utc(value):
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _events(response):
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    return [(str(e["summary"]), _utc(e.decoded("dtstart")), _utc(e.decoded("dtend")), str(e["uid"]))
            for e in calendar.walk("VEVENT")]


def test_personal_feed_lists_my_shifts_without_a_login(app, db, people, rotation):
    services.add_override(people.coordinator, rotation, {"layer": 1, "user": people.an.id, "reason": "swap",
                                                         "starts_at": NOW, "ends_at": NOW + timedelta(hours=3)})
    _feed, token = feeds.create_feed(people.an)
    events = _events(app.test_client().get(f"/oncall/feed/{token}.ics"))
    starts = [(start, end) for _s, start, end, _u in events]
    # An's turns in the primary layer every third day (from 7 December 08:00 local = 01:00 UTC),
    # the override on 8 December, and the secondary every other day (Dũng, An, ...)
    assert (datetime(2026, 12, 7, 1), datetime(2026, 12, 8, 1)) in starts
    assert (NOW, NOW + timedelta(hours=3)) in starts
    assert (datetime(2026, 12, 10, 1), datetime(2026, 12, 11, 1)) in starts
    assert all(start >= NOW - timedelta(days=30) - timedelta(days=1) for start, _e in starts)
    assert max(end for _s, end in starts) <= NOW + timedelta(days=90)
    summaries = {summary for summary, *_rest in events}
    assert "Trực: Trực ứng cứu (Trực chính)" in summaries  # Vietnamese, the owner's language
    uids = [uid for *_rest, uid in events]
    assert len(uids) == len(set(uids))
    assert f"rotation-{rotation.id}-layer-1-20261207T010000Z@csirt" in uids


def test_feed_is_in_the_owners_language(app, db, people, rotation):
    people.an.locale = "en"
    db.session.commit()
    _feed, token = feeds.create_feed(people.an)
    summaries = {summary for summary, *_rest in _events(app.test_client().get(f"/oncall/feed/{token}.ics"))}
    assert "On call: Trực ứng cứu (Primary)" in summaries


def test_rotation_feed_names_each_person(app, db, people, rotation):
    _feed, token = feeds.create_feed(people.liaison, rotation)
    events = _events(app.test_client().get(f"/oncall/feed/{token}.ics"))
    on_the_8th = [summary for summary, start, _e, _u in events if start == datetime(2026, 12, 8, 1)]
    assert sorted(on_the_8th) == ["Lê Thị Bình trực: Trực ứng cứu (Trực chính)",
                                  "Đỗ Văn Dũng trực: Trực ứng cứu (Trực dự phòng)"]


def test_unknown_revoked_and_malformed_tokens_get_404(app, db, people, rotation):
    feed, token = feeds.create_feed(people.an)
    client = app.test_client()
    assert client.get(f"/oncall/feed/{token}.ics").status_code == 200
    assert client.get(f"/oncall/feed/{'x' * 43}.ics").status_code == 404
    assert client.get("/oncall/feed/short.ics").status_code == 404
    feeds.revoke_feed(people.an, feed.id)
    assert client.get(f"/oncall/feed/{token}.ics").status_code == 404
    assert [a for (a,) in db.session.execute(db.select(AuditLog.action).where(
        AuditLog.action.like("calendar_feed.%")).order_by(AuditLog.id))] == ["calendar_feed.create",
                                                                            "calendar_feed.revoke"]


def test_feed_stops_when_its_owner_is_disabled_or_the_rotation_archived(app, db, people, rotation):
    _mine, mine = feeds.create_feed(people.an)
    _theirs, theirs = feeds.create_feed(people.binh, rotation)
    client = app.test_client()
    people.an.active = False
    db.session.commit()
    assert client.get(f"/oncall/feed/{mine}.ics").status_code == 404
    services.set_rotation_active(people.coordinator, rotation, False)
    assert client.get(f"/oncall/feed/{theirs}.ics").status_code == 404


def test_only_the_hash_of_the_token_is_stored(db, people):
    feed, token = feeds.create_feed(people.an)
    stored = db.session.execute(db.select(CalendarFeed.token_hash)).scalar_one()
    assert token not in stored and stored == feeds.token_hash(token) and len(stored) == 64


def test_nobody_revokes_another_persons_feed(db, people):
    feed, _token = feeds.create_feed(people.an)
    with pytest.raises(NotFound):
        feeds.revoke_feed(people.coordinator, feed.id)
    assert db.session.get(CalendarFeed, feed.id).revoked_at is None
    feeds.revoke_feed(people.admin, feed.id)  # an administrator may, when an address leaks
    assert db.session.get(CalendarFeed, feed.id).revoked_at is not None


def test_feeds_page_shows_the_address_once_and_revokes_it(client, auth, db, people, rotation):
    auth.login(people.an)
    token = csrf_from(client.get("/oncall/feeds").get_data(as_text=True))
    html = client.post("/oncall/feeds", data={"csrf_token": token}).get_data(as_text=True)
    url = html.split('id="new-feed-url">', 1)[1].split("<", 1)[0]
    assert url.startswith("http://localhost/oncall/feed/") and url.endswith(".ics")
    path = url.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    again = client.get("/oncall/feeds").get_data(as_text=True)
    assert "new-feed-url" not in again and path.split("/")[-1] not in again
    feed = db.session.execute(db.select(CalendarFeed)).scalar_one()
    assert client.post(f"/oncall/feeds/{feed.id}/revoke", data={"csrf_token": token}).status_code == 302
    assert client.get(path).status_code == 404
    auth.logout()
    assert client.get(path).status_code == 404
