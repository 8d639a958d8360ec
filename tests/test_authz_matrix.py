"""The agency authorisation matrix: role × route × method, for the HTML pages and the API.

Roles: admin, manager, coordinator, responder work from the provincial unit; `member_own` is the
liaison of the agency that owns the incident, `member_other` the liaison of another agency.
Every allowed POST must change something; every refused request must change nothing.
"""
import csv
import io
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from werkzeug.security import generate_password_hash

from csirt.alerts.models import Alert as AlertRow
from csirt.auth.models import ApiToken
from csirt.auth.tokens import create_token, revoke_token
from csirt.checks import services as check_services
from csirt.checks.models import CheckConfig, CheckResult, ServerCheck
from csirt.clock import freeze, utc_to_local, utcnow
from csirt.incidents import evidence as evidence_service
from csirt.incidents import tasks as task_service
from csirt.incidents.models import Evidence, Incident, Task, TimelineEntry
from csirt.notify.models import ContactMethod, Notification, NotifyPreference
from csirt.systems import assessments as assessment_services
from csirt.systems import layers as layer_services
from csirt.systems import services as system_services
from csirt.systems.models import Assessment, Finding, InformationSystem, LayerEvidence, LayerRecord, Server
from csirt.team import services as team_services
from csirt.team.models import Agency, User
from tests import factories
from tests.conftest import Auth, csrf_from

SECRET = "Rò rỉ dữ liệu hồ sơ cán bộ ZX-41"
ROLES = ("admin", "manager", "coordinator", "responder", "member_own", "member_other", "anonymous")
CHEAP_HASH = generate_password_hash(factories.PASSWORD, method="scrypt:1024:8:1")
STAFF = ("admin", "manager", "coordinator", "responder")


@pytest.fixture
def world(app, make, db):
    # built in one transaction (hundreds of these run); users get a cheaper scrypt cost
    unit = Agency(code="CSIRT", name="Đơn vị chuyên trách ATTT", kind="dedicated_unit")
    own = Agency(code="OWN", name="Sở Nội vụ", kind="department")
    other = Agency(code="OTHER", name="Sở Y tế", kind="department")
    db.session.add_all([unit, own, other])
    db.session.flush()

    def person(role, agency, username, name, active=True):
        user = User(username=username, full_name=name, role=role, agency_id=agency.id,
                    password_hash=CHEAP_HASH, active=active)
        db.session.add(user)
        return user

    users = {role: person(role, unit, role, f"Cán bộ {role}") for role in STAFF}
    users["member_own"] = person("member", own, "member.own", "Đầu mối Sở Nội vụ")
    users["member_other"] = person("member", other, "member.other", "Đầu mối Sở Y tế")
    target = person("responder", own, "target", "Người được quản lý")
    dormant = person("responder", own, "dormant", "Người đã nghỉ", active=False)
    db.session.commit()
    incident = make.incident(actor=users["coordinator"], agency_obj=own, title=SECRET,
                             description="chi tiết mật")
    task = task_service.add_task(users["coordinator"], incident, "Thu thập log")
    item = evidence_service.add_evidence(users["coordinator"], incident, io.BytesIO(b"log line\n"), "access.log")
    token, _text = create_token(None, target, "tích hợp", ["incidents:read"], 30)
    server = system_services.create_server(users["coordinator"], {"hostname": "dc-own-01", "addresses": "10.9.0.1",
                                                                  "kind": "physical", "agency_id": own.id})
    system = system_services.create_system(users["coordinator"], {"code": "HT-OWN", "name": "Hệ thống Sở Nội vụ",
                                                                  "level": 3, "owner_agency_id": own.id,
                                                                  "server_ids": [server.id]})
    layer = layer_services.add_layer_record(users["coordinator"], system.id, {
        "layer": 2, "provider": "VNPT", "valid_from": "2026-01-01", "valid_to": "2027-12-31"})
    layer_file = layer_services.add_layer_evidence(users["coordinator"], layer.id, SimpleNamespace(
        stream=io.BytesIO(b"hop dong"), filename="hop-dong.pdf", mimetype="application/pdf"))
    finding = assessment_services.add_assessment(users["coordinator"], system.id, {
        "performed_on": "2026-01-15", "assessor": "VSEC", "findings": [{"title": "Cổng quản trị mở"}]}).findings[0]
    # an alert of the OWN agency, stored as a row (through the intake the catch-all playbook would
    # open a second incident, which the counts below do not expect)
    alert = AlertRow(dedup_key="authz-matrix", fingerprint="authz-matrix", source="manual", format="manual",
                     severity="high", status="firing", title=f"{SECRET} (cảnh báo)", host="dc-own-01",
                     labels={"kind": "test"}, occurred_at=utcnow(), agency_id=own.id, server_id=server.id,
                     reporter_id=users["coordinator"].id)
    db.session.add(alert)
    dead = Notification(event="incident.opened", user_id=target.id, channel="email", address="t@own.gov.vn",
                        locale="vi", context={}, status="dead", attempts=8, last_error="refused")
    db.session.add(dead)
    db.session.commit()
    # scheduled checks of the OWN server: one enabled (its work item already ran, so "run now"
    # moves its next run), one disabled (to be enabled); named with the secret, as the alert is
    check = check_services.create_config(users["coordinator"], {
        "name": f"{SECRET} (kiểm tra)", "kind": "portal", "scope": "server", "server_id": server.id,
        "url": "https://127.0.0.5/", "interval_seconds": "900", "timeout_seconds": "120"})
    check_off = check_services.create_config(users["coordinator"], {
        "name": "Chứng chỉ cổng Sở Nội vụ", "kind": "tls", "scope": "server", "server_id": server.id,
        "host": "127.0.0.5", "enabled": False})
    check_item = db.session.execute(db.select(ServerCheck).where(ServerCheck.config_id == check.id)).scalar_one()
    check_item.next_run_at = utcnow() + timedelta(minutes=15)
    db.session.commit()
    db.session.refresh(incident)
    ids = {"alert": alert.id, "incident": incident.id, "task": task.id, "evidence": item.id, "target": target.id,
           "dormant": dormant.id, "own": own.id, "other": other.id, "token": token.id,
           "system": system.id, "server": server.id, "layer": layer.id, "layer_file": layer_file.id,
           "finding": finding.id, "notification": dead.id, "check": check.id, "check_off": check_off.id,
           "check_item": check_item.id}
    return SimpleNamespace(unit=unit, own=own, other=other, users=users, target=target, dormant=dormant,
                           incident=incident, task=task, evidence=item, token=token, check=check,
                           check_off=check_off, ids=ids)


