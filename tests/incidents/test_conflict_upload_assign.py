"""An edit that lost a version race keeps what the person typed; the 413 page says the limit and
leads back; quick assignment from the incident page."""
import html
import io
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale, gettext

from csirt.incidents import services
from csirt.incidents.models import Evidence, Incident, TimelineEntry
from tests.conftest import Auth, csrf_from


def tr(app, msgid, **kw):
    with app.test_request_context(), force_locale("vi"):
        return gettext(msgid, **kw)


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


class FormFields(HTMLParser):
    """The fields a browser would send for the form with `form_id` (and the button pressed)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields, self._select, self._textarea = form_id, False, {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self.inside and self._textarea:
            if not self.fields[self._textarea]:  # browsers drop the newline that opens a <textarea>
                data = data[2:] if data.startswith("\r\n") else data[1:] if data.startswith("\n") else data
            self.fields[self._textarea] += data


def form_fields(response, form_id):
    parser = FormFields(form_id)
    parser.feed(response.get_data(as_text=True))
    assert parser.fields, f"no form #{form_id} on the page"
    return parser.fields


# --- 5. the edit that loses a version race --------------------------------------------------------

@pytest.fixture
def two_sessions(app, make):
    first_user = make.user("coordinator", full_name="Trần Văn Nhất")
    second_user = make.user("responder", full_name="Lê Thị Nhì")
    incident = make.incident(actor=first_user, title="Bản gốc", priority="P3", discovered_at="2026-01-05T08:00")
    first, second = app.test_client(), app.test_client()
    Auth(first).login(first_user)
    Auth(second).login(second_user)
    path = f"/incidents/{incident.id}/edit"
    forms = [form_fields(client.get(path), "incident-form") for client in (first, second)]
    return incident, path, (first, second), forms


def test_a_stale_edit_shows_both_titles_and_saving_anyway_keeps_mine(app, db, two_sessions):
    incident, path, (first, second), (first_form, second_form) = two_sessions
    assert first.post(path, data={**first_form, "title": "Tiêu đề của người thứ nhất"}).status_code == 302

    response = second.post(path, data={**second_form, "title": "Tiêu đề tôi vừa gõ"})
    assert response.status_code == 409
    page = text_of(response)
    stale = form_fields(response, "incident-form")
    assert stale["title"] == "Tiêu đề tôi vừa gõ", "what the person typed is still in the form"
    conflict = page.split('id="edit-conflict"', 1)[1].split("</section>", 1)[0]
    row = conflict.split('class="conflict-title"', 1)[1].split("</tr>", 1)[0]
    assert "Tiêu đề tôi vừa gõ" in row and "Tiêu đề của người thứ nhất" in row and "Trần Văn Nhất" in row
    assert tr(app, "Someone else saved this incident meanwhile; your changes are not saved yet.") in page
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).title == "Tiêu đề của người thứ nhất"

    assert stale["version"] == "2", "saving anyway carries the current version"
    assert second.post(path, data=stale).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Incident, incident.id)
    assert (stored.title, stored.version) == ("Tiêu đề tôi vừa gõ", 3)


def test_saving_anyway_keeps_what_only_the_other_person_changed(app, db, two_sessions):
    incident, path, (first, second), (first_form, second_form) = two_sessions
    assert first.post(path, data={**first_form, "priority": "P1"}).status_code == 302
    response = second.post(path, data={**second_form, "title": "Chỉ sửa tiêu đề"})
    assert response.status_code == 409
    stale = form_fields(response, "incident-form")
    assert (stale["title"], stale["priority"]) == ("Chỉ sửa tiêu đề", "P1")
    row = text_of(response).split('class="conflict-priority"', 1)[1].split("</tr>", 1)[0]
    assert tr(app, "(you did not change it; the current value is kept)") in row
    assert second.post(path, data=stale).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Incident, incident.id)
    assert (stored.title, stored.priority) == ("Chỉ sửa tiêu đề", "P1")


def test_a_time_changed_by_both_shows_both_in_province_time(app, db, two_sessions):
    incident, path, (first, second), (first_form, second_form) = two_sessions
    assert first.post(path, data={**first_form, "discovered_at": "2026-01-05T09:00"}).status_code == 302
    response = second.post(path, data={**second_form, "discovered_at": "2026-01-05T10:00"})
    assert response.status_code == 409
    row = text_of(response).split('class="conflict-discovered_at"', 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1].strip() for c in row.split("<td")[1:3]]
    assert [c.split("<", 1)[0] for c in cells] == ["05/01/2026 10:00", "05/01/2026 09:00"]
    assert form_fields(response, "incident-form")["discovered_at"] == "2026-01-05T10:00"


def test_a_time_only_the_other_changed_is_kept_when_saving_anyway(app, db, two_sessions):
    incident, path, (first, second), (first_form, second_form) = two_sessions
    assert first.post(path, data={**first_form, "discovered_at": "2026-01-05T09:00"}).status_code == 302
    response = second.post(path, data={**second_form, "title": "Tiêu đề mới"})
    assert response.status_code == 409
    stale = form_fields(response, "incident-form")
    assert stale["discovered_at"] == "2026-01-05T09:00"
    assert 'class="conflict-title"' not in response.get_data(as_text=True), "only what the other changed is listed"
    assert second.post(path, data=stale).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Incident, incident.id)
    assert (stored.title, stored.discovered_at.hour) == ("Tiêu đề mới", 2)  # 09:00 in the province is 02:00 UTC


def test_a_status_change_meanwhile_is_listed_as_not_on_the_form(app, db, make, two_sessions):
    incident, path, (first, second), (first_form, second_form) = two_sessions
    stored = db.session.get(Incident, incident.id)
    services.change_status(stored.reporter, stored, "triaged")
    response = second.post(path, data={**second_form, "title": "Sửa sau khi phân loại"})
    assert response.status_code == 409
    row = text_of(response).split('class="conflict-status"', 1)[1].split("</tr>", 1)[0]
    assert tr(app, "(not on this form; stays as it is)") in row
    assert second.post(path, data=form_fields(response, "incident-form")).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Incident, incident.id)
    assert (stored.title, stored.status) == ("Sửa sau khi phân loại", "triaged")


# --- 6. the 413 page ------------------------------------------------------------------------------

@pytest.fixture
def worker(client, auth, make):
    user = make.user("responder")
    auth.login(user)
    return user


def test_the_413_page_says_the_limit_and_leads_back_to_the_incident(app, client, db, make, worker):
    app.config["MAX_CONTENT_LENGTH"] = 3 * 1024 * 1024 // 2  # 1.5 MB
    incident = make.incident(actor=worker)
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    response = client.post(f"{view}/evidence", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(b"A" * (2 * 1024 * 1024)), "big.log")})
    assert response.status_code == 413
    page = text_of(response)
    assert tr(app, "The upload is too large.") in page
    assert tr(app, "The largest upload allowed is %(size)s MB.", size="1,5") in page
    assert f'<a href="{view}" class="btn btn-primary" id="error-back">{tr(app, "Back to the incident")}</a>' in page
    assert db.session.query(Evidence).count() == 0


def test_a_413_elsewhere_has_no_incident_link(app, client, make, worker):
    app.config["MAX_CONTENT_LENGTH"] = 512 * 1024
    token = csrf_from(client.get("/incidents").get_data(as_text=True))
    response = client.post("/incidents/new", data={"csrf_token": token, "title": "x" * (600 * 1024)})
    assert response.status_code == 413
    page = text_of(response)
    assert tr(app, "The largest upload allowed is %(size)s MB.", size="0,5") in page
    assert 'id="error-back"' not in page


# --- 7. quick assignment --------------------------------------------------------------------------

def test_a_responder_assigns_the_incident_to_themself_from_its_page(app, client, auth, db, make):
    responder = make.user("responder", full_name="Phạm Ứng Cứu")
    incident = make.incident(actor=make.user("coordinator"))
    auth.login(responder)
    view = f"/incidents/{incident.id}"
    fields = form_fields(client.get(view), "assign-me-form")
    response = client.post(f"{view}/assign", data=fields)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).assignee_id == responder.id
    entry = db.session.execute(db.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                              TimelineEntry.kind == "assignment")).scalar_one()
    assert (entry.author_id, entry.data["to_name"]) == (responder.id, "Phạm Ứng Cứu")
    page = text_of(client.get(view))
    assert tr(app, "Assigned to %(name)s.", name="Phạm Ứng Cứu") in page
    assert 'id="assign-me-form"' not in page, "no 'assign to me' for the assignee"


def test_assign_to_someone_else_through_the_select(app, client, auth, db, make):
    coordinator = make.user("coordinator")
    other = make.user("responder", full_name="Đỗ Được Giao")
    incident = make.incident(actor=coordinator)
    auth.login(coordinator)
    view = f"/incidents/{incident.id}"
    fields = form_fields(client.get(view), "assign-form")
    assert client.post(f"{view}/assign", data={**fields, "assignee_id": str(other.id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).assignee_id == other.id


def test_a_stale_quick_assignment_is_refused_and_changes_nothing(app, client, auth, db, make):
    coordinator = make.user("coordinator")
    incident = make.incident(actor=coordinator)
    auth.login(make.user("responder"))
    view = f"/incidents/{incident.id}"
    fields = form_fields(client.get(view), "assign-me-form")
    services.update_incident(coordinator, incident, {"title": "Đổi tên trước"})
    response = client.post(f"{view}/assign", data=fields)
    assert response.status_code == 409
    assert tr(app, "Someone else changed this incident; reload it and try again.") in text_of(response)
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).assignee_id is None


def test_a_liaison_sees_no_assignment_form_and_gets_403_when_posting(app, client, auth, db, make):
    coordinator = make.user("coordinator")
    incident = make.incident(actor=coordinator)
    liaison = make.user("member", agency_obj=incident.agency)
    auth.login(liaison)
    view = f"/incidents/{incident.id}"
    page = client.get(view).get_data(as_text=True)
    assert 'id="assign-me-form"' not in page and 'id="assign-form"' not in page
    response = client.post(f"{view}/assign", data={"csrf_token": csrf_from(page), "assignee_id": str(liaison.id),
                                                   "version": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).assignee_id is None
