"""Incident pages: bad input gets a clear message in the reader's language and changes nothing;
user text is always shown as text (no stored XSS, no template injection); the CSP forbids inline script."""
import html
import io
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from csirt.audit.models import AuditLog
from csirt.incidents import evidence as evidence_service
from csirt.incidents import services, tasks
from csirt.incidents.models import Evidence, Incident, Task, TimelineEntry
from tests.conftest import csrf_from

LOCALES = ["vi", "en"]
SCRIPT = "<script>alert(1)</script>"
FIELD_ERROR = re.compile(r'<div class="invalid-feedback d-block">(.*?)</div>', re.S)
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[x](javascript:alert(1))"


# --- helpers ----------------------------------------------------------------------------------

def app_text(app, msgid, locale, **kw):
    """`msgid` as the app's catalogue renders it in `locale`."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **kw)


def choose_locale(client, locale):
    """Switch the session's language with the header's form, as a person would."""
    if locale == "vi":
        return  # the default
    token = csrf_from(client.get("/incidents").get_data(as_text=True))
    response = client.post("/lang", data={"lang": locale, "next": "/incidents", "csrf_token": token})
    assert response.status_code == 302


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def page_locale(response):
    body = response.get_data(as_text=True)
    return body.split('<html lang="', 1)[1].split('"', 1)[0]


def counts(db):
    return {model.__tablename__: db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()
            for model in (Incident, TimelineEntry, Task, Evidence, AuditLog)}


def snapshot(db, incident_id):
    db.session.expire_all()
    row = db.session.get(Incident, incident_id)
    return {c.key: getattr(row, c.key) for c in Incident.__table__.columns}


@pytest.fixture
def coordinator(make):
    return make.user("coordinator")


@pytest.fixture(params=LOCALES)
def signed_in(request, client, auth, coordinator):
    """A coordinator signed in, reading the pages in the parametrised language."""
    auth.login(coordinator)
    choose_locale(client, request.param)
    return request.param


def good_form(agency_id, **changes):
    data = {"title": "Máy chủ bị quét cổng", "description": "", "category": "unauthorized_access", "sub_type": "",
            "severity": "ordinary", "priority": "P3", "tlp": "AMBER", "agency_id": str(agency_id),
            "assignee_id": "", "affected_systems": "", "affected_servers": "", "discovered_at": "2026-01-05T08:00"}
    data.update(changes)
    return data


def post(client, path, data, page=None, **kw):
    token = csrf_from(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token}, **kw)


# --- the language switch ------------------------------------------------------------------

def test_the_language_switch_changes_the_pages_language(client, auth, make):
    auth.login(make.user("coordinator"))
    assert page_locale(client.get("/incidents")) == "vi"
    choose_locale(client, "en")
    response = client.get("/incidents")
    assert page_locale(response) == "en"
    assert "Log an incident" in text_of(response)


# --- bad input through the forms ---------------------------------------------------------------

# (field, value, the English messages that would be right for it, with their format arguments)
TOO_LONG = [("At most %(n)d characters.", {"n": 300}),
            ("Field cannot be longer than %(max)d characters.", {"max": 300})]
REQUIRED = [("This field is required.", {})]
CHOICE = [("Not a valid choice.", {}), ("Choose one of the listed values.", {})]
DATE = [("Not a valid date and time.", {}), ("Not a valid datetime value.", {})]
BAD_INCIDENT_INPUT = [
    ("title", "", REQUIRED),
    ("title", "   ", REQUIRED),
    ("title", "x" * 301, TOO_LONG),
    ("category", "phishing", CHOICE),
    ("category", "", CHOICE + REQUIRED),
    ("severity", "critical", CHOICE),
    ("discovered_at", "2026-13-45T99:99", DATE),
    ("discovered_at", "hôm qua", DATE),
    ("discovered_at", "2099-01-01T00:00", [("Cannot be in the future.", {})]),
    ("agency_id", "999999", [("Unknown agency.", {})]),
    ("agency_id", "99999999999999999999", CHOICE + [("Unknown agency.", {})]),
]


def field_errors(response):
    """The messages shown under the form's fields."""
    return [html.unescape(m) for m in FIELD_ERROR.findall(response.get_data(as_text=True))]


def assert_field_message(app, response, locale, candidates):
    """A message under the field, in the reader's language: in English one of the right messages;
    in Vietnamese the app's translation of one of them (never the English text)."""
    shown = field_errors(response)
    english = [msgid % kw if kw else msgid for msgid, kw in candidates]
    if locale == "en":
        assert set(shown) & set(english), (shown, english)
    else:
        translated = [app_text(app, msgid, locale, **kw) for msgid, kw in candidates]
        assert set(shown) & (set(translated) - set(english)), (shown, translated)