def fingerprint(db):
    """Everything a request could change, except session, login and audit bookkeeping."""
    q = lambda stmt: db.session.execute(stmt).all()  # noqa: E731
    return (
        q(db.select(Incident.id, Incident.title, Incident.status, Incident.agency_id, Incident.assignee_id,
                    Incident.version).order_by(Incident.id)),
        q(db.select(TimelineEntry.id).order_by(TimelineEntry.id)),
        q(db.select(Task.id, Task.done_at).order_by(Task.id)),
        q(db.select(Evidence.id).order_by(Evidence.id)),
        q(db.select(User.id, User.username, User.full_name, User.role, User.agency_id, User.active,
                    User.password_hash).order_by(User.id)),
        q(db.select(Agency.id, Agency.code, Agency.name, Agency.active).order_by(Agency.id)),
        q(db.select(ApiToken.id, ApiToken.revoked_at).order_by(ApiToken.id)),
        q(db.select(InformationSystem.id, InformationSystem.code, InformationSystem.name, InformationSystem.version,
                    InformationSystem.archived_at).order_by(InformationSystem.id)),
        q(db.select(Server.id, Server.hostname, Server.role, Server.version, Server.archived_at).order_by(Server.id)),
        q(db.select(LayerRecord.id, LayerRecord.provider, LayerRecord.version, LayerRecord.last_verified)
          .order_by(LayerRecord.id)),
        q(db.select(LayerEvidence.id).order_by(LayerEvidence.id)),
        q(db.select(Assessment.id).order_by(Assessment.id)),
        q(db.select(Finding.id, Finding.closed_on).order_by(Finding.id)),
        q(db.select(AlertRow.id).order_by(AlertRow.id)),
        q(db.select(ContactMethod.id, ContactMethod.enabled).order_by(ContactMethod.id)),
        q(db.select(NotifyPreference.user_id, NotifyPreference.quiet_start)),
        q(db.select(Notification.id, Notification.status).order_by(Notification.id)),
        q(db.select(CheckConfig.id, CheckConfig.name, CheckConfig.enabled, CheckConfig.version)
          .order_by(CheckConfig.id)),
        q(db.select(ServerCheck.id, ServerCheck.active, ServerCheck.next_run_at).order_by(ServerCheck.id)),
        q(db.select(CheckResult.id).order_by(CheckResult.id)),
    )


# --- form data of each POST -------------------------------------------------------------

def _incident_form(w, title="Máy trạm nhiễm mã độc"):
    return {"title": title, "description": "", "category": "malware", "sub_type": "", "severity": "ordinary",
            "priority": "P3", "tlp": "AMBER", "agency_id": str(w.own.id), "discovered_at": "2024-03-01T08:00",
            "assignee_id": "", "affected_systems": "", "affected_servers": ""}


def _member_form(w, **over):
    data = {"username": "new.member", "full_name": "Thành viên mới", "title": "", "agency_id": str(w.own.id),
            "role": "member", "email": "", "phone": "", "phone_alt": "", "chat_handles": "", "skills": "",
            "certifications": "", "active": "y", "password": "a-long-password-1"}
    data.update(over)
    return data


def _agency_form(**over):
    data = {"code": "NEWAG", "name": "Cơ quan mới", "kind": "district", "email": "", "phone": "",
            "address": "", "active": "y"}
    data.update(over)
    return data


def _system_form(w, **over):
    data = {"code": "HT-OWN", "name": "Hệ thống Sở Nội vụ", "level": "3", "owner_agency_id": str(w.own.id),
            "information_kind": "internal", "served": "internal", "server_ids": [str(w.ids["server"])]}
    data.update(over)
    return data


def _server_form(w, **over):
    data = {"hostname": "dc-own-01", "addresses": "10.9.0.1", "kind": "physical", "host_id": "",
            "agency_id": str(w.own.id), "baseline_ports": "22, 443"}
    data.update(over)
    return data


