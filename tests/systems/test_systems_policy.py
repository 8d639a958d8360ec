"""Who sees which information systems and servers (csirt/systems/policy.py)."""
import pytest

from csirt.systems import policy
from csirt.systems.models import InformationSystem, Server
from csirt.systems.services import list_servers, list_systems


def _systems(db, make):
    mine, other = make.agency(code="MINE"), make.agency(code="OTHER")
    a = InformationSystem(code="HT-A", name="Cổng A", level=3, owner_agency_id=mine.id)
    b = InformationSystem(code="HT-B", name="Cổng B", level=2, owner_agency_id=other.id)
    db.session.add_all([a, b, Server(hostname="srv-a", addresses=["127.0.10.1"], kind="virtual",
                                     agency_id=mine.id, systems=[a])])
    db.session.commit()
    return mine, other


def test_a_liaison_lists_only_the_systems_of_their_own_agency(db, make):
    mine, _other = _systems(db, make)
    liaison = make.user(role="member", agency_obj=mine)
    assert [s.code for s in list_systems(liaison)] == ["HT-A"]


def test_the_team_lists_every_system(db, make):
    _systems(db, make)
    responder = make.user(role="responder")
    assert sorted(s.code for s in list_systems(responder)) == ["HT-A", "HT-B"]


def test_a_liaison_sees_only_their_own_agencys_servers(db, make, client, auth):
    mine, other = _systems(db, make)
    db.session.add(Server(hostname="srv-b", addresses=["127.0.10.2"], kind="physical", agency_id=other.id))
    db.session.commit()
    liaison = make.user(role="member", agency_obj=mine)
    assert [s.hostname for s in list_servers(liaison)] == ["srv-a"]
    auth.login(liaison)
    page = client.get("/systems/servers")
    assert page.status_code == 200
    assert "srv-a" in page.get_data(as_text=True) and "srv-b" not in page.get_data(as_text=True)
    assert "Cổng B" not in client.get("/systems/").get_data(as_text=True)


def test_responders_see_the_servers(db, make):
    _systems(db, make)
    assert [s.hostname for s in list_servers(make.user(role="responder"))] == ["srv-a"]


@pytest.mark.parametrize("role, sees_other, edits_own, edits_other", [
    ("admin", True, True, True), ("coordinator", True, True, True), ("responder", True, True, True),
    ("manager", True, False, False), ("member", False, True, False)])
def test_who_sees_and_edits_which_agencys_records(db, make, role, sees_other, edits_own, edits_other):
    mine, other = _systems(db, make)
    user = make.user(role=role, agency_obj=mine)
    own_system, other_system = (db.session.execute(db.select(InformationSystem).where(
        InformationSystem.code == code)).scalar_one() for code in ("HT-A", "HT-B"))
    own_server = db.session.execute(db.select(Server)).scalar_one()
    other_server = Server(hostname="srv-b", addresses=["127.0.10.2"], kind="physical", agency_id=other.id)
    db.session.add(other_server)
    db.session.commit()
    assert policy.can_see_system(user, own_system) and policy.can_see_server(user, own_server)
    assert policy.can_see_system(user, other_system) is sees_other
    assert policy.can_see_server(user, other_server) is sees_other
    assert policy.can_edit_system(user, own_system) is edits_own
    assert policy.can_edit_server(user, own_server) is edits_own
    assert policy.can_edit_system(user, other_system) is edits_other
    assert policy.can_edit_server(user, other_server) is edits_other
    assert policy.can_create_system(user, mine.id) is edits_own
    assert policy.can_create_system(user, other.id) is edits_other
    assert policy.can_create_server(user, other.id) is edits_other
    seen = db.session.execute(policy.visible_systems(user)).scalars().all()
    assert sorted(s.code for s in seen) == (["HT-A", "HT-B"] if sees_other else ["HT-A"])
    seen = db.session.execute(policy.visible_servers(user)).scalars().all()
    assert sorted(s.hostname for s in seen) == (["srv-a", "srv-b"] if sees_other else ["srv-a"])


def test_an_inactive_user_sees_and_edits_nothing(db, make):
    mine, _other = _systems(db, make)
    user = make.user(role="admin", agency_obj=mine, active=False)
    assert db.session.execute(policy.visible_systems(user)).scalars().all() == []
    assert db.session.execute(policy.visible_servers(user)).scalars().all() == []
    assert not policy.can_create_system(user) and not policy.can_create_server(user)
