"""Property-based test of /api/v1 against its own OpenAPI document (schemathesis).

For every operation schemathesis generates valid and invalid requests and checks that the app
never answers 5xx, answers only status codes the document lists, with bodies and content types
that match it, rejects data the document says is invalid, and refuses requests without the token.

Each operation runs in the usual function-scoped `app` (fresh rows, tables emptied afterwards, on
SQLite and PostgreSQL alike); the examples of one operation share that app and its seeded rows.
Every request runs in a context of its own, as in production (see IsolatedClient in conftest).
"""
import contextvars
import json
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from csirt import version
from csirt.api import openapi
from csirt.auth.tokens import create_token
from csirt.clock import utcnow

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance, negative_data_rejection, ignored_auth]

# The document is pure data, so it is loaded without an app; test_served_document_is_the_tested_one
# checks that /api/v1/openapi.json serves exactly this. (schemathesis.pytest.from_fixture, the lazy
# loader, does not work with pytest 9: it writes the private `Function._nodeid`.)
schema = schemathesis.openapi.from_dict(openapi.document(version()))
_current = {}  # the running test's app and token, set by the `seeded` fixture


def _wsgi(environ, start_response):
    """The current test's app; each request (schemathesis' probes too) in a context of its own."""
    def run():
        result = _current["app"](environ, start_response)
        try:
            return list(result)
        finally:
            getattr(result, "close", lambda: None)()
    return contextvars.Context().run(run)


schema.app = _wsgi  # every request schemathesis sends, its own follow-up probes included, goes here


LATER = "token-of-the-running-test"


@schema.auth(refresh_interval=None)  # no caching: each test has a token of its own
class _BearerToken:
    """The running test's token on every request, except the generated ones that leave the
    Authorization header out on purpose (those must get 401). The cases schemathesis derives from
    the document while collecting get a placeholder, replaced when they run (`_with_token`)."""

    def get(self, case, context):
        return _current.get("token", LATER)

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@pytest.fixture
def seeded(app, make):
    """A coordinator with a read+write token, and incidents in several states and agencies."""
    from csirt.incidents import services

    coordinator = make.user("coordinator")
    responder = make.user("responder", agency_obj=coordinator.agency)
    other = make.agency()
    steps = {"new": [], "triaged": ["triaged"], "rejected": ["rejected"],
             "recovered": ["triaged", "contained", "eradicated", "recovered"],
             "closed": ["triaged", "contained", "eradicated", "recovered", "closed"]}
    ids = []
    for i, status in enumerate(["new", "triaged", "recovered", "closed", "rejected"]):
        incident = make.incident(actor=coordinator, agency_obj=other if i % 2 else coordinator.agency,
                                 title=f"Sự cố thử {i}", discovered_at=utcnow() - timedelta(days=i + 1),
                                 assignee_id=responder.id if i % 2 else None)
        for target in steps[status]:
            services.change_status(coordinator, incident, target, note="Đã xử lý" if target == "closed" else "",
                                   reason="duplicate" if target == "rejected" else None)
        ids.append(incident.id)
    _current["targets"] = _inventory(coordinator, other)
    _row, token = create_token(None, coordinator, "schemathesis",
                               ["incidents:read", "incidents:write", "systems:read", "systems:write",
                                "alerts:read", "alerts:write"], 30)
    _current.update(app=app, token=token)  # before hypothesis starts drawing cases
    yield ids
    _current.clear()


def _inventory(coordinator, other):
    """Systems and servers in two agencies (a physical host, its guests, links): {path parameter: ids}."""
    from csirt.systems import services

    host = services.create_server(coordinator, {"hostname": "ttdl-host01", "addresses": "10.0.0.1",
                                                "kind": "physical", "baseline_ports": "22, 443"})
    guest = services.create_server(coordinator, {"hostname": "igate-app01", "addresses": "10.0.0.2, 2001:db8::2",
                                                 "kind": "virtual", "host_id": host.id, "agency_id": other.id})
    first = services.create_system(coordinator, {"code": "IGATE", "name": "Cổng dịch vụ công", "level": 3,
                                                 "server_ids": [host.id, guest.id], "domains": "dvc.example.vn"})
    second = services.create_system(coordinator, {"code": "HIS", "name": "Hệ thống bệnh viện", "level": 2,
                                                  "owner_agency_id": other.id, "server_ids": [guest.id]})
    return {"system_id": [first.id, second.id], "server_id": [host.id, guest.id]}


def test_served_document_is_the_tested_one(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == json.loads(json.dumps(openapi.document(version())))


def _with_token(case):
    if (case.headers or {}).get("Authorization") == f"Bearer {LATER}":
        case.headers["Authorization"] = f"Bearer {_current['token']}"


def _aim_at_seeded_incidents(case, ids):
    """Most valid incident (system, server) ids become existing ones, so the operations do real work;
    the rest stay as generated (mostly unknown: 404). Invalid ids are left alone."""
    for name, known in (("incident_id", ids), *_current.get("targets", {}).items()):
        value = (case.path_parameters or {}).get(name)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1:
            bucket = value % (len(known) + 1)
            if bucket < len(known):
                case.path_parameters[name] = known[bucket]


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api_conforms_to_its_openapi_document(case, seeded):
    _with_token(case)
    _aim_at_seeded_incidents(case, seeded)
    case.call_and_validate(checks=CHECKS)
