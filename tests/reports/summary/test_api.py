"""GET /api/v1/reports/summary: Form 05's figures as JSON."""
import pytest

from csirt.auth.tokens import create_token

from .conftest import EXPECTED_A, EXPECTED_ALL, TOTAL_A, TOTAL_ALL

H1 = {"from": "2026-01-01", "to": "2026-06-30"}


def _bearer(user, scopes=("incidents:read",)):
    _row, text = create_token(None, user, "báo cáo", list(scopes), 30)
    return {"Authorization": f"Bearer {text}"}


def _counts(body):
    rows = {c["category"]: (c["total"], c["handled"]) for c in body["categories"] if c["total"]}
    return rows, (body["totals"]["total"], body["totals"]["handled"])


def test_api_summary_gives_the_same_figures_as_form05(client, dataset):
    response = client.get("/api/v1/reports/summary", query_string=H1, headers=_bearer(dataset.manager))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert _counts(body) == (EXPECTED_ALL, TOTAL_ALL)
    assert body["period"] == {"from": "2026-01-01", "to": "2026-06-30"}
    assert body["excluded_statuses"] == ["rejected"]
    assert len(body["categories"]) == 10
    assert body["categories"][0]["category"] == "dos"


def test_api_summary_for_a_liaison_token_counts_their_agency_only(client, dataset):
    headers = _bearer(dataset.liaison_a)
    assert _counts(client.get("/api/v1/reports/summary", query_string=H1, headers=headers).get_json()) == (
        EXPECTED_A, TOTAL_A)
    other = client.get("/api/v1/reports/summary", query_string={**H1, "agency": dataset.b.id}, headers=headers)
    assert other.get_json()["totals"]["total"] == 0


@pytest.mark.parametrize("query, field", [
    ({}, "from"), ({"from": "2026-01-01"}, "to"), ({"from": "2026-02-30", "to": "2026-06-30"}, "from"),
    ({"from": "2026-07-01", "to": "2026-06-30"}, "to"), ({**H1, "agency": "abc"}, "agency"),
    ({**H1, "agency": "99999999999"}, "agency"),
])
def test_api_summary_answers_400_naming_the_bad_parameter(client, dataset, query, field):
    response = client.get("/api/v1/reports/summary", query_string=query, headers=_bearer(dataset.manager))
    assert response.status_code == 400
    assert field in response.get_json()["errors"]


def test_api_summary_needs_a_token_and_the_incidents_read_scope(client, dataset):
    assert client.get("/api/v1/reports/summary", query_string=H1).status_code == 401
    refused = client.get("/api/v1/reports/summary", query_string=H1,
                         headers=_bearer(dataset.manager, ["systems:read"]))
    assert refused.status_code == 403


def test_openapi_document_describes_the_summary(client, dataset):
    import jsonschema

    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/reports/summary"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "agency"}
    body = client.get("/api/v1/reports/summary", query_string=H1, headers=_bearer(dataset.manager)).get_json()
    jsonschema.validate(body, document["components"]["schemas"]["Summary"])
