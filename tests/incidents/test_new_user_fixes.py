"""What a new user tripped on in the incident pages: an implausible discovery date, tasks due in
the past, task owners who cannot see the incident, the old outcome of a reopened incident, and a
list whose date column did not match its order."""
import html
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext, ngettext

from csirt.clock import utc_to_local, utcnow
from csirt.errors import ValidationError
from csirt.incidents import list_page, listing, services, tasks
from csirt.incidents.models import Incident, IncidentClock, Task
from tests import factories
from tests.api.test_incidents_api import Api, _new_incident_body
from tests.conftest import csrf_from, recorded_statements


def tr(app, msgid, **kw):
    """`msgid` as the app renders it in Vietnamese, the default language."""
    with app.test_request_context(), force_locale("vi"):
        return gettext(msgid, **kw)


def tr_n(app, singular, plural, n):
    with app.test_request_context(), force_locale("vi"):
        return ngettext(singular, plural, n)


def when(app, value):
    with app.test_request_context(), force_locale("vi"):
        return app.jinja_env.filters["when"](value)


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def local_input(moment):
    return utc_to_local(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def coordinator(client, auth, make):
    user = make.user("coordinator")
    auth.login(user)
    return user


def task_count(db):
    return db.session.execute(sa.select(sa.func.count()).select_from(Task)).scalar()


# --- 1. the discovery date has a plausible lower bound ----------------------------------------

@pytest.mark.parametrize("value", ["1900-01-01T00:00", "1999-12-31T23:59"])
def test_a_discovery_date_before_2000_is_refused_with_the_bound_in_the_message(app, db, make, value):
    actor = make.user("coordinator")
    before = db.session.execute(sa.select(sa.func.count()).select_from(Incident)).scalar()
    with pytest.raises(ValidationError) as caught:
        services.open_incident(actor, {"title": "Ngày sai", "category": "malware", "discovered_at": value})
    assert caught.value.errors["discovered_at"] == tr(app, "Cannot be before %(date)s.", date="01/01/2000")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Incident)).scalar() == before


def test_the_first_moment_of_2000_is_accepted(app, db, make):
    incident = services.open_incident(make.user("coordinator"), {
        "title": "Sự cố cũ", "category": "malware", "discovered_at": "2000-01-01T00:00"})
    assert utc_to_local(incident.discovered_at).replace(tzinfo=None) == datetime(2000, 1, 1)


def test_the_form_refuses_1900_and_shows_why(app, client, db, coordinator):
    token = csrf_from(client.get("/incidents/new").get_data(as_text=True))
    response = client.post("/incidents/new", data={
        "csrf_token": token, "title": "Ngày sai", "category": "malware", "severity": "ordinary", "priority": "P3",
        "tlp": "AMBER", "agency_id": str(coordinator.agency_id), "discovered_at": "1900-01-01T00:00"})
    assert response.status_code == 400
    assert tr(app, "Cannot be before %(date)s.", date="01/01/2000") in text_of(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Incident)).scalar() == 0


def test_the_api_refuses_1900_with_the_same_rule(app, db, make):
    api = Api(app.test_client(), make.user("coordinator"))
    response = api.post("/incidents", json=_new_incident_body(discovered_at="1900-01-01T00:00:00Z"))
    assert response.status_code == 400
    assert response.get_json()["errors"]["discovered_at"] == tr(app, "Cannot be before %(date)s.", date="01/01/2000")
    incident = factories.incident(actor=api.user)
    response = api.patch(f"/incidents/{incident.id}", json={"discovered_at": "1900-01-01T00:00:00Z", "version": 1})
    assert response.status_code == 400 and "discovered_at" in response.get_json()["errors"]


# --- 2. a task due in the past: a warning, and "overdue" on the page and in the list -----------

def add_task(client, incident, title, due):
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    return client.post(f"{view}/tasks", data={"csrf_token": token, "title": title, "owner_id": "",
                                              "due_at": local_input(due) if due else ""})


def test_a_task_due_in_the_past_is_kept_with_a_warning_and_shown_overdue(app, client, db, make, coordinator):
    incident = make.incident(actor=coordinator)
    response = add_task(client, incident, "Khoá tài khoản bị lộ", utcnow() - timedelta(days=1))
    assert response.status_code == 302
    assert task_count(db) == 1
    page = text_of(client.get(response.headers["Location"]))
    assert tr(app, "The due time is already past; the task is marked overdue.") in page
    assert tr(app, "Overdue") in page
    assert tr_n(app, "%(num)d overdue", "%(num)d overdue", 1) in page


