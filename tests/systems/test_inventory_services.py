"""Creating, editing, archiving and restoring systems and servers (services.py): validation,
references, uniqueness, the audit entry, optimistic locking, one transaction."""
import pytest
from flask_babel import gettext

from csirt.audit.models import AuditLog
from csirt.errors import Conflict, Forbidden, NotFound, ValidationError
from csirt.systems import services
from csirt.systems.models import InformationSystem, Server, system_server


@pytest.fixture
def setup(db, make):
    own, other = make.agency(code="OWN"), make.agency(code="OTHER")
    return {"own": own, "other": other, "responder": make.user("responder", agency_obj=own),
            "liaison": make.user("member", agency_obj=own), "stranger": make.user("member", agency_obj=other),
            "manager": make.user("manager", agency_obj=own)}


def _counts(db):
    return tuple(db.session.execute(db.select(db.func.count()).select_from(t)).scalar()
                 for t in (InformationSystem.__table__, Server.__table__, system_server, AuditLog.__table__))


def _entries(db, action=None):
    query = db.select(AuditLog).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    return db.session.execute(query).scalars().all()


def _host(actor, agency, name="dc-host-01"):
    return services.create_server(actor, {"hostname": name, "addresses": "10.0.0.1", "kind": "physical",
                                          "agency_id": agency.id})


def test_creating_a_system_links_its_servers_and_writes_one_audit_entry(db, setup):
    host = _host(setup["responder"], setup["own"])
    system = services.create_system(setup["responder"], {"code": "igate", "name": "Cổng DVC", "level": 3,
                                                         "owner_agency_id": setup["own"].id, "server_ids": [host.id]})
    assert system.code == "IGATE" and [s.hostname for s in system.servers] == ["dc-host-01"]
    [entry] = _entries(db, "system.create")
    assert entry.object_type == "information_system" and entry.object_id == str(system.id)
    assert entry.after["code"] == "IGATE" and entry.after["server_ids"] == [host.id]
    assert entry.actor_id == setup["responder"].id


def test_a_liaison_creates_for_their_own_agency_by_default(setup):
    system = services.create_system(setup["liaison"], {"code": "QLVB", "name": "Quản lý văn bản", "level": 2})
    assert system.owner_agency_id == setup["own"].id


def test_a_liaison_cannot_create_for_another_agency_and_nothing_is_written(db, setup):
    before = _counts(db)
    with pytest.raises(ValidationError) as err:
        services.create_system(setup["liaison"], {"code": "X", "name": "X", "level": 2,
                                                  "owner_agency_id": setup["other"].id})
    assert "owner_agency_id" in err.value.errors
    assert _counts(db) == before


def test_a_manager_may_not_create(setup):
    with pytest.raises(Forbidden):
        services.create_system(setup["manager"], {"code": "X", "name": "X", "level": 2})
    with pytest.raises(Forbidden):
        _host(setup["manager"], setup["own"])


def test_a_duplicate_code_or_host_name_is_named_on_its_field(db, setup):
    services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3})
    _host(setup["responder"], setup["own"])
    before = _counts(db)
    with pytest.raises(ValidationError) as err:
        services.create_system(setup["responder"], {"code": "igate", "name": "B", "level": 3})
    assert err.value.errors["code"] == str(services.CODE_TAKEN)
    with pytest.raises(ValidationError) as err:
        services.create_server(setup["responder"], {"hostname": "DC-HOST-01", "addresses": "10.0.0.9",
                                                    "kind": "virtual"})
    assert err.value.errors["hostname"] == str(services.HOSTNAME_TAKEN)
    assert _counts(db) == before


def test_a_duplicate_that_slips_past_the_check_is_still_refused_on_its_field(db, setup, monkeypatch):
    _host(setup["responder"], setup["own"])
    services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3})
    before = _counts(db)
    monkeypatch.setattr(services, "_taken", lambda *a, **k: False)  # as if another request won the race
    with pytest.raises(ValidationError) as err:
        services.create_server(setup["responder"], {"hostname": "dc-host-01", "addresses": "10.0.0.9",
                                                    "kind": "physical"})
    assert "hostname" in err.value.errors
    with pytest.raises(ValidationError) as err:
        services.create_system(setup["responder"], {"code": "IGATE", "name": "B", "level": 3})
    assert "code" in err.value.errors
    assert _counts(db) == before


