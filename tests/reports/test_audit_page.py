"""The audit page reads like a log a person can follow: the channel of each change (web, API with
the token's name, CLI, scheduler), translated actions, linked objects, names instead of ids,
Vietnamese as itself, everything escaped, in a fixed number of queries."""
import html
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from csirt.audit import services as audit
from csirt.audit.models import AuditLog
from csirt.auth.tokens import create_token
from csirt.clock import iso_utc, moved_to, utc_to_local, utcnow
from csirt.incidents import services as incidents
from csirt.incidents.models import Evidence, Task, TimelineEntry
from csirt.reports.auditlog import labels
from csirt.team import services as team
from csirt.team.models import User
from tests import factories
from tests.conftest import Auth, csrf_from, recorded_statements

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin(make):
    return make.user("admin", username="quan.tri", full_name="Quản Trị Viên")


@pytest.fixture
def reader(app, admin):
    """A client signed in as the admin, to read the audit page."""
    client = app.test_client()
    Auth(client).login(admin)
    return client


def _page(client, path="/audit/"):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _rows(page):
    """{action code: [cells of each row with that action, newest first]}, cells as raw HTML."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    out = {}
    for tr in re.findall(r'<tr id="audit-\d+">(.*?)</tr>', body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        code = re.search(r'title="([^"]+)"', cells[3]).group(1)
        out.setdefault(code, []).append(cells)
    return out


def _text(cell):
    """A cell's text as a person reads it: tags dropped, entities decoded, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def _entry(db, action):
    return db.session.execute(db.select(AuditLog).where(AuditLog.action == action)
                              .order_by(AuditLog.id.desc())).scalars().first()


# --- the channel ------------------------------------------------------------------------

def test_a_change_through_the_api_shows_api_and_the_token_name(app, db, make, reader):
    coordinator = make.user("coordinator")
    token, text = create_token(None, coordinator, "SIEM Tỉnh", ["incidents:read", "incidents:write"], 30)
    response = app.test_client().post("/api/v1/incidents", headers={"Authorization": f"Bearer {text}"},
                                      json={"title": "Dò quét từ SIEM", "category": "malware",
                                            "discovered_at": iso_utc(utcnow() - timedelta(hours=1))})
    assert response.status_code == 201, response.get_json()
    entry = _entry(db, "incident.create")
    assert entry.channel == "api" and entry.via == f"SIEM Tỉnh #{token.id}"
    cells = _rows(_page(reader))["incident.create"][0]
    assert _text(cells[2]) == f"API (SIEM Tỉnh #{token.id})"


def test_a_change_through_the_pages_shows_web(app, db, make, reader):
    coordinator = make.user("coordinator")
    client = app.test_client()
    Auth(client).login(coordinator)
    token = csrf_from(client.get("/incidents/new").get_data(as_text=True))
    client.post("/incidents/new", data={
        "csrf_token": token, "title": "Thư giả mạo", "description": "", "category": "spoofing", "sub_type": "",
        "severity": "ordinary", "priority": "P3", "tlp": "AMBER", "agency_id": str(coordinator.agency_id),
        "discovered_at": "2024-05-02T09:15", "assignee_id": "", "affected_systems": "", "affected_servers": ""})
    entry = _entry(db, "incident.create")
    assert entry.channel == "web" and entry.via is None
    assert _text(_rows(_page(reader))["incident.create"][0][2]) == "Web"


def test_a_user_created_on_the_command_line_shows_cli(app, db, make, runner, reader):
    agency = make.agency(code="STTTT")
    result = runner.invoke(args=["users", "create", "tran.cli", "--name", "Trần Dòng Lệnh", "--agency", "STTTT",
                                 "--password", "Mat-khau-dong-lenh-1"])
    assert result.exit_code == 0, result.output
    entry = _entry(db, "user.create")
    assert entry.channel == "cli"
    cells = _rows(_page(reader))["user.create"][0]
    assert "CLI" in _text(cells[2])
    assert _text(cells[1]) == "Dòng lệnh quản trị"  # the console, not a person
    assert agency.name in _text(cells[5]) and "Trần Dòng Lệnh" in _text(cells[5])


