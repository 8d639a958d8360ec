"""Holes found in review, each closed by a test: probes of hidden records leave a (bounded) trace,
the demo loader refuses production, query arguments never reach `url_for` as instructions, and a
forged page cursor is a 400, never a 500."""
import base64
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from csirt import clock
from csirt.audit.models import AuditLog
from csirt.auth.tokens import create_token
from csirt.errors import DomainError
from csirt.team.models import User


def _denials(db, user):
    return db.session.execute(sa.select(AuditLog).where(
        AuditLog.action == "auth.denied", AuditLog.actor_id == user.id).order_by(AuditLog.id)).scalars().all()


@pytest.fixture
def hidden(make):
    """An incident of another agency than the liaison's."""
    return make.incident(actor=make.user("coordinator"))


@pytest.fixture
def liaison(make):
    return make.user("member")


# --- probing hidden records ------------------------------------------------------------------

def test_a_liaison_opening_another_agencys_incident_gets_404_and_one_audit_entry(client, auth, db, liaison, hidden):
    auth.login(liaison)
    assert client.get(f"/incidents/{hidden.id}").status_code == 404
    [entry] = _denials(db, liaison)
    assert entry.object_type == "route" and entry.object_id == f"GET /incidents/{hidden.id}"
    assert entry.after == {"answer": 404, "record": "incident"}
    assert entry.channel == "web"


def test_fifty_probes_write_one_entry_a_minute_and_the_next_one_counts_the_rest(
        client, auth, db, liaison, hidden):
    auth.login(liaison)
    clock.freeze(clock.utcnow())
    for offset in range(50):  # the hidden one and ids that do not exist alike
        assert client.get(f"/incidents/{hidden.id + offset}").status_code == 404
    assert len(_denials(db, liaison)) == 1
    clock.freeze(clock.utcnow() + timedelta(seconds=61))
    assert client.get(f"/incidents/{hidden.id}").status_code == 404
    first, second = _denials(db, liaison)
    assert second.after == {"answer": 404, "record": "incident", "suppressed": 49}