def test_a_duplicate_code_on_edit_is_refused(setup):
    services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3})
    other = services.create_system(setup["responder"], {"code": "LGSP", "name": "B", "level": 3})
    with pytest.raises(ValidationError) as err:
        services.update_system(setup["responder"], other.id, {"code": "IGATE"})
    assert "code" in err.value.errors


def test_unknown_servers_and_agencies_are_refused_and_nothing_is_written(db, setup):
    before = _counts(db)
    with pytest.raises(ValidationError) as err:
        services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3,
                                                    "owner_agency_id": 987654, "server_ids": [987654]})
    assert set(err.value.errors) == {"owner_agency_id", "server_ids"}
    assert "987654" in err.value.errors["server_ids"]
    assert _counts(db) == before


def test_a_liaison_cannot_link_another_agencys_server(db, setup):
    theirs = _host(setup["responder"], setup["other"])
    with pytest.raises(ValidationError) as err:
        services.create_system(setup["liaison"], {"code": "QLVB", "name": "A", "level": 2, "server_ids": [theirs.id]})
    assert "server_ids" in err.value.errors


def test_editing_changes_only_the_given_fields_and_audits_the_difference(db, setup):
    system = services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3,
                                                         "operator": "VNPT"})
    version = system.version
    services.update_system(setup["liaison"], system.id, {"level": "4", "domains": "a.laocai.gov.vn"}, version=version)
    db.session.expire_all()
    system = db.session.get(InformationSystem, system.id)
    assert system.level == 4 and system.operator == "VNPT" and system.domains == ["a.laocai.gov.vn"]
    assert system.version == version + 1
    [entry] = _entries(db, "system.update")
    assert entry.before == {"level": 3, "domains": []}
    assert entry.after == {"level": 4, "domains": ["a.laocai.gov.vn"]}


def test_an_edit_that_changes_nothing_writes_nothing(db, setup):
    system = services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3})
    version = system.version
    services.update_system(setup["responder"], system.id, {"name": "A", "level": 3})
    assert _entries(db, "system.update") == [] and system.version == version


def test_changing_only_the_servers_raises_the_version(db, setup):
    host = _host(setup["responder"], setup["own"])
    system = services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3})
    services.update_system(setup["responder"], system.id, {"server_ids": [host.id]}, version=1)
    assert system.version == 2
    assert _entries(db, "system.update")[0].after == {"server_ids": [host.id]}


def test_a_stale_version_is_a_conflict_and_changes_nothing(db, setup):
    system = services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3})
    services.update_system(setup["responder"], system.id, {"name": "B"}, version=1)
    before = _counts(db)
    with pytest.raises(Conflict):
        services.update_system(setup["liaison"], system.id, {"name": "C"}, version=1)
    db.session.rollback()
    assert db.session.get(InformationSystem, system.id).name == "B"
    assert _counts(db) == before


def test_a_bad_field_in_an_edit_changes_nothing(db, setup):
    system = services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3})
    with pytest.raises(ValidationError) as err:
        services.update_system(setup["responder"], system.id, {"name": "B", "public_addresses": "10.0.0.300"})
    assert set(err.value.errors) == {"public_addresses"}
    db.session.rollback()
    assert db.session.get(InformationSystem, system.id).name == "A"
    assert _entries(db, "system.update") == []


def test_archiving_keeps_the_row_hides_it_from_the_list_and_restoring_brings_it_back(db, setup):
    host = _host(setup["responder"], setup["own"])
    system = services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3,
                                                         "server_ids": [host.id]})
    services.archive_system(setup["liaison"], system.id)
    assert db.session.get(InformationSystem, system.id).archived_at is not None
    assert [s.id for s in system.servers] == [host.id]  # the links stay
    assert services.list_systems(setup["responder"]) == []
    assert [s.id for s in services.list_systems(setup["responder"], {"archived": "1"})] == [system.id]
    with pytest.raises(ValidationError):
        services.update_system(setup["responder"], system.id, {"name": "B"})
    services.restore_system(setup["liaison"], system.id)
    assert system.archived_at is None
    assert [e.action for e in _entries(db)][-2:] == ["system.archive", "system.restore"]
    assert [s.id for s in services.list_systems(setup["responder"])] == [system.id]


def test_archiving_twice_writes_one_entry(db, setup):
    host = _host(setup["responder"], setup["own"])
    services.archive_server(setup["responder"], host.id)
    services.archive_server(setup["responder"], host.id)
    assert len(_entries(db, "server.archive")) == 1
    assert db.session.get(Server, host.id) is not None


