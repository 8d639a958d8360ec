"""Each channel refuses bad addresses with a clear message; webhooks never reach loopback,
private, link-local, multicast, reserved or metadata addresses unless an admin allows the network."""
import pytest

from csirt.errors import ValidationError
from csirt.notify.channels import CHANNELS, get, netguard


def _refusal(channel, address, locale="en"):
    from flask import current_app
    from flask_babel import force_locale

    with current_app.test_request_context(), force_locale(locale), pytest.raises(ValidationError) as err:
        CHANNELS[channel].validate_address(address)
    return err.value.errors["address"]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8080/x", "http://10.1.2.3/x", "http://192.168.1.1/x",
    "http://172.16.0.5/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://[fe80::1]/x",
    "http://224.0.0.1/x", "http://0.0.0.0/x", "http://100.64.0.1/x", "http://[::ffff:127.0.0.1]/x",
    "http://240.0.0.1/x"])
def test_webhooks_into_refused_networks_are_refused(app, url):
    assert "private or reserved" in _refusal("webhook", url)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)",
                                 "gopher://1.1.1.1/", "http:///nohost", "http://user:pw@example.com/",
                                 "example.com/hook", ""])
def test_webhooks_that_are_not_http_urls_are_refused(app, url):
    assert "http://" in _refusal("webhook", url)


def test_an_allowed_network_opens_loopback_but_never_the_metadata_address(app):
    app.config["CSIRT_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8, 169.254.0.0/16"
    assert CHANNELS["webhook"].validate_address("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"
    assert "169.254.169.254" in _refusal("webhook", "http://169.254.169.254/x")
    assert "10.0.0.1" in _refusal("webhook", "http://10.0.0.1/x")


def test_a_public_address_is_accepted(app):
    assert CHANNELS["webhook"].validate_address("https://8.8.8.8/hook") == "https://8.8.8.8/hook"


def test_the_check_at_send_time_refuses_what_a_name_now_resolves_to(monkeypatch):
    """DNS may change after the address was saved: delivery resolves again and checks."""
    monkeypatch.setattr(netguard.socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("93.184.216.34", 80)), (2, 1, 6, "", ("10.0.0.7", 80))])
    with pytest.raises(netguard.RefusedAddress) as err:
        netguard.resolve("hooks.example", 80)
    assert err.value.address == "10.0.0.7"


@pytest.mark.parametrize("chat", ["@channel", "12a", "1.5", "", "--5", "1 2"])
def test_a_telegram_chat_id_must_be_a_number(app, chat):
    assert "number" in _refusal("telegram", chat)


def test_a_telegram_group_id_may_be_negative(app):
    assert CHANNELS["telegram"].validate_address(" -1001234 ") == "-1001234"


@pytest.mark.parametrize("address", ["no-at-sign", "a@", "@b.vn", "a b@c.vn", "a@b.vn\nBcc: x@y.z"])
def test_an_invalid_email_is_refused(app, address):
    assert "e-mail" in _refusal("email", address)


def test_refusals_are_translated_into_vietnamese(app):
    message = _refusal("telegram", "@x", locale="vi")
    assert "Telegram" in message and "số" in message


def test_an_unknown_channel_is_a_validation_error(app):
    with pytest.raises(ValidationError):
        get("sms")