def test_work_marked_for_the_scheduler_shows_scheduler_and_unmarked_work_shows_system(app, db, make, reader):
    user = make.user("responder")
    with audit.channel("scheduler", via="purge_sessions"):
        audit.record(None, "user.update", user, before={"phone": ""}, after={"phone": "1"})
    audit.record(None, "user.update", user, before={"phone": "1"}, after={"phone": "2"})
    db.session.commit()
    system, scheduled = db.session.execute(db.select(AuditLog).where(AuditLog.action == "user.update")
                                           .order_by(AuditLog.id.desc())).scalars().all()
    assert (scheduled.channel, scheduled.via) == ("scheduler", "purge_sessions")
    assert (system.channel, system.via) == ("system", None)
    shown = [_text(cells[2]) for cells in _rows(_page(reader))["user.update"]]
    assert shown == ["Hệ thống", "Tác vụ định kỳ (purge_sessions)"]


def test_an_unknown_channel_is_refused(app):
    with pytest.raises(ValueError):
        audit.set_channel("email")


def test_old_entries_without_a_channel_still_show(app, db, make, reader):
    user = make.user("responder")
    db.session.add(AuditLog(actor_id=user.id, actor_name=user.username, action="auth.login",
                            object_type="user_account", object_id=str(user.id)))
    db.session.commit()
    cells = _rows(_page(reader))["auth.login"][0]
    assert _text(cells[2]) == "—" and user.full_name in _text(cells[1])


# --- readable values ----------------------------------------------------------------------

def test_vietnamese_text_is_shown_as_itself_not_escaped(app, db, make, admin, reader):
    agency = make.agency()
    user = team.create_user(admin, {"username": "nguyen.a", "full_name": "Nguyễn Văn A", "role": "member",
                                    "agency_id": agency.id}, "Mat-khau-ban-dau-1")
    team.update_user(admin, user, {"full_name": "Nguyễn Văn Ánh"})
    page = _page(reader)
    assert "Nguyễn Văn Ánh" in page
    assert "\\u1ec5" not in page and "\\u00c1" not in page and "\\u" not in page
    assert _text(_rows(page)["user.update"][0][5]) == "Họ và tên: Nguyễn Văn A → Nguyễn Văn Ánh"


def test_an_assignee_change_shows_the_two_names(app, db, make, admin, reader):
    coordinator = make.user("coordinator")
    first = make.user("responder", full_name="Trần Thị Bình")
    second = make.user("responder", full_name="Lê Văn Cường")
    incident = make.incident(actor=coordinator, assignee_id=first.id)
    incidents.update_incident(coordinator, incident, {"assignee_id": second.id}, incident.version)
    cells = _rows(_page(reader))["incident.update"][0]
    assert _text(cells[5]) == "Người phụ trách: Trần Thị Bình → Lê Văn Cường"
    assert f'href="/team/members/{first.id}"' in cells[5] and f'href="/team/members/{second.id}"' in cells[5]
    assert f"assignee_id: {first.id}" not in _text(cells[5])


def test_codes_become_labels_and_times_become_province_time(app, db, make, reader):
    coordinator = make.user("coordinator")
    with moved_to(datetime(2024, 5, 2, 2, 15)):  # 09:15 in Lào Cai (UTC+7)
        incident = make.incident(actor=coordinator, severity="ordinary", discovered_at=datetime(2024, 5, 2, 1, 0))
        incidents.change_status(coordinator, incident, "triaged", "", None, incident.version)
    stored = _entry(db, "incident.create").after["discovered_at"]  # naive UTC, ISO 8601
    local = utc_to_local(datetime.fromisoformat(stored)).strftime("%d/%m/%Y %H:%M")
    rows = _rows(_page(reader))
    assert _text(rows["incident.status"][0][5]) == "Trạng thái: Mới → Đã phân loại"
    created = _text(rows["incident.create"][0][5])
    assert "Mức độ: Thông thường" in created and f"Thời điểm phát hiện: {local}" in created
    assert stored not in created
    assert _text(rows["incident.create"][0][0]) == "02/05/2024 09:15:00"


def test_a_long_text_is_shortened_with_the_whole_text_one_click_away(app, db, make, reader):
    coordinator = make.user("coordinator")
    incident = make.incident(actor=coordinator)
    body = "Đã chặn địa chỉ nguồn trên tường lửa. " * 10
    incidents.add_note(coordinator, incident, body, "action")
    cell = _rows(_page(reader))["incident.action"][0][5]
    summary = re.search(r"<summary>(.*?)</summary>", cell, re.S).group(1)
    assert summary.endswith("…") and len(summary) < len(body)
    assert html.escape(body.strip(), quote=False) in cell