def test_an_archived_server_cannot_be_newly_linked(setup):
    host = _host(setup["responder"], setup["own"])
    services.archive_server(setup["responder"], host.id)
    with pytest.raises(ValidationError) as err:
        services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3, "server_ids": [host.id]})
    assert "server_ids" in err.value.errors


def test_a_virtual_server_runs_on_a_physical_host_only(setup):
    host = _host(setup["responder"], setup["own"])
    vm = services.create_server(setup["responder"], {"hostname": "vm-01", "addresses": "10.0.0.2",
                                                     "kind": "virtual", "host_id": host.id})
    assert vm.host_id == host.id
    with pytest.raises(ValidationError) as err:
        services.create_server(setup["responder"], {"hostname": "vm-02", "addresses": "10.0.0.3",
                                                    "kind": "virtual", "host_id": vm.id})
    assert err.value.errors["host_id"] == gettext("The host must be a physical server.")
    with pytest.raises(ValidationError) as err:
        services.update_server(setup["responder"], host.id, {"kind": "virtual"})
    assert "kind" in err.value.errors  # a host of virtual servers stays physical
    with pytest.raises(ValidationError) as err:
        services.update_server(setup["responder"], vm.id, {"kind": "physical"})
    assert "host_id" in err.value.errors  # the host must be cleared first


def test_a_server_edit_keeps_links_to_systems_the_liaison_cannot_see(db, setup):
    theirs = services.create_system(setup["responder"], {"code": "OTHERSYS", "name": "B", "level": 3,
                                                         "owner_agency_id": setup["other"].id})
    mine = services.create_system(setup["liaison"], {"code": "MINE", "name": "A", "level": 2})
    server = services.create_server(setup["responder"], {"hostname": "web-01", "addresses": "10.0.0.4",
                                                         "kind": "virtual", "agency_id": setup["own"].id,
                                                         "system_ids": [theirs.id]})
    services.update_server(setup["liaison"], server.id, {"system_ids": [mine.id]})
    assert sorted(s.code for s in server.systems) == ["MINE", "OTHERSYS"]


def test_a_liaison_of_another_agency_neither_sees_nor_changes(db, setup):
    system = services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3,
                                                         "owner_agency_id": setup["own"].id})
    server = _host(setup["responder"], setup["own"])
    before = _counts(db)
    for call in (lambda: services.get_system(setup["stranger"], system.id),
                 lambda: services.update_system(setup["stranger"], system.id, {"name": "X"}),
                 lambda: services.archive_system(setup["stranger"], system.id),
                 lambda: services.get_server(setup["stranger"], server.id),
                 lambda: services.update_server(setup["stranger"], server.id, {"role": "X"}),
                 lambda: services.archive_server(setup["stranger"], server.id)):
        with pytest.raises(NotFound):
            call()
    assert _counts(db) == before


def test_a_manager_reads_but_does_not_change(db, setup):
    system = services.create_system(setup["responder"], {"code": "IGATE", "name": "A", "level": 3})
    assert services.get_system(setup["manager"], system.id) is system
    with pytest.raises(Forbidden):
        services.update_system(setup["manager"], system.id, {"name": "X"})
    with pytest.raises(Forbidden):
        services.archive_system(setup["manager"], system.id)


def test_lists_filter_by_agency_level_kind_and_text(setup):
    r = setup["responder"]
    services.create_system(r, {"code": "IGATE", "name": "Cổng dịch vụ công", "level": 3,
                               "owner_agency_id": setup["own"].id})
    services.create_system(r, {"code": "HIS", "name": "Bệnh viện", "level": 4, "owner_agency_id": setup["other"].id})
    _host(r, setup["own"])
    services.create_server(r, {"hostname": "vm-mail", "addresses": "10.0.0.7", "kind": "virtual",
                               "role": "Thư điện tử", "agency_id": setup["other"].id})
    codes = lambda f: [s.code for s in services.list_systems(r, f)]  # noqa: E731
    assert codes({"level": "4"}) == ["HIS"] and codes({"agency_id": str(setup["own"].id)}) == ["IGATE"]
    assert codes({"q": "dịch vụ"}) == ["IGATE"] and codes({"q": "50%_"}) == []
    names = lambda f: [s.hostname for s in services.list_servers(r, f)]  # noqa: E731
    assert names({"kind": "virtual"}) == ["vm-mail"] and names({"q": "thư"}) == ["vm-mail"]
    assert names({"q": "mail"}) == ["vm-mail"]
    assert names({"agency_id": setup["own"].id}) == ["dc-host-01"]