def _check_form(w, **over):
    data = {"name": "Cổng thông tin Sở Nội vụ", "scope": "server", "server_id": str(w.ids["server"]),
            "agency_id": "", "level": "", "interval_seconds": "900", "timeout_seconds": "120", "enabled": "y",
            "url": "https://127.0.0.5/", "expect_status": "200", "max_latency_ms": "3000"}
    data.update(over)
    return data


FORMS = {
    "/incidents/new": lambda w: _incident_form(w),
    "/incidents/{incident}/edit": lambda w: {**_incident_form(w, "Tiêu đề đã sửa"), "version": str(w.incident.version)},
    "/incidents/{incident}/status": lambda w: {"target": "triaged", "note": "", "reason": "",
                                               "version": str(w.incident.version)},
    "/incidents/{incident}/assign": lambda w: {"assignee_id": str(w.users["responder"].id),
                                               "version": str(w.incident.version)},
    "/incidents/{incident}/notes": lambda w: {"kind": "note", "body": "Ghi chú mới"},
    "/incidents/{incident}/acknowledge": lambda w: {},
    "/incidents/{incident}/tasks": lambda w: {"title": "Cô lập máy", "owner_id": "", "due_at": ""},
    "/incidents/{incident}/tasks/{task}/done": lambda w: {},
    "/incidents/{incident}/evidence": lambda w: {"description": "ảnh chụp", "file": (io.BytesIO(b"png"), "a.png")},
    "/incidents/{incident}/reports/form03": lambda w: {"support_requested": "Cần hỗ trợ phân tích", "version": "0"},
    "/team/members/new": lambda w: _member_form(w),
    "/team/members/{target}/edit": lambda w: _member_form(w, username=w.target.username, role="responder",
                                                          full_name="Tên đã sửa"),
    "/team/members/{target}/disable": lambda w: {},
    "/team/members/{dormant}/enable": lambda w: {},
    "/team/members/{target}/password": lambda w: {"password": "reset-by-admin-123"},
    "/team/agencies/new": lambda w: _agency_form(),
    "/team/agencies/{own}/edit": lambda w: _agency_form(code="OWN", name="Sở Nội vụ (mới)", kind="department"),
    "/account/password": lambda w: {"current_password": factories.PASSWORD, "new_password": "brand-new-passphrase"},
    "/account/tokens": lambda w: {"name": "máy chủ SIEM", "scopes": "incidents:read", "days": "30"},
    "/account/tokens/{token}/revoke": lambda w: {},
    "/systems/new": lambda w: _system_form(w, code="HT-NEW", server_ids=[]),
    "/systems/{system}/edit": lambda w: {**_system_form(w, name="Tên đã sửa"), "version": "1"},
    "/systems/{system}/archive": lambda w: {},
    "/systems/servers/new": lambda w: _server_form(w, hostname="vm-new-01"),
    "/systems/servers/{server}/edit": lambda w: {**_server_form(w, role="Máy chủ đã sửa"), "version": "1"},
    "/systems/servers/{server}/archive": lambda w: {},
    "/systems/{system}/layers/new": lambda w: {"layer": "1", "provider": "Sở Nội vụ", "valid_from": "2026-02-01"},
    "/systems/{system}/layers/{layer}/edit": lambda w: {"provider": "Viettel", "valid_from": "2026-01-01",
                                                        "valid_to": "2027-12-31", "version": "1"},
    "/systems/{system}/layers/{layer}/verify": lambda w: {"version": "1"},
    "/systems/{system}/layers/{layer}/evidence": lambda w: {"description": "", "file": (io.BytesIO(b"pdf"), "b.pdf")},
    "/systems/{system}/assessments/new": lambda w: {"performed_on": "2026-02-01", "assessor": "BKAV",
                                                    "kind": "compliance"},
    "/systems/{system}/assessments/findings/{finding}/close": lambda w: {"closed_on": ""},
    "/alerts/new": lambda w: {"title": "Cảnh báo nhập tay", "severity": "high", "host": "", "description": "",
                              "labels": "kind=test", "occurred_at": ""},
    "/playbooks/try": lambda w: {"format": "generic", "payload": '{"source": "x", "title": "y", "severity": "low"}'},
}
# POSTs that are allowed yet change nothing: the dry run of an alert.
READ_ONLY_POSTS = ("/playbooks/try", "/reports/summary/export?from=2025-01-01&to=2027-12-31")
FORMS.update({
    "/notifications/methods": lambda w: {"channel": "telegram", "address": "-1001", "label": ""},
    "/notifications/quiet": lambda w: {"quiet_start": "22:00", "quiet_end": "06:00"},
    "/notifications/outbox/{notification}/retry": lambda w: {},
    "/checks/new?kind=portal": lambda w: _check_form(w),
    "/checks/{check}/edit": lambda w: _check_form(w, name="Tên đã sửa", version=str(w.check.version)),
    "/checks/{check_off}/enable": lambda w: {"version": str(w.check_off.version)},
    "/checks/{check}/disable": lambda w: {"version": str(w.check.version)},
    "/checks/{check}/delete": lambda w: {"version": str(w.check.version)},
    "/checks/items/{check_item}/run": lambda w: {},
    "/reports/summary/export?from=2025-01-01&to=2027-12-31": lambda w: {"format": "docx", "lang": "vi"},
    "/incidents/{incident}/reports": lambda w: {
        "report-duty": "", "report-kind": "update", "report-channel": "email", "report-recipient": "VNCERT/CC",
        "report-sent_at": utc_to_local(w.incident.discovered_at + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")},
})

# --- the matrix ---------------------------------------------------------------------------
# ok: 200; done: 302 to somewhere else than /login; deny: 403; hide: 404; login: 302 to /login.
# Columns: admin, manager, coordinator, responder, member_own, member_other (anonymous: login).


def row(admin, manager, coordinator, responder, member_own, member_other):
    return dict(zip(ROLES, (admin, manager, coordinator, responder, member_own, member_other, "login")))


EVERYONE = row(*["ok"] * 6)
ADMIN_PAGE = row("ok", "deny", "deny", "deny", "deny", "deny")
ADMIN_ACTION = row("done", "deny", "deny", "deny", "deny", "deny")
READ_INCIDENT = row("ok", "ok", "ok", "ok", "ok", "hide")
WORK_PAGE = row("ok", "deny", "ok", "ok", "deny", "hide")
WORK_ACTION = row("done", "deny", "done", "done", "deny", "hide")
CONTRIBUTE = row("done", "deny", "done", "done", "done", "hide")
CONFIGURE_PAGE = row("ok", "deny", "ok", "deny", "deny", "deny")
CONFIGURE = row("done", "deny", "done", "deny", "deny", "hide")

MATRIX = [
    ("GET", "/", row(*["done"] * 6)),
    ("GET", "/incidents", EVERYONE),
    ("GET", "/incidents?q=ZX-41", EVERYONE),
    ("GET", "/incidents/export.csv", EVERYONE),
    ("GET", "/incidents/new", row("ok", "deny", "ok", "ok", "ok", "ok")),
    ("POST", "/incidents/new", row("done", "deny", "done", "done", "done", "done")),
    ("GET", "/incidents/{incident}", READ_INCIDENT),
    ("GET", "/incidents/{incident}/edit", WORK_PAGE),
    ("POST", "/incidents/{incident}/edit", WORK_ACTION),
    ("POST", "/incidents/{incident}/status", WORK_ACTION),
    ("POST", "/incidents/{incident}/assign", WORK_ACTION),
    ("POST", "/incidents/{incident}/acknowledge", WORK_ACTION),
    ("POST", "/incidents/{incident}/notes", CONTRIBUTE),
    ("POST", "/incidents/{incident}/tasks", WORK_ACTION),
    ("POST", "/incidents/{incident}/tasks/{task}/done", WORK_ACTION),
    ("POST", "/incidents/{incident}/evidence", CONTRIBUTE),
    ("POST", "/incidents/{incident}/reports", WORK_ACTION),
    ("GET", "/deadlines", EVERYONE),
    ("GET", "/incidents/{incident}/evidence/{evidence}", READ_INCIDENT),
    # the national forms (03, 04): read and download with the incident, saved by those who work it
    ("GET", "/incidents/{incident}/reports/form03", READ_INCIDENT),
    ("POST", "/incidents/{incident}/reports/form03", WORK_ACTION),
    ("GET", "/incidents/{incident}/reports/form04", READ_INCIDENT),
    ("GET", "/incidents/{incident}/reports/form03.docx", READ_INCIDENT),
    ("GET", "/incidents/{incident}/reports/form04.pdf?lang=en", READ_INCIDENT),
    ("GET", "/incidents/999999", row(*["hide"] * 6)),
    ("GET", "/team/", EVERYONE),
    ("GET", "/duty", EVERYONE),
    ("GET", "/team/?q=Người", EVERYONE),
    ("GET", "/team/members/{target}", EVERYONE),
    ("GET", "/team/members/new", ADMIN_PAGE),
    ("POST", "/team/members/new", ADMIN_ACTION),
    ("GET", "/team/members/{target}/edit", ADMIN_PAGE),
    ("POST", "/team/members/{target}/edit", ADMIN_ACTION),
    ("POST", "/team/members/{target}/disable", ADMIN_ACTION),
    ("POST", "/team/members/{dormant}/enable", ADMIN_ACTION),
    ("POST", "/team/members/{target}/password", ADMIN_ACTION),
    ("GET", "/team/agencies", EVERYONE),
    ("GET", "/team/agencies/{own}", EVERYONE),
    ("GET", "/team/agencies/new", ADMIN_PAGE),
    ("POST", "/team/agencies/new", ADMIN_ACTION),
    ("GET", "/team/agencies/{own}/edit", ADMIN_PAGE),
    ("POST", "/team/agencies/{own}/edit", ADMIN_ACTION),
    ("GET", "/audit/", row("ok", "ok", "deny", "deny", "deny", "deny")),
    ("GET", "/systems/", EVERYONE),
    ("GET", "/systems/servers", EVERYONE),
    ("GET", "/systems/?q=HT-OWN", EVERYONE),
    ("GET", "/compliance", EVERYONE),
    ("GET", "/compliance.csv", EVERYONE),
    # the summary reports: everyone reads them, each counting the incidents and systems they see
    ("GET", "/reports/summary", EVERYONE),
    ("GET", "/reports/summary?from=2025-01-01&to=2027-12-31&agency={own}", EVERYONE),
    ("POST", "/reports/summary/export?from=2025-01-01&to=2027-12-31", EVERYONE),  # a download (200)
    ("GET", "/reports/statistics", EVERYONE),
    ("GET", "/reports/statistics.csv?from=2025-01-01&to=2027-12-31", EVERYONE),
    ("GET", "/reports/statistics.xlsx?from=2025-01-01&to=2027-12-31", EVERYONE),
    ("GET", "/reports/annual", EVERYONE),
    ("GET", "/reports/annual.docx?year=2026", EVERYONE),
    ("GET", "/reports/annual.xlsx?year=2026", EVERYONE),
    ("GET", "/dashboard", EVERYONE),
    ("GET", "/dashboard/unacknowledged.csv", EVERYONE),
    ("GET", "/dashboard/clocks.csv", EVERYONE),
    ("GET", "/systems/new", row("ok", "deny", "ok", "ok", "ok", "ok")),
    ("POST", "/systems/new", row("done", "deny", "done", "done", "done", "done")),
    ("GET", "/systems/{system}", READ_INCIDENT),
    ("GET", "/systems/{system}/dossier", READ_INCIDENT),
    ("GET", "/systems/{system}/edit", row("ok", "deny", "ok", "ok", "ok", "hide")),
    ("POST", "/systems/{system}/edit", row("done", "deny", "done", "done", "done", "hide")),
    ("POST", "/systems/{system}/archive", row("done", "deny", "done", "done", "done", "hide")),
    ("GET", "/systems/999999", row(*["hide"] * 6)),
    ("GET", "/systems/servers/new", row("ok", "deny", "ok", "ok", "ok", "ok")),
    ("POST", "/systems/servers/new", row("done", "deny", "done", "done", "done", "done")),
    ("GET", "/systems/servers/{server}", READ_INCIDENT),
    ("GET", "/systems/servers/{server}/edit", row("ok", "deny", "ok", "ok", "ok", "hide")),
    ("POST", "/systems/servers/{server}/edit", row("done", "deny", "done", "done", "done", "hide")),
    ("POST", "/systems/servers/{server}/archive", row("done", "deny", "done", "done", "done", "hide")),
    ("GET", "/systems/{system}/layers/new", row("ok", "deny", "ok", "ok", "ok", "hide")),
    ("POST", "/systems/{system}/layers/new", row("done", "deny", "done", "done", "done", "hide")),
    ("GET", "/systems/{system}/layers/{layer}", READ_INCIDENT),
    ("GET", "/systems/{system}/layers/{layer}/edit", row("ok", "deny", "ok", "ok", "ok", "hide")),
    ("POST", "/systems/{system}/layers/{layer}/edit", row("done", "deny", "done", "done", "done", "hide")),
    ("POST", "/systems/{system}/layers/{layer}/verify", row("done", "deny", "done", "done", "done", "hide")),
    ("POST", "/systems/{system}/layers/{layer}/evidence", row("done", "deny", "done", "done", "done", "hide")),
    ("GET", "/systems/{system}/layers/{layer}/evidence/{layer_file}", READ_INCIDENT),
    ("GET", "/systems/{system}/assessments", READ_INCIDENT),
    ("GET", "/systems/{system}/assessments/new", row("ok", "deny", "ok", "ok", "ok", "hide")),
    ("POST", "/systems/{system}/assessments/new", row("done", "deny", "done", "done", "done", "hide")),
    ("POST", "/systems/{system}/assessments/findings/{finding}/close",
     row("done", "deny", "done", "done", "done", "hide")),
    ("GET", "/alerts", EVERYONE),
    ("GET", "/alerts?severity=high&source=manual", EVERYONE),
    ("GET", "/alerts/{alert}", READ_INCIDENT),
    ("GET", "/alerts/999999", row(*["hide"] * 6)),
    ("GET", "/alerts/new", row("ok", "deny", "ok", "ok", "deny", "deny")),
    ("POST", "/alerts/new", row("done", "deny", "done", "done", "deny", "deny")),
    ("GET", "/playbooks", row("ok", "ok", "ok", "ok", "deny", "deny")),
    ("GET", "/playbooks/web-defacement", row("ok", "ok", "ok", "ok", "deny", "deny")),
    ("GET", "/playbooks/try", row("ok", "ok", "ok", "ok", "deny", "deny")),
    ("POST", "/playbooks/try", row("ok", "ok", "ok", "ok", "deny", "deny")),
    ("GET", "/account/password", EVERYONE),
    ("POST", "/account/password", row(*["done"] * 6)),
    ("GET", "/account/tokens", EVERYONE),
    ("POST", "/account/tokens", EVERYONE),  # answers 200 with the new token shown once
    ("POST", "/account/tokens/{token}/revoke", row("done", "hide", "hide", "hide", "hide", "hide")),
    ("GET", "/notifications", EVERYONE),
    ("POST", "/notifications/methods", row(*["done"] * 6)),
    ("POST", "/notifications/quiet", row(*["done"] * 6)),
    ("GET", "/notifications/outbox", row("ok", "deny", "ok", "deny", "deny", "deny")),
    ("POST", "/notifications/outbox/{notification}/retry", row("done", "deny", "done", "deny", "deny", "deny")),
    # scheduled checks: configuring is the admins' and coordinators'; "run now" the response team's
    # on a server it sees; a liaison sees the checks of their agency's servers only
    ("GET", "/checks/", EVERYONE),
    ("GET", "/checks/?kind=portal", EVERYONE),
    ("GET", "/checks/new", CONFIGURE_PAGE),
    ("GET", "/checks/new?kind=portal", CONFIGURE_PAGE),
    ("POST", "/checks/new?kind=portal", row("done", "deny", "done", "deny", "deny", "deny")),
    ("GET", "/checks/{check}", READ_INCIDENT),
    ("GET", "/checks/{check_off}", READ_INCIDENT),
    ("GET", "/checks/999999", row(*["hide"] * 6)),
    ("GET", "/checks/{check}/edit", row("ok", "deny", "ok", "deny", "deny", "hide")),
    ("POST", "/checks/{check}/edit", CONFIGURE),
    ("POST", "/checks/{check_off}/enable", CONFIGURE),
    ("POST", "/checks/{check}/disable", CONFIGURE),
    ("POST", "/checks/{check}/delete", CONFIGURE),
    ("POST", "/checks/items/{check_item}/run", WORK_ACTION),
    ("GET", "/systems/servers/{server}/checks", READ_INCIDENT),
    ("GET", "/systems/servers/999999/checks", row(*["hide"] * 6)),
]

CASES = [pytest.param(role, method, path, expected[role], id=f"{role}-{method}-{path}")
         for method, path, expected in MATRIX for role in ROLES]


def _login(client, auth, world, role):
    if role != "anonymous":
        response = auth.login(world.users[role])
        assert response.status_code == 302
    page = "/login" if role == "anonymous" else "/account/password"
    return csrf_from(client.get(page).get_data(as_text=True))


@pytest.mark.parametrize("role, method, path, expected", CASES)
def test_html_route_answers_each_role_as_the_matrix_says(client, auth, world, db, role, method, path, expected):
    token = _login(client, auth, world, role)
    url = path.format(**world.ids)
    kwargs = {}
    if method == "POST":
        kwargs["data"] = {**FORMS[path](world), "csrf_token": token}
        if path.endswith("/evidence"):
            kwargs["content_type"] = "multipart/form-data"
    before = fingerprint(db)
    response = client.open(url, method=method, **kwargs)
    body = response.get_data().decode("utf-8", "replace")  # downloads (.docx, PDF) are bytes
    status = response.status_code
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == "login":
        assert status == 302 and location == "/login", (status, location)
    elif expected == "done":
        assert status == 302 and location != "/login", (status, location, body[:800])
    else:
        assert status == {"ok": 200, "deny": 403, "hide": 404}[expected], (status, location, body[:800])
    changed = fingerprint(db) != before
    assert changed == (method == "POST" and expected in ("ok", "done") and path not in READ_ONLY_POSTS)
    if expected in ("deny", "hide", "login") or role in ("member_other", "anonymous"):
        assert SECRET not in body and world.incident.reference not in body


# --- what another agency's member never learns ------------------------------------------------

def _as(client, auth, user):
    assert auth.login(user).status_code == 302


def test_other_agency_incident_answers_exactly_like_a_missing_one(client, auth, world):
    _as(client, auth, world.users["member_other"])
    hidden = client.get(f"/incidents/{world.incident.id}")
    missing = client.get("/incidents/987654")
    assert hidden.status_code == missing.status_code == 404
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(hidden) == strip(missing)


@pytest.mark.parametrize("query", [{}, {"q": "ZX-41"}, {"q": "hồ sơ"}, {"status": "new"}, {"agency": "{own}"},
                                   {"q": "{reference}"}])
def test_other_agency_incident_is_absent_from_list_search_and_export(app, world, query):
    query = {k: v.format(own=world.own.id, reference=world.incident.reference) for k, v in query.items()}
    for role, visible in (("member_other", False), ("member_own", True), ("manager", True)):
        fresh = app.test_client()
        assert Auth(fresh).login(world.users[role]).status_code == 302
        page = fresh.get("/incidents", query_string=query).get_data(as_text=True)
        page = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]  # the rows, not the echoed query
        exported = fresh.get("/incidents/export.csv", query_string=query).get_data(as_text=True)
        titles = [r[1] for r in csv.reader(io.StringIO(exported.lstrip("\ufeff")))][1:]
        assert (SECRET in page) is visible, role
        assert (world.incident.reference in page) is visible, role
        assert (SECRET in titles) is visible, role
        assert (world.incident.reference in exported) is visible, role


def _open_count(html, agency_name):
    for tr in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        if agency_name in tr:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
            return int(cells[4].strip())
    raise AssertionError(f"{agency_name} not listed")


@pytest.mark.parametrize("role, expected", [("member_other", 0), ("member_own", 1), ("manager", 1),
                                            ("responder", 1), ("admin", 1)])
def test_open_incident_count_on_agencies_page_follows_visibility(client, auth, world, role, expected):
    _as(client, auth, world.users[role])
    html = client.get("/team/agencies").get_data(as_text=True)
    assert _open_count(html, world.own.name) == expected
    assert _open_count(html, world.other.name) == 0


def test_member_logs_incidents_for_their_own_agency_only(client, auth, world, db):
    member = world.users["member_own"]
    _as(client, auth, member)
    token = csrf_from(client.get("/incidents/new").get_data(as_text=True))
    worker = world.users["responder"]
    response = client.post("/incidents/new", data={
        **_incident_form(world, "Tài khoản bị chiếm quyền"), "agency_id": str(world.other.id),
        "assignee_id": str(worker.id), "csrf_token": token})
    assert response.status_code == 302
    created = db.session.execute(db.select(Incident).where(Incident.title == "Tài khoản bị chiếm quyền")).scalar_one()
    assert created.agency_id == member.agency_id == world.own.id
    assert created.assignee_id is None
    assert created.reporter_id == member.id


def test_member_may_add_notes_and_evidence_to_own_agency_incident_but_not_edit_it(client, auth, world, db):
    _as(client, auth, world.users["member_own"])
    view = f"/incidents/{world.incident.id}"
    html = client.get(view).get_data(as_text=True)
    assert 'id="edit-incident"' not in html
    token = csrf_from(html)
    assert client.post(f"{view}/notes", data={"kind": "note", "body": "Đơn vị đã báo cáo", "csrf_token": token}
                       ).status_code == 302
    assert client.post(f"{view}/evidence", content_type="multipart/form-data", data={
        "description": "", "file": (io.BytesIO(b"mail headers"), "mail.eml"), "csrf_token": token}).status_code == 302
    kinds = [e.kind for e in db.session.execute(db.select(TimelineEntry).where(
        TimelineEntry.incident_id == world.incident.id)).scalars()]
    assert "note" in kinds and kinds.count("evidence") == 2
    version = world.incident.version
    assert client.post(f"{view}/status", data={"target": "triaged", "note": "", "version": str(version),
                                               "csrf_token": token}).status_code == 403
    assert client.post(f"{view}/edit", data={**_incident_form(world, "Sửa trộm"), "version": str(version),
                                             "csrf_token": token}).status_code == 403
    db.session.refresh(world.incident)
    assert world.incident.status == "new" and world.incident.title == SECRET


def test_hidden_incident_evidence_cannot_be_fetched_through_a_visible_incident(client, auth, world):
    member = world.users["member_other"]
    mine = factories.incident(actor=member, title="Sự cố của Sở Y tế")
    _as(client, auth, member)
    response = client.get(f"/incidents/{mine.id}/evidence/{world.evidence.id}")
    assert response.status_code == 404
    assert b"log line" not in response.get_data()


# --- the API ----------------------------------------------------------------------------------

def _bearer(user, scopes=("incidents:read", "incidents:write")):
    _row, text = create_token(None, user, "kiểm thử", list(scopes), 30)
    return {"Authorization": f"Bearer {text}"}


API_BODIES = {
    "/api/v1/incidents": {"title": "Qua API", "category": "malware", "discovered_at": "2024-03-01T01:00:00Z"},
    "/api/v1/incidents/{incident}": {"title": "Sửa qua API"},
    "/api/v1/incidents/{incident}/notes": {"body": "Ghi chú qua API"},
    "/api/v1/incidents/{incident}/status": {"status": "triaged"},
    "/api/v1/incidents/{incident}/acknowledge": {},
}


def api_row(admin, manager, coordinator, responder, member_own, member_other):
    return dict(zip(ROLES, (admin, manager, coordinator, responder, member_own, member_other, 401)))


API_MATRIX = [
    ("GET", "/api/v1/incidents", api_row(200, 200, 200, 200, 200, 200)),
    ("POST", "/api/v1/incidents", api_row(201, 403, 201, 201, 201, 201)),
    ("GET", "/api/v1/incidents/{incident}", api_row(200, 200, 200, 200, 200, 404)),
    ("PATCH", "/api/v1/incidents/{incident}", api_row(200, 403, 200, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{incident}/notes", api_row(201, 403, 201, 201, 201, 404)),
    ("POST", "/api/v1/incidents/{incident}/status", api_row(200, 403, 200, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{incident}/acknowledge", api_row(200, 403, 200, 200, 403, 404)),
    ("GET", "/api/v1/incidents/999999", api_row(404, 404, 404, 404, 404, 404)),
    ("GET", "/api/v1/servers/{server}/checks", api_row(200, 200, 200, 200, 200, 404)),
    ("GET", "/api/v1/servers/999999/checks", api_row(404, 404, 404, 404, 404, 404)),
    ("GET", "/api/v1/reports/summary?from=2025-01-01&to=2027-12-31", api_row(200, 200, 200, 200, 200, 200)),
]
# the scopes a route needs, when not the incidents' (the token of each role is granted them)
API_SCOPES = {
    "/api/v1/servers/{server}/checks": ("systems:read",),
    "/api/v1/servers/999999/checks": ("systems:read",),
}
API_CASES = [pytest.param(role, method, path, expected[role], id=f"{role}-{method}-{path}")
             for method, path, expected in API_MATRIX for role in ROLES]


@pytest.mark.parametrize("role, method, path, expected", API_CASES)
def test_api_route_answers_each_role_as_the_matrix_says(client, world, db, role, method, path, expected):
    scopes = API_SCOPES.get(path, ("incidents:read", "incidents:write"))
    headers = {} if role == "anonymous" else _bearer(world.users[role], scopes)
    kwargs = {"json": API_BODIES[path]} if method in ("POST", "PATCH") else {}
    before = fingerprint(db)
    response = client.open(path.format(**world.ids), method=method, headers=headers, **kwargs)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    assert response.is_json
    assert (fingerprint(db) != before) == (method != "GET" and expected in (200, 201))
    if expected in (401, 403, 404) or role == "member_other":
        assert SECRET not in response.get_data(as_text=True)


def test_summary_reports_count_and_list_an_incident_only_for_those_who_see_it(app, world):
    day = utc_to_local(world.incident.discovered_at).date().isoformat()
    period = {"from": day, "to": day}
    for role, visible in (("member_other", False), ("member_own", True), ("manager", True)):
        fresh = app.test_client()
        assert Auth(fresh).login(world.users[role]).status_code == 302
        page = fresh.get("/reports/summary", query_string=period).get_data(as_text=True)
        total = re.search(r'data-category="total".*?data-column="total">(\d+)<', page, re.S).group(1)
        exported = fresh.get("/reports/statistics.csv", query_string=period).get_data(as_text=True)
        answer = fresh.get("/api/v1/reports/summary", query_string=period,
                           headers=_bearer(world.users[role], ["incidents:read"])).get_json()
        assert int(total) == answer["totals"]["total"] == (1 if visible else 0), role
        assert (SECRET in exported) is visible and (world.incident.reference in exported) is visible, role


def test_compliance_page_export_and_api_show_a_system_only_to_those_who_see_it(app, world):
    for role, visible in (("member_other", False), ("member_own", True), ("manager", True)):
        fresh = app.test_client()
        Auth(fresh).login(world.users[role])
        page = fresh.get("/compliance").get_data(as_text=True)
        exported = fresh.get("/compliance.csv").get_data(as_text=True)
        answer = fresh.get("/api/v1/compliance", headers=_bearer(world.users[role], ["systems:read"]))
        assert answer.status_code == 200
        codes = [s["code"] for s in answer.get_json()["systems"]["items"]]
        assert ("HT-OWN" in page, "HT-OWN" in exported, "HT-OWN" in codes) == (visible,) * 3, role
    refused = app.test_client().get("/api/v1/compliance", headers=_bearer(world.users["manager"]))
    assert refused.status_code == 403  # a token without systems:read


@pytest.mark.parametrize("query", [{}, {"q": "ZX-41"}, {"agency": "{own}"}, {"status": "open"}])
def test_api_list_hides_other_agency_incidents_from_items_and_total(client, world, query):
    query = {k: v.format(own=world.own.id) for k, v in query.items()}
    hidden = client.get("/api/v1/incidents", query_string=query, headers=_bearer(world.users["member_other"]))
    assert hidden.status_code == 200
    assert hidden.json["items"] == [] and hidden.json["total"] == 0
    shown = client.get("/api/v1/incidents", query_string=query, headers=_bearer(world.users["member_own"]))
    assert [i["id"] for i in shown.json["items"]] == [world.incident.id] and shown.json["total"] == 1


def test_api_refuses_a_session_cookie_without_a_bearer_token(client, auth, world, db):
    _as(client, auth, world.users["admin"])
    assert client.get("/incidents").status_code == 200
    before = fingerprint(db)
    assert client.get("/api/v1/incidents").status_code == 401
    assert client.get(f"/api/v1/incidents/{world.incident.id}").status_code == 401
    response = client.post("/api/v1/incidents", json=API_BODIES["/api/v1/incidents"])
    assert response.status_code == 401 and response.is_json
    assert fingerprint(db) == before


@pytest.mark.parametrize("method, path", [("POST", "/api/v1/incidents"), ("PATCH", "/api/v1/incidents/{incident}"),
                                          ("POST", "/api/v1/incidents/{incident}/notes"),
                                          ("POST", "/api/v1/incidents/{incident}/status")])
def test_api_token_without_write_scope_cannot_change_anything(client, world, db, method, path):
    headers = _bearer(world.users["coordinator"], scopes=["incidents:read"])
    before = fingerprint(db)
    response = client.open(path.format(**world.ids), method=method, headers=headers, json=API_BODIES[path])
    assert response.status_code == 403
    assert "incidents:write" in response.json["error"]
    assert fingerprint(db) == before


def test_api_member_cannot_create_an_incident_for_another_agency(client, world, db):
    body = {**API_BODIES["/api/v1/incidents"], "agency_id": world.other.id,
            "assignee_id": world.users["responder"].id}
    response = client.post("/api/v1/incidents", json=body, headers=_bearer(world.users["member_own"]))
    assert response.status_code == 201
    assert response.json["agency"]["id"] == world.own.id
    assert response.json["assignee"] is None


@pytest.mark.parametrize("how", ["disabled user", "revoked", "expired"])
def test_api_token_stops_working_when_disabled_revoked_or_expired(client, world, db, how):
    user = world.users["responder"]
    headers = _bearer(user, scopes=["incidents:read"])
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    if how == "disabled user":
        team_services.set_user_active(None, user, False)
    elif how == "revoked":
        token = db.session.execute(db.select(ApiToken).where(ApiToken.user_id == user.id)).scalar_one()
        revoke_token(None, token.id)
    else:
        freeze(utcnow() + timedelta(days=31))
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401