def test_a_task_due_later_or_already_done_is_not_overdue(app, client, db, make, coordinator):
    incident = make.incident(actor=coordinator)
    response = add_task(client, incident, "Vá máy chủ", utcnow() + timedelta(days=1))
    assert response.status_code == 302
    done = tasks.add_task(coordinator, incident, "Đã xong", due_at=utcnow() - timedelta(days=2))
    tasks.set_task_done(coordinator, incident, done.id)
    page = text_of(client.get(response.headers["Location"]))
    assert tr(app, "The due time is already past; the task is marked overdue.") not in page
    assert 'id="overdue-count"' not in page and "task-overdue" not in page


def test_late_counts_only_open_tasks_and_running_clocks_past_their_due_time(app, db, make):
    actor = make.user("coordinator")
    late, fine, empty = make.incident(actor=actor), make.incident(actor=actor), make.incident(actor=actor)
    now = utcnow()
    for incident, due in ((late, now - timedelta(hours=1)), (late, now - timedelta(days=3)),
                          (fine, now + timedelta(hours=1)), (fine, None)):
        tasks.add_task(actor, incident, "Việc", due_at=due)
    closed = tasks.add_task(actor, fine, "Xong rồi", due_at=now - timedelta(days=1))
    tasks.set_task_done(actor, fine, closed.id)
    db.session.execute(sa.delete(IncidentClock))  # only the clocks below
    db.session.add_all([
        IncidentClock(incident_id=fine.id, key="a", started_at=now, due_at=now - timedelta(minutes=1)),
        IncidentClock(incident_id=fine.id, key="b", started_at=now, due_at=now - timedelta(days=1),
                      stopped_at=now),  # sent: not late
        IncidentClock(incident_id=late.id, key="a", started_at=now, due_at=now + timedelta(hours=1)),
        IncidentClock(incident_id=late.id, key="b", started_at=now, due_at=None)])
    db.session.commit()
    ids = {"late": late.id, "fine": fine.id, "empty": empty.id}
    with recorded_statements(db.engine) as seen:
        found = list_page.page(actor, listing.ListQuery(limit=25), now=now)
    marks = {r.id: (r.overdue_tasks, r.late_reports) for r in found.items}
    assert marks == {ids["late"]: (2, 0), ids["fine"]: (0, 1), ids["empty"]: (0, 0)}
    assert len(seen) == 1  # the page with its marks and the count (a subquery of the same SELECT)
    assert found.total == 3


def statements_for(db, client, path):
    with recorded_statements(db.engine) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return seen, text_of(response)


def test_the_list_marks_rows_with_overdue_tasks_in_one_query_whatever_the_rows(app, client, db, make,
                                                                              coordinator):
    reporter = make.user("responder")
    counts = []
    for n in (3, 30):
        rows = factories.raw_incidents(n, coordinator.agency, reporter)
        db.session.add_all(Task(incident_id=row.id, title="Trễ", due_at=utcnow() - timedelta(hours=1))
                           for row in rows[::3])
        db.session.commit()
        statements, page = statements_for(db, client, "/incidents?limit=100")
        task_queries = [s for s in statements if "incident_task" in s]
        assert len(task_queries) == 1, task_queries
        counts.append(len(statements))
        badge = tr_n(app, "%(num)d overdue task", "%(num)d overdue tasks", 1)
        assert page.count(badge) == len(rows[::3]) + (1 if n == 30 else 0)
    assert counts[0] == counts[1], counts


def test_only_rows_with_overdue_open_tasks_get_the_badge(app, client, db, make, coordinator):
    late = make.incident(actor=coordinator, title="Sự cố trễ việc")
    make.incident(actor=coordinator, title="Sự cố đúng hạn")
    tasks.add_task(coordinator, late, "Trễ", due_at=utcnow() - timedelta(hours=1))
    body = client.get("/incidents").get_data(as_text=True).split("<tbody>", 1)[1]
    rows = {title: row for row in body.split("</tr>") for title in ("Sự cố trễ việc", "Sự cố đúng hạn")
            if title in row}
    assert "overdue-tasks" in rows["Sự cố trễ việc"]
    assert "overdue-tasks" not in rows["Sự cố đúng hạn"]


# --- 3. task owners are people who can see the incident --------------------------------------

def test_a_liaison_of_another_agency_cannot_own_a_task_but_the_incidents_own_liaison_can(app, client, db, make,
                                                                                        coordinator):
    incident = make.incident(actor=coordinator)
    outsider = make.user("member", full_name="Liên lạc cơ quan khác")
    own_liaison = make.user("member", agency_obj=incident.agency, full_name="Liên lạc cơ quan bị ảnh hưởng")
    manager = make.user("manager", full_name="Lãnh đạo xem sự cố")
    with pytest.raises(ValidationError) as caught:
        tasks.add_task(coordinator, incident, "Việc cho người ngoài", owner_id=outsider.id)
    assert caught.value.errors["owner_id"] == tr(app, "The owner must be someone who can see this incident.")
    assert task_count(db) == 0
    for person in (own_liaison, manager):
        assert tasks.add_task(coordinator, incident, "Việc", owner_id=person.id).owner_id == person.id

    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    select = page.split('name="owner_id"', 1)[1].split("</select>", 1)[0]
    assert f'value="{own_liaison.id}"' in select and f'value="{manager.id}"' in select
    assert f'value="{coordinator.id}"' in select
    assert f'value="{outsider.id}"' not in select and "Liên lạc cơ quan khác" not in select