def test_action_labels_are_translated_in_vietnamese_and_in_english(app, db, make, admin):
    coordinator = make.user("coordinator")
    make.incident(actor=coordinator)
    english = make.user("manager", locale="en")
    vi_client, en_client = app.test_client(), app.test_client()
    Auth(vi_client).login(admin)
    Auth(en_client).login(english)
    assert _text(_rows(_page(vi_client))["incident.create"][0][3]) == "Tạo sự cố"
    assert _text(_rows(_page(en_client))["incident.create"][0][3]) == "Incident opened"
    assert '<option value="incident.create">Incident opened</option>' in _page(en_client)


def test_an_action_without_a_label_is_shown_as_its_code(app, db, make, reader):
    user = make.user("responder")
    audit.record(user, "incident.merge", user)
    db.session.commit()
    assert _text(_rows(_page(reader))["incident.merge"][0][3]) == "incident.merge"


def _recorded_actions():
    """Every action code written as a literal by a `record(` call in csirt/."""
    found = set()
    for path in (ROOT / "csirt").rglob("*.py"):
        for call in re.findall(r"record\(([^\n]*)", path.read_text(encoding="utf-8")):
            found.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', call))
    return found


def test_every_action_the_code_writes_has_a_label():
    written = _recorded_actions() | {"incident.status", "incident.reopen", "incident.note", "incident.action"}
    assert {"incident.create", "user.create", "auth.login", "token.revoke"} <= written  # the grep works
    assert written - set(labels.ACTIONS) == set()


# --- links ------------------------------------------------------------------------------------

def test_objects_link_to_their_pages(app, db, make, admin, reader):
    coordinator = make.user("coordinator")
    incident = make.incident(actor=coordinator, title="Máy chủ bị mã hóa")
    agency = team.create_agency(admin, {"code": "UBND-BT", "name": "UBND huyện Bắc Tiến", "kind": "district"})
    member = team.create_user(admin, {"username": "le.c", "full_name": "Lê Thị Cúc", "role": "member",
                                      "agency_id": agency.id}, "Mat-khau-ban-dau-1")
    token, _text_ = create_token(admin, admin, "Máy quét", ["incidents:read"], 30)
    item = Evidence(incident_id=incident.id, original_name="nhật-ký.log", stored_name="x" * 32, size=3,
                    sha256="0" * 64, added_by_id=coordinator.id)
    db.session.add(item)
    db.session.flush()
    audit.record(coordinator, "evidence.download", item, after={"incident_id": incident.id})
    db.session.commit()

    rows = _rows(_page(reader))
    incident_cell = rows["incident.create"][0][4]
    assert f'<a href="/incidents/{incident.id}">{incident.reference}</a>' in incident_cell
    assert f'<a href="/team/agencies/{agency.id}">UBND huyện Bắc Tiến</a>' in rows["agency.create"][0][4]
    assert f'<a href="/team/members/{member.id}">Lê Thị Cúc</a>' in rows["user.create"][0][4]
    evidence_cell = rows["evidence.download"][0][4]
    assert f'<a href="/incidents/{incident.id}#evidence">nhật-ký.log</a>' in evidence_cell
    assert incident.reference in _text(evidence_cell)
    assert "Máy quét" in _text(rows["token.create"][0][4])
    assert f'<a href="/team/members/{coordinator.id}">{coordinator.full_name}</a>' in rows["incident.create"][0][1]


def test_a_failed_sign_in_with_an_unknown_name_is_marked_as_unknown(app, db, make, reader):
    client = app.test_client()
    Auth(client).login("khong.ton.tai", "Sai-mat-khau-1")
    cells = _rows(_page(reader))["auth.login_failed"][0]
    assert _text(cells[1]).startswith("Tên đăng nhập không tồn tại unknown:")
    assert "khong.ton.tai" not in cells[1] + cells[4]


# --- safety and access ----------------------------------------------------------------------