def test_an_api_token_probing_a_hidden_incident_is_recorded_too(client, db, liaison, hidden):
    _row, token = create_token(None, liaison, "probe", ["incidents:read"], 30)
    response = client.get(f"/api/v1/incidents/{hidden.id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404 and response.get_json()["status"] == 404
    [entry] = _denials(db, liaison)
    assert entry.object_id == f"GET /api/v1/incidents/{hidden.id}" and entry.channel == "api"


def test_each_kind_of_record_has_its_own_limit(client, auth, db, liaison, hidden):
    auth.login(liaison)
    client.get(f"/incidents/{hidden.id}")
    client.get(f"/incidents/{hidden.id}/evidence/1")  # the incident is looked up first: same kind
    client.get("/team/members/999999")
    kinds = sorted(entry.after["record"] for entry in _denials(db, liaison))
    assert len(kinds) == len(set(kinds)) >= 2


# --- the demo loader in production -----------------------------------------------------------

def _users(db):
    return db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar()


def test_the_demo_loader_refuses_a_production_installation(app, db):
    from csirt.demo import load

    app.config["CSIRT_ENV"] = "production"
    with pytest.raises(DomainError, match="CSIRT_ENV=production"):
        load()
    assert _users(db) == 0


def test_csirt_demo_load_in_production_says_why_and_exits_non_zero(app, runner, db):
    app.config["CSIRT_ENV"] = "production"
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "CSIRT_ENV=production" in result.output and "Traceback" not in result.output
    assert _users(db) == 0


# --- query arguments in links ----------------------------------------------------------------

HOSTILE = ["_scheme=javascript&x=%0Aalert(1)//", "_method=POST", "_external=1&_anchor=x%22onclick"]
HREF = re.compile(r'href="([^"]*)"')


def _links(html):
    return HREF.findall(html)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_incident_list_links_carry_only_its_own_arguments(client, auth, make, hostile):
    coordinator = make.user("coordinator")
    for _ in range(3):
        make.incident(actor=coordinator)
    auth.login(coordinator)
    first = client.get("/incidents?limit=1&sort=created&" + hostile)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    [next_link] = re.findall(r'href="([^"]*)" id="next-page"', html)
    second = client.get(next_link.replace("&amp;", "&"))  # a page with a cursor has a "first page" link too
    assert second.status_code == 200
    for page in (html, second.get_data(as_text=True)):
        assert "javascript:" not in page.lower()
        for link in _links(page):
            assert not re.search(r"_(scheme|method|external|anchor)|alert(\(|%28)|onclick", link), link
    assert next_link.startswith("/incidents?") and "#" not in next_link
    assert "limit=1" in next_link and "sort=created" in next_link  # the list's own arguments stay


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_audit_page_links_carry_only_its_own_arguments(app, client, auth, make, hostile):
    manager = make.user("manager")
    app.config["CSIRT_PAGE_SIZE"] = 1  # the page shows two entries: an "older" link appears
    for _ in range(2):  # sign-in and sign-out entries to page through
        auth.login(manager)
        auth.logout()
    auth.login(manager)
    response = client.get("/audit/?action=auth.&" + hostile)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "javascript:" not in html.lower()
    older = [link for link in _links(html) if "before=" in link]
    assert older and all("action=auth." in link for link in older)
    for link in _links(html):
        assert not re.search(r"_(scheme|method|external|anchor)|alert(\(|%28)|onclick", link), link


# --- forged page cursors -----------------------------------------------------------------------

def _cursor(payload):
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


LONE_SURROGATE = "WyJcdWQ4MDAiLCA1XQ"  # ["\ud800", 5]: not valid text, so no database can bind it
FORGED = [
    ("priority", LONE_SURROGATE),
    ("updated", LONE_SURROGATE),
    ("created", LONE_SURROGATE),
    ("priority", _cursor(["P9", 5])),
    ("priority", _cursor(["P1", True])),
    ("created", _cursor(["5", 5])),
    ("created", _cursor([True, 5])),
    ("updated", _cursor(["2026-01-01", 5])),  # not what isoformat() writes for a datetime
    ("discovered", _cursor(["2026-01-01T00:00:00+07:00", 5])),
    ("updated", _cursor(["2026-01-01T00:00:00", 5, 6])),
    ("priority", "w6k"),  # not base64 of ASCII JSON
    ("priority", "Zm9v\u00e9"),
]


def test_the_lone_surrogate_cursor_of_the_report_decodes_to_it():
    assert json.loads(base64.urlsafe_b64decode(LONE_SURROGATE + "==")) == ["\ud800", 5]


@pytest.mark.parametrize("sort, cursor", FORGED)
def test_a_forged_cursor_is_a_400_naming_the_cursor_on_the_api(client, make, sort, cursor):
    coordinator = make.user("coordinator")
    make.incident(actor=coordinator)
    _row, token = create_token(None, coordinator, "t", ["incidents:read"], 30)
    response = client.get("/api/v1/incidents", query_string={"sort": sort, "cursor": cursor},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert "cursor" in response.get_json()["errors"]


@pytest.mark.parametrize("sort, cursor", FORGED)
def test_a_forged_cursor_on_the_list_page_says_so_and_never_fails(client, auth, make, sort, cursor):
    coordinator = make.user("coordinator")
    make.incident(actor=coordinator)
    auth.login(coordinator)
    response = client.get("/incidents", query_string={"sort": sort, "cursor": cursor})
    assert response.status_code in (200, 400)
    with force_locale("vi"):  # the user's language
        assert gettext("Invalid page cursor.") in response.get_data(as_text=True)


def test_cursors_the_list_makes_still_page_through_every_sort(client, make):
    coordinator = make.user("coordinator")
    for priority in ("P1", "P2", "P3", "P4", "P2"):
        make.incident(actor=coordinator, priority=priority)
    _row, token = create_token(None, coordinator, "t", ["incidents:read"], 30)
    headers = {"Authorization": f"Bearer {token}"}
    for sort in ("created", "updated", "discovered", "priority"):
        seen, cursor = [], None
        while True:
            query = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            body = client.get("/api/v1/incidents", query_string=query, headers=headers).get_json()
            seen += [item["id"] for item in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 5, sort
