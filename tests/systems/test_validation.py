"""One validator for system and server input (validation.py), shared by forms, CSV and API."""
from datetime import date, timedelta

import pytest
from flask_babel import gettext

from csirt.clock import freeze
from csirt.errors import ValidationError
from csirt.systems.validation import check_server, server_values, system_values


def _system(**over):
    data = {"code": "igate", "name": "Cổng dịch vụ công", "level": "3"}
    data.update(over)
    return data


def _errors(fn, data, partial=False):
    with pytest.raises(ValidationError) as err:
        fn(data, partial=partial)
    return err.value.errors


def test_a_system_gets_clean_values(app):
    values = system_values(_system(domains="DichVuCong.LaoCai.gov.vn", public_addresses=["203.0.113.5"],
                                   level_decision_date="2024-05-06", server_ids="3, 1 3", operator="  VNPT  "))
    assert values == {"code": "IGATE", "name": "Cổng dịch vụ công", "level": 3, "operator": "VNPT",
                      "domains": ["dichvucong.laocai.gov.vn"], "public_addresses": ["203.0.113.5"],
                      "level_decision_date": date(2024, 5, 6), "server_ids": [3, 1]}


def test_every_bad_system_field_is_named_at_once(app):
    errors = _errors(system_values, {"code": "IG ATE", "name": "", "level": "6", "information_kind": "secret",
                                     "served": "nobody", "level_decision_date": "2024-02-30",
                                     "domains": "a..vn", "public_addresses": "not-an-ip", "server_ids": ["x"],
                                     "operator": "x" * 201})
    assert set(errors) == {"code", "name", "level", "information_kind", "served", "level_decision_date",
                           "domains", "public_addresses", "server_ids", "operator"}
    assert errors["level"] == gettext("Choose a security level from 1 to 5.")
    assert "not-an-ip" in errors["public_addresses"]


@pytest.mark.parametrize("level", ["0", "6", 7, "three", "", None, True, "3.5"])
def test_an_unknown_level_is_refused(app, level):
    assert "level" in _errors(system_values, _system(level=level))


def test_required_system_fields_are_asked_for_on_creation_only(app):
    assert set(_errors(system_values, {})) == {"code", "name", "level"}
    assert system_values({"name": "Tên mới"}, partial=True) == {"name": "Tên mới"}


def test_fields_that_no_request_may_set_are_refused(app):
    errors = _errors(system_values, _system(id=5, version=9, archived_at="2024-01-01"))
    assert set(errors) == {"id", "version", "archived_at"}


def test_a_decision_date_in_the_future_or_before_2000_is_refused(app):
    freeze(None)
    tomorrow = date.today() + timedelta(days=2)
    assert "level_decision_date" in _errors(system_values, _system(level_decision_date=tomorrow.isoformat()))
    assert "level_decision_date" in _errors(system_values, _system(level_decision_date="1999-12-31"))


def _server(**over):
    data = {"hostname": "DC-iGate-01", "addresses": "10.0.0.5", "kind": "virtual"}
    data.update(over)
    return data


def test_a_server_gets_clean_values_and_a_canonical_baseline(app):
    values = server_values(_server(baseline_ports="443 22 161/udp 80-81", host_id="4", system_ids=[2]))
    assert values == {"hostname": "dc-igate-01", "addresses": ["10.0.0.5"], "kind": "virtual",
                      "baseline_ports": "22/tcp, 80-81/tcp, 443/tcp, 161/udp", "host_id": 4, "system_ids": [2]}


def test_a_server_needs_a_host_name_and_at_least_one_address(app):
    errors = _errors(server_values, {"kind": "physical"})
    assert set(errors) == {"hostname", "addresses"}
    assert _errors(server_values, _server(addresses=" , "))["addresses"] == gettext("Give at least one IP address.")


def test_a_bad_baseline_is_named_on_its_field(app):
    errors = _errors(server_values, _server(baseline_ports="22, 70000"))
    assert "70000" in errors["baseline_ports"]
    assert "22:80" in _errors(server_values, _server(baseline_ports="22:80"))["baseline_ports"]


def test_a_physical_server_cannot_have_a_host(app):
    assert "host_id" in _errors(server_values, _server(kind="physical", host_id=3))


def test_an_unknown_kind_is_refused(app):
    assert "kind" in _errors(server_values, _server(kind="cloud"))


def test_check_server_leaves_out_the_bad_values_and_keeps_the_good_ones(app):
    values, errors = check_server(_server(addresses="x", role="Máy chủ web"), partial=True)
    assert set(errors) == {"addresses"}
    assert "addresses" not in values and values["role"] == "Máy chủ web"