@pytest.mark.parametrize(("field", "value", "candidates"), BAD_INCIDENT_INPUT,
                         ids=[f"{c[0]}={c[1][:12]!r}" for c in BAD_INCIDENT_INPUT])
def test_logging_an_incident_with_bad_input_shows_a_message_and_stores_nothing(
        app, client, db, signed_in, coordinator, field, value, candidates):
    token = csrf_from(client.get("/incidents/new").get_data(as_text=True))
    before = counts(db)
    response = client.post("/incidents/new", data={**good_form(coordinator.agency_id) | {field: value},
                                                   "csrf_token": token})
    assert response.status_code == 400
    assert page_locale(response) == signed_in
    assert_field_message(app, response, signed_in, candidates)
    assert app_text(app, "Please correct the marked fields.", signed_in) in text_of(response)
    assert counts(db) == before


def test_a_member_cannot_be_chosen_as_assignee_on_the_form(app, client, db, signed_in, make, coordinator):
    member = make.user("member", agency_obj=coordinator.agency)
    token = csrf_from(client.get("/incidents/new").get_data(as_text=True))
    before = counts(db)
    response = client.post("/incidents/new", data={
        **good_form(coordinator.agency_id, assignee_id=str(member.id)), "csrf_token": token})
    assert response.status_code == 400
    assert_field_message(app, response, signed_in,
                         [("The assignee must be an active responder or coordinator.", {})])
    assert counts(db) == before


@pytest.mark.parametrize(("field", "value", "candidates"), BAD_INCIDENT_INPUT,
                         ids=[f"{c[0]}={c[1][:12]!r}" for c in BAD_INCIDENT_INPUT])
def test_editing_an_incident_with_bad_input_shows_a_message_and_changes_nothing(
        app, client, db, make, signed_in, coordinator, field, value, candidates):
    incident = make.incident(actor=coordinator)
    path = f"/incidents/{incident.id}/edit"
    token = csrf_from(client.get(path).get_data(as_text=True))
    before, rows = snapshot(db, incident.id), counts(db)
    response = client.post(path, data={**good_form(coordinator.agency_id) | {field: value}, "version": "1",
                                       "csrf_token": token})
    assert response.status_code == 400
    assert page_locale(response) == signed_in
    assert_field_message(app, response, signed_in, candidates)
    assert snapshot(db, incident.id) == before
    assert counts(db) == rows


def test_the_edit_conflict_message_is_translated(app, client, db, make, signed_in, coordinator):
    incident = make.incident(actor=coordinator, title="Bản gốc")
    path = f"/incidents/{incident.id}/edit"
    token = csrf_from(client.get(path).get_data(as_text=True))
    services.update_incident(coordinator, incident, {"title": "Người khác đã sửa"})
    before, rows = snapshot(db, incident.id), counts(db)
    response = client.post(path, data={**good_form(coordinator.agency_id, title="Bản của tôi"), "version": "1",
                                       "csrf_token": token})
    assert response.status_code == 409
    assert page_locale(response) == signed_in
    assert app_text(app, "Someone else saved this incident meanwhile; your changes are not saved yet.", signed_in) in \
        text_of(response)
    assert (snapshot(db, incident.id), counts(db)) == (before, rows)


NOT_ALLOWED = "An incident cannot go from this status to that one."


@pytest.mark.parametrize(("data", "field", "msgid"), [
    ({"target": "rejected", "note": "", "reason": ""}, "reason", "Choose a reason."),
    ({"target": "rejected", "note": "", "reason": "bored"}, "reason", "Choose a reason."),
    ({"target": "closed", "note": "xong", "reason": ""}, "status", NOT_ALLOWED),
    ({"target": "eradicated", "note": "", "reason": ""}, "status", NOT_ALLOWED),
])
def test_a_refused_status_change_on_the_page_explains_why_and_changes_nothing(
        app, client, db, make, signed_in, coordinator, data, field, msgid):
    incident = make.incident(actor=coordinator)
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    before, rows = snapshot(db, incident.id), counts(db)
    response = client.post(f"{view}/status", data={**data, "version": "1", "csrf_token": token})
    assert response.status_code == 400
    assert app_text(app, msgid, signed_in) in text_of(response)
    assert (snapshot(db, incident.id), counts(db)) == (before, rows)


def test_closing_on_the_page_without_a_note_is_refused(app, client, db, make, signed_in, coordinator):
    incident = make.incident(actor=coordinator)
    for target in ("triaged", "contained", "eradicated", "recovered"):
        services.change_status(coordinator, incident, target)
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    before, rows = snapshot(db, incident.id), counts(db)
    response = client.post(f"{view}/status", data={"target": "closed", "note": "  ", "version": str(incident.version),
                                                   "csrf_token": token})
    assert response.status_code == 400
    assert app_text(app, "Closing needs a summary of the outcome and lessons learned.", signed_in) in text_of(response)
    assert (snapshot(db, incident.id), counts(db)) == (before, rows)


