"""The checks pages through the test client: lists, forms, a configuration's servers, a server's
history and its "Controls" panel; a liaison sees only their agency's servers; bad input and
missing CSRF tokens change nothing; hostile details are shown escaped."""
import pytest
from flask_babel import force_locale, gettext

from csirt.checks import services
from csirt.checks.models import CheckConfig, ServerCheck
from csirt.extensions import db
from tests.conftest import csrf_from

from .config_world import add_result, firewall, item_of, world_fixture  # noqa: F401


def _login(client, auth, user):
    assert auth.login(user).status_code == 302
    return csrf_from(client.get("/account/password").get_data(as_text=True))


def _page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def group(world):
    """A firewall check of every server, with results on web-01 (own agency) and his-01 (other)."""
    config = services.create_config(world["coordinator"], {"name": "Antivirus toàn tỉnh", "kind": "antivirus",
                                                           "scope": "group"})
    add_result(item_of(config, world["web"]), "fail", {"reason": "disabled", "product": "Kaspersky"}, 5)
    add_result(item_of(config, world["health"]), "pass", {"reason": "ok", "product": "BKAV",
                                                          "signature_age_days": 1}, 5)
    return config


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_configurers_see_every_page(client, auth, world, group, role):
    _login(client, auth, world[role])
    listing = _page(client, "/checks/")
    assert 'id="nav-checks"' in listing
    assert "Antivirus toàn tỉnh" in listing and 'id="new-check"' in listing
    assert 'data-count="fail">1<' in listing and 'data-count="pass">1<' in listing
    assert 'id="kind-firewall"' in _page(client, "/checks/new")
    for kind in ("firewall", "agent", "antivirus", "tls", "portal"):
        assert 'id="check-form"' in _page(client, f"/checks/new?kind={kind}")
    view = _page(client, f"/checks/{group.id}")
    assert "web-01" in view and "his-01" in view and 'id="edit-check"' in view
    assert 'name="max_signature_days"' in _page(client, f"/checks/{group.id}/edit")
    history = _page(client, f"/systems/servers/{world['web'].id}/checks")
    with force_locale("vi"):
        assert gettext("%(product)s is disabled.", product="Kaspersky") in history
    server_page = _page(client, f"/systems/servers/{world['web'].id}")
    assert 'id="server-checks"' in server_page and 'data-state="fail"' in server_page
    assert f'/checks/new?server={world["web"].id}' in server_page
    assert f'kind=tls&amp;server={world["web"].id}' in _page(client, f"/checks/new?server={world['web'].id}")


def test_a_coordinator_configures_a_check_through_the_form(client, auth, world):
    token = _login(client, auth, world["coordinator"])
    data = {"csrf_token": token, **firewall(world["web"], ports="22, 3306", targets="127.0.0.5"), "enabled": "y"}
    response = client.post("/checks/new?kind=firewall", data=data)
    assert response.status_code == 302
    config = db.session.execute(db.select(CheckConfig)).scalar_one()
    assert config.params == {"ports": "22/tcp, 3306/tcp", "targets": ["127.0.0.5"], "closed_fails": False}
    assert response.headers["Location"].endswith(f"/checks/{config.id}")
    edit = _page(client, f"/checks/{config.id}/edit")
    assert "22/tcp, 3306/tcp" in edit
    token = csrf_from(edit)
    response = client.post(f"/checks/{config.id}/edit", data={**data, "csrf_token": token, "name": "Cổng mở",
                                                               "version": str(config.version)})
    assert response.status_code == 302
    assert db.session.get(CheckConfig, config.id).name == "Cổng mở"


@pytest.mark.parametrize("over, field", [({"targets": "127.0.0.1 -iL /etc/passwd"}, "targets"),
                                         ({"targets": "10.0.0.1"}, "targets"), ({"ports": "22; id"}, "ports"),
                                         ({"interval_seconds": "30"}, "interval_seconds")])
def test_the_form_refuses_bad_input_and_saves_nothing(client, auth, world, over, field):
    token = _login(client, auth, world["coordinator"])
    response = client.post("/checks/new?kind=firewall", data={"csrf_token": token, **firewall(world["web"], **over)})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    with force_locale("vi"):
        assert gettext("Please correct the marked fields.") in html
    assert "invalid-feedback" in html and f'name="{field}"' in html
    assert db.session.execute(db.select(CheckConfig)).first() is None


def test_a_server_without_an_allowed_address_is_named_in_the_refusal(client, auth, world):
    token = _login(client, auth, world["coordinator"])
    response = client.post("/checks/new?kind=firewall", data={"csrf_token": token, **firewall(world["outside"])})
    assert response.status_code == 400 and "10.20.30.40" in response.get_data(as_text=True)
    assert db.session.execute(db.select(CheckConfig)).first() is None


def test_posts_without_a_csrf_token_are_refused(client, auth, world, group):
    _login(client, auth, world["coordinator"])
    item = item_of(group, world["web"])
    before = item.next_run_at
    assert client.post("/checks/new?kind=firewall", data=firewall(world["web"])).status_code == 400
    assert client.post(f"/checks/{group.id}/disable").status_code == 400
    assert client.post(f"/checks/{group.id}/delete").status_code == 400
    assert client.post(f"/checks/items/{item.id}/run").status_code == 400
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(CheckConfig.id))).scalar() == 1
    assert db.session.get(CheckConfig, group.id).enabled and item_of(group, world["web"]).next_run_at == before