def test_hostile_titles_notes_and_file_names_are_escaped(app, db, make, reader):
    coordinator = make.user("coordinator")
    incident = make.incident(actor=coordinator, title="<script>alert('tiêu đề')</script>")
    incidents.add_note(coordinator, incident, '<img src=x onerror="alert(1)">', "note")
    task = Task(incident_id=incident.id, title="<b onmouseover=alert(2)>việc</b>", created_by_id=coordinator.id)
    db.session.add(task)
    db.session.flush()
    audit.record(coordinator, "task.create", task, after={"incident_id": incident.id, "title": task.title})
    db.session.commit()
    page = _page(reader)
    assert "<script>alert" not in page and "<img src=x" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;alert(&#39;tiêu đề&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "&lt;b onmouseover=alert(2)&gt;việc&lt;/b&gt;" in page


@pytest.mark.parametrize("role", ["member", "responder", "coordinator"])
def test_only_admins_and_managers_read_the_audit_log(app, make, role):
    client = app.test_client()
    Auth(client).login(make.user(role))
    assert client.get("/audit/").status_code == 403


def test_a_manager_reads_the_audit_log(app, make):
    client = app.test_client()
    Auth(client).login(make.user("manager"))
    assert client.get("/audit/").status_code == 200


# --- filters and pages --------------------------------------------------------------------

def test_filters_by_channel_object_type_action_and_actor(app, db, make, reader, admin):
    coordinator = make.user("coordinator", username="dieu.phoi")
    incident = make.incident(actor=coordinator)
    with audit.channel("scheduler"):
        audit.record(None, "incident.update", incident, before={"priority": "P3"}, after={"priority": "P2"},
                     actor_name="console")
    db.session.commit()

    def actions(path):
        return sorted(_rows(_page(reader, path)))

    assert actions("/audit/?channel=scheduler") == ["incident.update"]
    assert actions("/audit/?channel=system") == ["incident.create"]
    assert actions("/audit/?channel=web") == ["auth.login"]
    assert actions("/audit/?object=incident") == ["incident.create", "incident.update"]
    assert actions("/audit/?action=incident.create") == ["incident.create"]
    assert actions("/audit/?action=incident.") == ["incident.create", "incident.update"]
    assert actions("/audit/?action=incident") == ["incident.create", "incident.update"]
    assert actions("/audit/?actor=dieu.phoi") == ["incident.create"]
    assert actions("/audit/?actor=dieu.phoi&channel=web") == []


def test_filters_by_date_in_province_days(app, db, make, reader):
    user = make.user("responder")
    # 16:59 and 17:00 UTC on 1 May are 23:59 on 1 May and 00:00 on 2 May in the province
    moments = ((datetime(2024, 5, 1, 16, 59), "user.enable"), (datetime(2024, 5, 1, 17, 0), "user.disable"))
    for moment, action in moments:
        with moved_to(moment):
            audit.record(None, action, user)
            db.session.flush()  # the time is taken when the row is written
    db.session.commit()
    assert sorted(_rows(_page(reader, "/audit/?start=2024-05-02&end=2024-05-02"))) == ["user.disable"]
    assert sorted(_rows(_page(reader, "/audit/?start=2024-05-01&end=2024-05-01"))) == ["user.enable"]
    assert sorted(_rows(_page(reader, "/audit/?end=2024-05-01"))) == ["user.enable"]


@pytest.mark.parametrize("query", ["start=02/05/2024", "end=2024-13-01", "channel=email",
                                   "start=2024-05-02&end=2024-05-01", "actor=" + "a" * 65])
def test_an_invalid_filter_is_refused_with_a_message(app, reader, query):
    response = reader.get(f"/audit/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "invalid-feedback" in page and _rows(page) == {}


def test_pages_link_with_only_the_known_arguments(app, db, make, reader):
    user = make.user("responder")
    for n in range(55):
        audit.record(None, "user.update", user, before={"phone": str(n)}, after={"phone": str(n + 1)})
    db.session.commit()
    page = _page(reader, "/audit/?channel=system&object=user_account&_external=1&foo=bar")
    assert sum(len(v) for v in _rows(page).values()) == 50
    link = html.unescape(re.search(r'href="([^"]*before=\d+[^"]*)"', page).group(1))
    assert link.startswith("/audit/?") and "foo" not in link and "_external" not in link and "//" not in link
    assert "channel=system" in link and "object=user_account" in link
    rest = _rows(_page(reader, link))
    assert sum(len(v) for v in rest.values()) == 5


# --- queries --------------------------------------------------------------------------------

def _statements(db, client, path):
    with recorded_statements(db.engine) as seen:
        page = _page(client, path)
    return seen, page


def _varied_entries(db, make, admin, n):
    """n of each kind of entry, each pointing at objects of its own: nothing shared to cache."""
    names = []
    for _ in range(n):
        agency = make.agency()
        first, second = make.user("responder", agency_obj=agency), make.user("responder", agency_obj=agency)
        incident = factories.raw_incidents(1, agency, first)[0]
        task = Task(incident_id=incident.id, title="Việc", owner_id=first.id, created_by_id=first.id)
        item = Evidence(incident_id=incident.id, original_name="a.log", stored_name=f"s{incident.id}", size=1,
                        sha256="0" * 64, added_by_id=first.id)
        entry = TimelineEntry(incident_id=incident.id, author_id=first.id, kind="note", body="Ghi chú")
        db.session.add_all([task, item, entry])
        db.session.flush()
        audit.record(first, "incident.update", incident, before={"assignee_id": first.id, "agency_id": agency.id},
                     after={"assignee_id": second.id, "agency_id": agency.id})
        audit.record(first, "task.done", task, before={"done_by_id": None}, after={"done_by_id": second.id})
        audit.record(first, "evidence.add", item, after={"incident_id": incident.id, "name": "a.log"})
        audit.record(first, "incident.note", incident, after={"timeline_entry": entry.id})
        audit.record(admin, "agency.update", agency, before={"phone": ""}, after={"phone": "1"})
        audit.record(admin, "user.update", second, before={"role": "member"}, after={"role": "responder"})
        db.session.commit()
        create_token(admin, first, f"token-{first.id}", ["incidents:read"], 30)
        names += [first.full_name, second.full_name, agency.name, incident.reference]
    return names


def test_the_number_of_queries_does_not_grow_with_the_rows(app, db, make, admin, reader):
    counts = []
    for n in (1, 6):  # 7 entries, then 49: both on one page of 50
        names = _varied_entries(db, make, admin, n)
        statements, page = _statements(db, reader, "/audit/")
        counts.append(len(statements))
        for name in names:
            assert html.escape(name) in page, name
    assert counts[0] == counts[1], counts
    assert counts[0] < 20, counts


# --- console ---------------------------------------------------------------------------------

def test_console_and_unknown_actors_are_named_as_such(app, db, make, reader):
    agency = make.agency()
    team.create_user(None, {"username": "bang.dk", "full_name": "Tạo từ bảng điều khiển", "role": "member",
                            "agency_id": agency.id}, "Mat-khau-ban-dau-1")
    created = db.session.execute(db.select(User).where(User.username == "bang.dk")).scalar_one()
    cells = _rows(_page(reader))["user.create"][0]
    assert _text(cells[1]) == "Dòng lệnh quản trị"
    assert f'href="/team/members/{created.id}"' in cells[4]


def test_a_vietnamese_upload_name_is_shown_as_itself(app, db, make, reader):
    coordinator = make.user("coordinator")
    incident = make.incident(actor=coordinator)
    client = app.test_client()
    Auth(client).login(coordinator)
    view = f"/incidents/{incident.id}"
    token = csrf_from(client.get(view).get_data(as_text=True))
    response = client.post(f"{view}/evidence", data={"csrf_token": token, "description": "",
                                                    "file": (io.BytesIO(b"abc"), "báo-cáo.txt")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 302)
    cells = _rows(_page(reader))["evidence.add"][0]
    assert "báo-cáo.txt" in _text(cells[4]) and "Tên tệp: báo-cáo.txt" in _text(cells[5])


def test_a_refused_request_names_the_kind_of_record_asked_for(app, db, make, reader):
    user = make.user("member")
    audit.record(user, "auth.denied", object_type="route", object_id="GET /incidents/999999",
                 after={"answer": 404, "record": "task"})
    db.session.commit()
    cells = _rows(_page(reader))["auth.denied"][0]
    assert _text(cells[3]) == "Từ chối truy cập"
    assert "<code>GET /incidents/999999</code>" in cells[4]
    assert _text(cells[5]) == "Mã trả lời: 404 Bản ghi được yêu cầu: Công việc"
