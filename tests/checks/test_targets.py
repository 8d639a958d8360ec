"""One scan target = one validated token; addresses checked against the allowed networks."""
import pytest

from csirt.checks import targets

LOOPBACK = targets.allowed_networks({})

HOSTILE = [
    "-iL /etc/passwd", "127.0.0.1 -oN x", "fe80::1%x -iL x", "127.0.0.1\n-sV", "--script=x",
    "a b", "", " 127.0.0.1", "127.0.0.1\t", "127.0.0.1\x00", "-127.0.0.1", "127.0.0.1%eth0",
    "127.0.0.1-5", "127.0.0.*", "127.0.0.1,127.0.0.2", "127.0.0.1;id", "$(id)", "`id`",
    "x" * 254, "host_name", "exa mple.org", "bücher.example", "127.0.0.0/8/1", "127.0.0.1/abc",
    "-", "a..b", ".example", "0.0.0.0/0", "::/0", "127.0.0.0/16",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_inputs_are_refused(text):
    with pytest.raises(ValueError):
        targets.normalise_target(text)


def test_non_text_is_refused():
    for value in (None, 5, ["127.0.0.1"]):
        with pytest.raises(ValueError):
            targets.normalise_target(value)


@pytest.mark.parametrize("text, token", [
    ("127.0.0.1", "127.0.0.1"),
    ("::1", "::1"),
    ("0:0:0:0:0:0:0:1", "::1"),
    ("127.0.1.0/24", "127.0.1.0/24"),
    ("127.0.1.9/24", "127.0.1.0/24"),
    ("127.0.0.5/32", "127.0.0.5"),
    ("LocalHost.", "localhost"),
    ("db-01.province.example", "db-01.province.example"),
])
def test_good_targets_are_normalised(text, token):
    assert targets.normalise_target(text) == token


def test_cidr_size_follows_the_configured_limit():
    assert targets.normalise_target("127.0.0.0/23", max_cidr_hosts=512) == "127.0.0.0/23"
    with pytest.raises(ValueError, match="512"):
        targets.normalise_target("127.0.0.0/22", max_cidr_hosts=512)


def test_message_is_translated(app):
    from flask_babel import force_locale
    with force_locale("vi"):
        with pytest.raises(ValueError) as err:
            targets.normalise_target("-iL /etc/passwd")
    assert "không" in str(err.value).lower() or "hợp lệ" in str(err.value)


def test_resolve_keeps_addresses_and_networks_and_resolves_names_once(monkeypatch):
    assert targets.resolve("127.0.0.7") == ["127.0.0.7"]
    assert targets.resolve("127.0.1.0/24") == ["127.0.1.0/24"]
    calls = []

    def fake(name, *args, **kwargs):
        calls.append(name)
        return [(2, 1, 6, "", ("127.0.0.9", 0)), (2, 1, 6, "", ("127.0.0.9", 0)),
                (10, 1, 6, "", ("::1", 0, 0, 0))]
    monkeypatch.setattr(targets.socket, "getaddrinfo", fake)
    assert targets.resolve("db.example") == ["127.0.0.9", "::1"]
    assert calls == ["db.example"]


def test_unresolvable_name_is_an_error(monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("no such name")
    monkeypatch.setattr(targets.socket, "getaddrinfo", fail)
    with pytest.raises(ValueError, match="resolve"):
        targets.resolve("nowhere.example")


@pytest.mark.parametrize("token", ["10.0.0.1", "0.0.0.0", "127.0.0.0/7", "::2", "192.168.1.0/24"])
def test_outside_the_allowed_networks_is_refused(token):
    with pytest.raises(ValueError, match="outside"):
        targets.check_allowed(token, LOOPBACK)


def test_inside_the_allowed_networks_passes():
    assert targets.check_allowed(["127.0.0.1", "127.0.3.0/24", "::1"], LOOPBACK) == \
        ["127.0.0.1", "127.0.3.0/24", "::1"]


def test_a_name_resolving_outside_is_refused(monkeypatch):
    monkeypatch.setattr(targets.socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("127.0.0.1", 0)), (2, 1, 6, "", ("10.1.2.3", 0))])
    with pytest.raises(ValueError, match="outside"):
        targets.check_allowed("mixed.example", LOOPBACK)


def test_allowed_networks_from_config():
    nets = targets.allowed_networks({"CSIRT_SCAN_ALLOWED_NETWORKS": "127.0.5.0/24 ::1/128"})
    assert targets.check_allowed("127.0.5.1", nets) == ["127.0.5.1"]
    with pytest.raises(ValueError):
        targets.check_allowed("127.0.6.1", nets)