def test_enable_disable_delete_and_run_now_through_the_buttons(client, auth, world, group):
    token = _login(client, auth, world["coordinator"])
    item = item_of(group, world["web"])
    assert client.post(f"/checks/items/{item.id}/run", data={"csrf_token": token, "back": "server"}) \
        .headers["Location"].endswith(f"/systems/servers/{world['web'].id}")
    assert client.post(f"/checks/{group.id}/disable", data={"csrf_token": token}).status_code == 302
    assert not db.session.get(CheckConfig, group.id).enabled
    assert client.post(f"/checks/{group.id}/enable", data={"csrf_token": token}).status_code == 302
    assert client.post(f"/checks/{group.id}/delete", data={"csrf_token": token}).status_code == 302
    assert db.session.execute(db.select(CheckConfig)).first() is None


def test_a_liaison_sees_only_their_agencys_servers(client, auth, world, group):
    token = _login(client, auth, world["liaison"])
    listing = _page(client, "/checks/")
    assert "Antivirus toàn tỉnh" in listing and 'id="new-check"' not in listing
    assert 'data-count="fail">1<' in listing and 'data-count="pass"' not in listing
    view = _page(client, f"/checks/{group.id}")
    assert "web-01" in view and "his-01" not in view and 'id="edit-check"' not in view
    _page(client, f"/systems/servers/{world['web'].id}/checks")
    server_page = _page(client, f"/systems/servers/{world['web'].id}")
    assert 'data-state="fail"' in server_page and 'id="server-checks-new"' not in server_page
    _page(client, f"/systems/servers/{world['health'].id}/checks", 404)
    assert _page(client, "/checks/new", 403)
    _page(client, f"/checks/{group.id}/edit", 403)
    other = item_of(group, world["health"])
    assert client.post(f"/checks/items/{other.id}/run", data={"csrf_token": token}).status_code == 404


def test_a_check_of_another_agencys_server_is_not_found_for_a_liaison(client, auth, world):
    config = services.create_config(world["coordinator"], firewall(world["health"], name="Máy chủ HIS"))
    _login(client, auth, world["liaison"])
    _page(client, f"/checks/{config.id}", 404)
    assert "Máy chủ HIS" not in _page(client, "/checks/")


def test_hostile_details_are_shown_escaped(client, auth, world):
    config = services.create_config(world["coordinator"], {"name": "TLS", "kind": "tls", "host": "127.0.0.1",
                                                           "scope": "server", "server_id": world["web"].id})
    add_result(item_of(config, world["web"]), "fail",
               {"reason": "name_mismatch", "names": ["<script>alert(1)</script>"]},
               command=["nmap", "<img src=x onerror=alert(1)>"])
    _login(client, auth, world["coordinator"])
    for path in (f"/systems/servers/{world['web'].id}/checks", f"/systems/servers/{world['web'].id}"):
        html = _page(client, path)
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x" not in html


def test_the_history_pages_by_result_id_and_filters_by_kind(client, auth, world, group, monkeypatch):
    from csirt.checks import views

    monkeypatch.setattr(views, "HISTORY_PAGE", 2)
    item = item_of(group, world["web"])
    ids = [add_result(item, "pass", {"reason": "ok", "product": "Kaspersky"}, m).id for m in (4, 3, 2)]
    _login(client, auth, world["coordinator"])
    first = _page(client, f"/systems/servers/{world['web'].id}/checks")
    assert f'data-result="{ids[2]}"' in first and f'data-result="{ids[1]}"' in first
    assert f'data-result="{ids[0]}"' not in first and 'id="history-older"' in first
    second = _page(client, f"/systems/servers/{world['web'].id}/checks?before={ids[1]}")
    assert f'data-result="{ids[0]}"' in second
    assert "data-result=" not in _page(client, f"/systems/servers/{world['web'].id}/checks?kind=tls")
    assert db.session.execute(db.select(db.func.count(ServerCheck.id))).scalar() == 4


def test_a_liaison_stops_seeing_a_check_that_no_longer_applies_to_their_servers(client, auth, world, group):
    own = [s.id for s in world.values() if getattr(s, "hostname", None) and s.agency_id == world["web"].agency_id]
    items = db.session.execute(db.select(ServerCheck).where(ServerCheck.config_id == group.id,
                                                            ServerCheck.server_id.in_(own))).scalars().all()
    assert items
    for item in items:
        item.active = False  # e.g. the servers left the group
    db.session.commit()
    _login(client, auth, world["liaison"])
    _page(client, f"/checks/{group.id}", 404)
    assert "Antivirus toàn tỉnh" not in _page(client, "/checks/")


def test_run_now_on_a_check_that_no_longer_applies_says_so_and_changes_nothing(client, auth, world, group):
    item = item_of(group, world["web"])
    item.active = False
    db.session.commit()
    before = item.next_run_at
    token = _login(client, auth, world["coordinator"])
    response = client.post(f"/checks/items/{item.id}/run", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/checks/{group.id}")
    with force_locale("vi"):
        message = gettext("This check no longer applies to this server.")
    assert message in _page(client, response.headers["Location"])
    db.session.expire_all()
    assert item_of(group, world["web"]).next_run_at == before


def test_a_liaison_sees_the_parameters_of_their_servers_check_but_not_of_a_group_check(client, auth, world):
    group_check = services.create_config(world["coordinator"], {
        "name": "Tường lửa toàn tỉnh", "kind": "firewall", "scope": "group", "ports": "22/tcp",
        "targets": "127.0.0.77"})
    own_check = services.create_config(world["coordinator"], firewall(world["web"], name="Tường lửa web-01"))
    _login(client, auth, world["liaison"])
    group_page = _page(client, f"/checks/{group_check.id}")
    assert "web-01" in group_page and 'id="check-params"' not in group_page and "127.0.0.77" not in group_page
    assert 'id="check-params"' in _page(client, f"/checks/{own_check.id}")
    auth.logout()
    _login(client, auth, world["manager"])
    assert "127.0.0.77" in _page(client, f"/checks/{group_check.id}")