def test_the_task_form_refuses_an_owner_who_cannot_see_the_incident(app, client, db, make, coordinator):
    incident = make.incident(actor=coordinator)
    outsider = make.user("member")
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    response = client.post(f"{view}/tasks", data={"csrf_token": token, "title": "Việc", "owner_id": str(outsider.id),
                                                  "due_at": ""})
    assert response.status_code == 400
    assert tr(app, "The owner must be someone who can see this incident.") in text_of(response)
    assert task_count(db) == 0


# --- 4. reopening: the old outcome is no longer current ---------------------------------------

def close(actor, incident, note):
    for target in ("triaged", "contained", "eradicated", "recovered"):
        services.change_status(actor, incident, target)
    services.change_status(actor, incident, "closed", note=note)


def test_reopening_clears_the_outcome_and_keeps_it_in_the_timeline(app, db, make):
    actor = make.user("coordinator")
    incident = make.incident(actor=actor)
    close(actor, incident, "Đã gỡ mã độc, khôi phục dịch vụ")
    assert incident.resolution and incident.closed_at
    services.change_status(actor, incident, "triaged", note="Mã độc quay lại")
    db.session.expire_all()
    stored = db.session.get(Incident, incident.id)
    assert (stored.status, stored.resolution, stored.closed_at) == ("triaged", "", None)
    closing = [e for e in stored.timeline if e.kind == "status" and e.data["to"] == "closed"]
    assert [e.body for e in closing] == ["Đã gỡ mã độc, khôi phục dịch vụ"]


def test_a_reopened_incident_shows_its_old_outcome_as_previous_not_current(app, client, db, make, coordinator):
    incident = make.incident(actor=coordinator)
    close(coordinator, incident, "Kết luận cũ: đã khắc phục")
    page = text_of(client.get(f"/incidents/{incident.id}"))
    assert 'id="incident-outcome"' in page and 'id="previous-outcome"' not in page
    services.change_status(coordinator, incident, "triaged")
    page = text_of(client.get(f"/incidents/{incident.id}"))
    assert 'id="incident-outcome"' not in page
    previous = page.split('id="previous-outcome"', 1)[1]
    assert "Kết luận cũ: đã khắc phục" in previous
    assert tr(app, "Previous outcome") in page
    assert tr(app, "Closed at") not in page


# --- 8. the list shows the column it is sorted by ----------------------------------------------

@pytest.mark.parametrize(("sort", "direction", "column", "header"), [
    ("created", "desc", "created_at", "Logged at"),
    ("updated", "asc", "updated_at", "Updated at"),
    ("discovered", "desc", "discovered_at", "Discovered at"),
])
def test_the_list_shows_the_time_it_is_sorted_by_with_aria_sort(app, client, db, make, coordinator, sort, direction,
                                                                column, header):
    incident = make.incident(actor=coordinator)
    row = db.session.get(Incident, incident.id)
    base = utcnow().replace(second=0, microsecond=0)
    row.created_at, row.updated_at = base - timedelta(days=40), base - timedelta(days=20)
    row.discovered_at = base - timedelta(days=60)
    db.session.commit()
    page = client.get(f"/incidents?sort={sort}&dir={direction}").get_data(as_text=True)
    head = re.search(r'<th[^>]*id="col-date"[^>]*>(.*?)</th>', page, re.S)
    assert head and tr(app, header) in html.unescape(head.group(1))
    assert f'aria-sort="{"ascending" if direction == "asc" else "descending"}"' in head.group(0)
    assert page.count("aria-sort=") == 1
    cells = html.unescape(page.split("<tbody>", 1)[1])
    assert when(app, getattr(row, column)) in cells
    others = {"created_at", "updated_at", "discovered_at"} - {column}
    assert not any(when(app, getattr(row, other)) in cells for other in others)


def test_sorted_by_priority_the_priority_header_carries_aria_sort(app, client, db, make, coordinator):
    make.incident(actor=coordinator)
    page = client.get("/incidents?sort=priority&dir=asc").get_data(as_text=True)
    assert re.search(r'<th[^>]*id="col-priority"[^>]*aria-sort="ascending"', page)
    assert page.count("aria-sort=") == 1