def test_an_empty_note_or_task_is_refused_with_a_message(app, client, db, make, signed_in, coordinator):
    incident = make.incident(actor=coordinator)
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    rows = counts(db)
    response = client.post(f"{view}/notes", data={"body": "   ", "kind": "note", "csrf_token": token})
    assert response.status_code == 400
    assert app_text(app, "The note is empty.", signed_in) in text_of(response)
    response = client.post(f"{view}/tasks", data={"title": "", "owner_id": "", "due_at": "", "csrf_token": token})
    assert response.status_code == 400
    assert_field_message(app, response, signed_in, REQUIRED)
    response = client.post(f"{view}/tasks", data={"title": "Việc", "owner_id": "", "due_at": "ngày mai",
                                                  "csrf_token": token})
    assert response.status_code == 400
    assert_field_message(app, response, signed_in, DATE)
    assert counts(db) == rows


def _not_found(app, response, locale):
    assert response.status_code == 404
    assert page_locale(response) == locale
    assert app_text(app, "Not found.", locale) in text_of(response)


@pytest.mark.parametrize("incident_id", ["999999", "99999999999999999999"])
def test_an_unknown_incident_is_404_on_every_incident_route(app, client, db, make, signed_in, incident_id):
    token = csrf_from(client.get("/incidents").get_data(as_text=True))
    rows = counts(db)
    for path in ("", "/edit"):
        _not_found(app, client.get(f"/incidents/{incident_id}{path}"), signed_in)
    for path, data in (("/notes", {"body": "x", "kind": "note"}), ("/status", {"target": "triaged", "version": "1"}),
                       ("/tasks", {"title": "x"}), ("/tasks/1/done", {}), ("/evidence", {})):
        _not_found(app, client.post(f"/incidents/{incident_id}{path}", data={**data, "csrf_token": token}), signed_in)
    _not_found(app, client.get(f"/incidents/{incident_id}/evidence/1"), signed_in)
    assert counts(db) == {**rows, "audit_log": rows["audit_log"] + 1}  # only the probe, logged once


@pytest.mark.parametrize("task_id", ["999999", "99999999999999999999", "other"])
def test_an_unknown_task_or_a_task_of_another_incident_is_404(app, client, db, make, signed_in, coordinator,
                                                                   task_id):
    incident, other = make.incident(actor=coordinator), make.incident(actor=coordinator)
    foreign = tasks.add_task(coordinator, other, "Việc của sự cố khác")
    task_id = str(foreign.id) if task_id == "other" else task_id
    token = csrf_from(client.get(f"/incidents/{incident.id}").get_data(as_text=True))
    rows = counts(db)
    for action in ("done", "reopen"):
        response = client.post(f"/incidents/{incident.id}/tasks/{task_id}/{action}", data={"csrf_token": token})
        _not_found(app, response, signed_in)
    assert db.session.get(Task, foreign.id).done_at is None
    assert counts(db) == {**rows, "audit_log": rows["audit_log"] + 1}  # only the probe, logged once


def test_evidence_asked_through_another_incident_is_404(app, client, db, make, signed_in, coordinator):
    incident, other = make.incident(actor=coordinator), make.incident(actor=coordinator)
    item = evidence_service.add_evidence(coordinator, other, io.BytesIO(b"secret log"), "auth.log")
    rows = counts(db)
    for evidence_id in (item.id, 999999, "99999999999999999999"):
        response = client.get(f"/incidents/{incident.id}/evidence/{evidence_id}")
        _not_found(app, response, signed_in)
        assert b"secret log" not in response.data
    assert counts(db) == {**rows, "audit_log": rows["audit_log"] + 1}  # only the probe, logged once
    assert client.get(f"/incidents/{other.id}/evidence/{item.id}").data == b"secret log"


def test_a_member_of_another_agency_gets_404_for_an_incident(app, client, auth, db, make):
    incident = make.incident(actor=make.user("coordinator"))
    outsider = make.user("member")
    auth.login(outsider)
    for locale in LOCALES:
        choose_locale(client, locale)
        _not_found(app, client.get(f"/incidents/{incident.id}"), locale)


def test_a_missing_csrf_token_is_refused_and_changes_nothing(app, client, db, make, signed_in, coordinator):
    incident = make.incident(actor=coordinator)
    rows = counts(db)
    response = client.post(f"/incidents/{incident.id}/notes", data={"body": "không có token", "kind": "note"})
    assert response.status_code == 400
    assert app_text(app, "The form expired or was not sent from this site; reload and try again.",
                    signed_in) in text_of(response)
    assert counts(db) == rows


