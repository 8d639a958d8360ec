"""The on-call pages: who may open and post what, what the pages show, and the forms' refusals."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from csirt.oncall.models import CalendarFeed, Rotation, RotationMember, RotationOverride
from tests.conftest import csrf_from

from .conftest import NOW

ROLES = ("admin", "coordinator", "manager", "responder", "member", "anonymous")


@pytest.fixture
def world(people, rotation, db):
    from csirt.oncall import feeds, services

    override = services.add_override(people.coordinator, rotation, {
        "layer": 1, "user": people.chi.id, "starts_at": NOW + timedelta(days=2), "ends_at": NOW + timedelta(days=3),
        "reason": "leave"})
    feed, _token = feeds.create_feed(people.coordinator)
    users = {"admin": people.admin, "coordinator": people.coordinator, "manager": people.manager,
             "responder": people.an, "member": people.liaison}
    return {"users": users, "rotation": rotation.id, "override": override.id, "feed": feed.id}


def _fingerprint(db):
    q = lambda stmt: db.session.execute(stmt).all()  # noqa: E731
    return (q(db.select(Rotation.id, Rotation.key, Rotation.name, Rotation.active, Rotation.updated_at)),
            q(db.select(RotationMember.id, RotationMember.user_id)),
            q(db.select(RotationOverride.id)), q(db.select(CalendarFeed.id, CalendarFeed.revoked_at)))


def _rotation_form(**over):
    data = {"key": "responders", "name": "Trực ứng cứu (sửa)", "description": "", "time_zone": "Asia/Ho_Chi_Minh",
            "handover_time": "08:00", "shift_kind": "daily", "shift_hours": "", "starts_on": "2026-12-07",
            "active": "y", "layer_1_name": "primary", "layer_1_members": "an, binh\nchi",
            "layer_2_name": "secondary", "layer_2_members": "dung", "layer_3_name": "", "layer_3_members": ""}
    data.update(over)
    return data


FORMS = {
    "/oncall/new": lambda: _rotation_form(key="network", name="Trực mạng"),
    "/oncall/{rotation}/edit": lambda: _rotation_form(),
    "/oncall/{rotation}/archive": lambda: {},
    "/oncall/{rotation}/overrides": lambda: {"layer": "1", "user": "binh", "starts_at": "2026-12-20T08:00",
                                             "ends_at": "2026-12-21T08:00", "reason": "swap", "note": ""},
    "/oncall/{rotation}/overrides/{override}/remove": lambda: {},
    "/oncall/feeds": lambda: {},
    "/oncall/feeds/{feed}/revoke": lambda: {},
}
MANAGE_PAGE = {"admin": 200, "coordinator": 200, "manager": 403, "responder": 403, "member": 403}
MANAGE_POST = {"admin": 302, "coordinator": 302, "manager": 403, "responder": 403, "member": 403}
READ = {role: 200 for role in ROLES[:-1]}
MATRIX = [
    ("GET", "/oncall/", READ),
    ("GET", "/oncall/{rotation}", READ),
    ("GET", "/oncall/999999", {role: 404 for role in ROLES[:-1]}),
    ("GET", "/oncall/feeds", READ),
    ("POST", "/oncall/feeds", READ),  # 200: the page shows the new address once
    ("GET", "/oncall/new", MANAGE_PAGE),
    ("POST", "/oncall/new", MANAGE_POST),
    ("GET", "/oncall/{rotation}/edit", MANAGE_PAGE),
    ("POST", "/oncall/{rotation}/edit", MANAGE_POST),
    ("POST", "/oncall/{rotation}/archive", MANAGE_POST),
    ("GET", "/oncall/{rotation}/overrides", MANAGE_PAGE),
    ("POST", "/oncall/{rotation}/overrides", MANAGE_POST),
    ("POST", "/oncall/{rotation}/overrides/{override}/remove", MANAGE_POST),
    # the coordinator's own feed: they or an admin revoke it; to anyone else it does not exist
    ("POST", "/oncall/feeds/{feed}/revoke", {"admin": 302, "coordinator": 302, "manager": 404, "responder": 404,
                                             "member": 404}),
]
CASES = [pytest.param(role, method, path, expected.get(role, "login"), id=f"{role}-{method}-{path}")
         for method, path, expected in MATRIX for role in ROLES]


@pytest.mark.parametrize("role, method, path, expected", CASES)
def test_every_route_answers_each_role(client, auth, db, world, role, method, path, expected):
    if role != "anonymous":
        assert auth.login(world["users"][role]).status_code == 302
    token = csrf_from(client.get("/login" if role == "anonymous" else "/account/password").get_data(as_text=True))
    url = path.format(**world)
    kwargs = {"data": {**FORMS[path](), "csrf_token": token}} if method == "POST" else {}
    before = _fingerprint(db)
    response = client.open(url, method=method, **kwargs)
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == "login":
        assert response.status_code == 302 and location == "/login"
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:600]
        if expected == 302:
            assert location != "/login"
    changed = _fingerprint(db) != before
    assert changed == (method == "POST" and expected in (200, 302))


def test_post_without_csrf_token_changes_nothing(client, auth, db, world):
    auth.login(world["users"]["coordinator"])
    before = _fingerprint(db)
    response = client.post(f"/oncall/{world['rotation']}/archive", data={})
    assert response.status_code == 400
    assert _fingerprint(db) == before


def test_index_shows_who_is_on_call_now(client, auth, people, world):
    auth.login(people.liaison)
    html = client.get("/oncall/").get_data(as_text=True)
    row = html.split('data-rotation="responders"', 1)[1].split("</tr>", 1)[0]
    assert "Lê Thị Bình" in row.split('data-layer="primary"', 1)[1].split("</div>", 1)[0]
    assert "Đỗ Văn Dũng" in row.split('data-layer="secondary"', 1)[1].split("</div>", 1)[0]
    assert 'id="rotation-new"' not in html


def test_calendar_shows_four_weeks_with_today_and_the_override(client, auth, people, world):
    auth.login(people.an)
    html = client.get(f"/oncall/{world['rotation']}").get_data(as_text=True)
    days = re.findall(r'data-day="([0-9-]+)"', html)
    assert len(days) == 28 and days[0] == "2026-12-07"  # the Monday of this week
    today = html.split('id="today"', 1)[1].split("</tr>", 1)[0]
    now_piece = today.split("data-now", 1)[1].split("</div>", 1)[0]
    assert "Lê Thị Bình" in now_piece
    covered = html.split('data-day="2026-12-10"', 1)[1].split("</tr>", 1)[0]
    assert "Phạm Minh Chi" in covered and "shift-override" in covered
    assert 'id="rotation-edit"' not in html  # a responder reads, does not manage


def test_rotation_form_refusal_keeps_the_input_and_writes_nothing(client, auth, db, people, world):
    auth.login(people.coordinator)
    token = csrf_from(client.get("/oncall/new").get_data(as_text=True))
    before = _fingerprint(db)
    response = client.post("/oncall/new", data={**_rotation_form(key="network", time_zone="Asia/Atlantis",
                                                                 layer_1_members="an, an"), "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Asia/Atlantis" in html and "IANA" in html
    assert "Trần Văn An" in html  # "listed twice" names the person
    assert _fingerprint(db) == before


def test_override_form_reads_times_in_the_rotation_zone(client, auth, db, people, world):
    auth.login(people.coordinator)
    token = csrf_from(client.get(f"/oncall/{world['rotation']}/overrides").get_data(as_text=True))
    response = client.post(f"/oncall/{world['rotation']}/overrides", data={
        **FORMS["/oncall/{rotation}/overrides"](), "csrf_token": token})
    assert response.status_code == 302
    added = db.session.execute(db.select(RotationOverride).where(RotationOverride.user_id == people.binh.id)
                               ).scalar_one()
    assert (added.starts_at.hour, added.ends_at.day) == (1, 21)  # 08:00 in Hà Nội is 01:00 UTC


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-13-40", "x"])
def test_calendar_ignores_a_start_day_it_cannot_use(client, auth, people, world, value):
    auth.login(people.an)
    response = client.get(f"/oncall/{world['rotation']}", query_string={"from": value})
    assert response.status_code == 200
    assert re.findall(r'data-day="([0-9-]+)"', response.get_data(as_text=True))[0] == "2026-12-07"


def test_calendar_pages_to_later_weeks(client, auth, people, world):
    auth.login(people.an)
    html = client.get(f"/oncall/{world['rotation']}", query_string={"from": "2027-01-06"}).get_data(as_text=True)
    days = re.findall(r'data-day="([0-9-]+)"', html)
    assert days[0] == "2027-01-04" and 'id="today"' not in html


def test_override_far_outside_any_plan_is_refused(client, auth, db, people, world):
    auth.login(people.coordinator)
    token = csrf_from(client.get(f"/oncall/{world['rotation']}/overrides").get_data(as_text=True))
    before = _fingerprint(db)
    for start, end in (("0001-01-01T00:00", "0001-01-02T00:00"), ("9999-12-30T00:00", "9999-12-31T23:00")):
        response = client.post(f"/oncall/{world['rotation']}/overrides", data={
            **FORMS["/oncall/{rotation}/overrides"](), "starts_at": start, "ends_at": end, "csrf_token": token})
        assert response.status_code == 400
    assert _fingerprint(db) == before


def test_on_call_now_block_renders_on_any_page(app, people, rotation):
    from flask import render_template_string

    with app.test_request_context("/"):
        html = render_template_string('{% from "oncall/_now.html" import on_call_now %}{{ on_call_now() }}')
    block = html.split('data-rotation="responders"', 1)[1]
    assert "Lê Thị Bình" in block.split('data-layer="primary"', 1)[1].split("</li>", 1)[0]
    assert "Đỗ Văn Dũng" in block.split('data-layer="secondary"', 1)[1].split("</li>", 1)[0]
    assert "Đang trực" in html  # the block's title, in Vietnamese
