"""Who sees which information systems and servers (csirt/systems/policy.py)."""
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


def test_the_server_inventory_is_refused_to_a_liaison_with_403(db, make, client, auth):
    mine, _other = _systems(db, make)
    liaison = make.user(role="member", agency_obj=mine)
    auth.login(liaison)
    assert client.get("/systems/servers").status_code == 403
    assert "Cổng B" not in client.get("/systems/").get_data(as_text=True)


def test_responders_see_the_servers(db, make):
    _systems(db, make)
    assert [s.hostname for s in list_servers(make.user(role="responder"))] == ["srv-a"]