# --- stored XSS and template injection --------------------------------------------------------------

class ActiveContent(HTMLParser):
    """Collects everything in a page that could run script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith(("javascript:", "vbscript:", "data:text")):
                self.found.append(f"<{tag} {name}={value}>")
        if tag == "script":
            src = dict(attrs).get("src")
            if not src:
                self.found.append("inline <script>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x>")

    def handle_data(self, data):
        pass


def active_content(page):
    parser = ActiveContent()
    parser.feed(page)
    return parser.found


def test_hostile_text_in_every_field_is_shown_as_text(app, client, auth, db, make, tmp_path):
    user = make.user("admin", full_name=f"Kẻ xấu {IMG}")
    auth.login(user)
    hostile = f"{SCRIPT} {IMG} {JS_LINK} <a href=\"javascript:alert(1)\">y</a>"
    response = post(client, "/incidents/new", good_form(
        user.agency_id, title=f"Sự cố {SCRIPT}{IMG}", description=f"Mô tả **đậm** {hostile}",
        affected_systems=hostile, affected_servers=hostile, assignee_id=str(user.id)))
    assert response.status_code == 302
    incident = db.session.execute(db.select(Incident)).scalar_one()
    view = f"/incidents/{incident.id}"
    assert post(client, f"{view}/notes", {"body": f"Ghi chú {hostile}", "kind": "note"}, view).status_code == 302
    assert post(client, f"{view}/tasks", {"title": f"Việc {SCRIPT}", "owner_id": "", "due_at": ""},
                view).status_code == 302
    response = post(client, f"{view}/evidence", {"description": f"Tệp {SCRIPT}",
                                                 "file": (io.BytesIO(b"log"), f"{IMG}.txt")},
                    view, content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.execute(db.select(Evidence.original_name)).scalar_one() == f"{IMG}.txt"
    db.session.refresh(incident)
    status = post(client, f"{view}/status", {"target": "rejected", "reason": "duplicate", "note": hostile,
                                             "version": str(incident.version)}, view)
    assert status.status_code == 302
    for path in (view, f"{view}/edit", "/incidents", f"/incidents?q={SCRIPT}", "/audit/"):
        page = client.get(path)
        assert page.status_code == 200, path
        body = page.get_data(as_text=True)
        assert SCRIPT not in body and IMG not in body, path
        assert active_content(body) == [], path
    body = client.get(view).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<strong>đậm</strong>" in body  # Markdown still works; only raw HTML is refused


def test_a_flash_message_with_a_hostile_file_name_is_escaped(app, client, auth, db, make):
    user = make.user("coordinator")
    auth.login(user)
    incident = make.incident(actor=user)
    view = f"/incidents/{incident.id}"
    response = post(client, f"{view}/evidence", {"description": "", "file": (io.BytesIO(b"x"), f"{IMG}.log")},
                    view, content_type="multipart/form-data")
    assert response.status_code == 302
    body = client.get(response.headers["Location"]).get_data(as_text=True)  # the flash is shown here
    assert "&lt;img src=x onerror=alert(1)&gt;.log" in body
    assert IMG not in body and active_content(body) == []


@pytest.mark.parametrize("text", ["{{7*7}}", "{{ config.SECRET_KEY }}", "{% print(7*7) %}", "${7*7}"])
def test_template_syntax_in_user_text_is_shown_literally(app, client, auth, db, make, text):
    user = make.user("coordinator")
    auth.login(user)
    incident = make.incident(actor=user, title=f"Tổng {text} sự cố", description=f"Mô tả {text}")
    services.add_note(user, incident, f"Ghi chú {text}")
    tasks.add_task(user, incident, f"Việc {text}")
    for path in (f"/incidents/{incident.id}", "/incidents", f"/incidents/{incident.id}/edit"):
        body = text_of(client.get(path))
        assert f"Tổng {text} sự cố" in body, path
        assert "Tổng 49 sự cố" not in body and app.config["SECRET_KEY"] not in body, path
    body = text_of(client.get(f"/incidents/{incident.id}"))
    assert f"Ghi chú {text}" in body and f"Việc {text}" in body and f"Mô tả {text}" in body


def _directives(header):
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0].lower(): [v.lower() for v in p[1:]] for p in parts}


@pytest.mark.parametrize("path", ["/login", "/incidents", "/incidents/new", "/incidents/999999"])
def test_pages_carry_a_csp_that_forbids_inline_script(client, auth, make, path):
    auth.login(make.user("coordinator"))
    response = client.get(path)
    header = response.headers.get("Content-Security-Policy")
    assert header, path
    policy = _directives(header)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert "*" not in scripts and "data:" not in scripts
    assert policy.get("object-src") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert active_content(response.get_data(as_text=True)) == []
