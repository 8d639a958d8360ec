"""What an API caller reads when something is wrong, and where a created thing lives.

Field errors are translated (one message per jsonschema rule, with its limit), in the language the
call names in Accept-Language, else the token user's; a submitted name or value never comes back
longer than about 100 characters; 201 answers carry Location; the OpenAPI document shows a valid
example for each request body.
"""
import pytest
from jsonschema import Draft202012Validator

from csirt.api import openapi, schemas
from csirt.incidents.models import Incident

from .test_incidents_api import API, Api, _new_incident_body, assert_json_error


@pytest.fixture
def coordinator(make):
    return make.user("coordinator", locale="vi")


@pytest.fixture
def api(client, coordinator):
    return Api(client, coordinator)


def _errors(response, status=400):
    return assert_json_error(response, status)


# --- translated field errors ------------------------------------------------------------------

@pytest.mark.parametrize("change, field, english, vietnamese", [
    ({"title": "x" * 301}, "title", "At most 300 characters.", "Tối đa 300 ký tự."),
    ({"title": ""}, "title", "Must not be empty.", "Không được để trống."),
    ({"title": "   "}, "title", "Must not be blank.", "Không được chỉ gồm khoảng trắng."),
    ({"title": 5}, "title", "Must be text.", "Phải là văn bản."),
    ({"agency_id": "3"}, "agency_id", "Must be a whole number or null.", "Phải là một số nguyên hoặc null."),
    ({"agency_id": 0}, "agency_id", "The smallest allowed value is 1.", "Giá trị nhỏ nhất được phép là 1."),
    ({"assignee_id": 2**31}, "assignee_id", "The largest allowed value is 2147483647.",
     "Giá trị lớn nhất được phép là 2147483647."),
    ({"severity": "high"}, "severity", 'Allowed values: "ordinary", "serious".',
     'Các giá trị được phép: "ordinary", "serious".'),
    ({"reporter_id": 1}, "reporter_id", "This field cannot be set.", "Không được đặt giá trị cho trường này."),
])
def test_field_errors_are_translated_and_state_the_limit(api, db, change, field, english, vietnamese):
    for lang, expected, envelope in (("en", english, "The request body is not valid."),
                                     ("vi", vietnamese, "Nội dung yêu cầu không hợp lệ.")):
        body = _errors(api.post("/incidents", json=_new_incident_body(**change),
                                headers={"Accept-Language": lang}))
        assert body["errors"][field] == expected, body
        assert body["error"] == envelope
    assert db.session.execute(db.select(Incident)).first() is None


def test_a_missing_field_and_an_empty_patch_are_translated(api, make, coordinator):
    data = _new_incident_body()
    del data["category"]
    body = _errors(api.post("/incidents", json=data, headers={"Accept-Language": "en"}))
    assert body["errors"] == {"category": "This field is required."}
    incident = make.incident(actor=coordinator)
    body = _errors(api.patch(f"/incidents/{incident.id}", json={}, headers={"Accept-Language": "en"}))
    assert body["errors"] == {"body": "Nothing to update."}


def test_no_english_jsonschema_text_reaches_a_vietnamese_caller(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    answers = [
        api.post("/incidents", json=_new_incident_body(title="x" * 400, category="virus", tlp=3)),
        api.patch(f"/incidents/{incident.id}", json={"version": "two", "priority": None}),
        api.post(f"/incidents/{incident.id}/notes", json={"body": "", "kind": "memo"}),
        api.post(f"/incidents/{incident.id}/status", json={"status": "gone", "reason": 7}),
    ]
    for response in answers:
        body = _errors(response)
        text = " ".join([body["error"], *body["errors"].values()])
        for english in ("is not", "is too long", "should be", "does not match", "is a required", "Additional"):
            assert english not in text, text


# --- the caller's language --------------------------------------------------------------------

def test_accept_language_wins_over_the_token_users_language(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    path = f"/incidents/{incident.id}/status"
    default = _errors(api.post(path, json={"status": "rejected"}))  # the user's own language: vi
    assert default["error"] == "Hãy nêu lý do từ chối sự cố."
    for header in ("en", "en-US,en;q=0.9", "fr, en;q=0.5", "vi;q=0.2, en;q=0.8"):
        response = api.post(path, json={"status": "rejected"}, headers={"Accept-Language": header})
        body = _errors(response)
        assert body["error"] == "Say why the incident is rejected.", header
        assert response.headers["Content-Language"] == "en"
    for header in ("fr", "*", "en;q=0"):  # names no language we have: the user's own
        response = api.post(path, json={"status": "rejected"}, headers={"Accept-Language": header})
        assert _errors(response)["error"] == default["error"], header
        assert response.headers["Content-Language"] == "vi"


def test_an_english_users_token_gets_vietnamese_when_asked(client, make):
    user = make.user("coordinator", locale="en")
    api = Api(client, user)
    assert _errors(api.post("/incidents", json={}))["error"] == "The request body is not valid."
    asked = _errors(api.post("/incidents", json={}, headers={"Accept-Language": "vi-VN"}))
    assert asked["error"] == "Nội dung yêu cầu không hợp lệ."
    assert asked["errors"]["title"] == "Trường này là bắt buộc."


def test_a_call_without_a_valid_token_is_answered_in_the_language_asked(client):
    response = client.get(API + "/incidents", headers={"Accept-Language": "en"})
    assert _errors(response, 401)["error"] == "A valid bearer token is required."
    assert response.headers["Content-Language"] == "en"


def test_pages_keep_their_own_language_choice(client):
    """Accept-Language decides only for the API: the pages stay in the default or chosen language."""
    text = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="vi"' in text


# --- what comes back from a submitted value -----------------------------------------------------

def test_errors_never_echo_more_than_about_100_characters_of_what_was_sent(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    long_value, long_key = "Ä" * 10_000, "k" * 10_000
    answers = [
        api.post("/incidents", json=_new_incident_body(title=long_value, category=long_value,
                                                       discovered_at=long_value, **{long_key: long_value})),
        api.patch(f"/incidents/{incident.id}", json={"tlp": long_value, long_key + "x": 1}),
        api.post(f"/incidents/{incident.id}/notes", json={"body": 5, "kind": long_value}),
        api.post(f"/incidents/{incident.id}/status", json={"status": long_value}),
        api.get("/incidents?q=" + "z" * 10_000),
    ]
    for response in answers:
        body = _errors(response)
        assert len(response.get_data(as_text=True)) < 2_000, response.get_data(as_text=True)[:300]
        for key, message in body["errors"].items():
            assert len(key) <= 101 and "Ä" * 101 not in message
    keys = _errors(answers[0])["errors"]
    assert "k" * 100 + "…" in keys and "title" in keys and "category" in keys


# --- Location and the document ------------------------------------------------------------------

def test_201_answers_carry_the_location_of_the_incident(api, client, coordinator):
    response = api.post("/incidents", json=_new_incident_body())
    assert response.status_code == 201
    incident_id = response.get_json()["id"]
    assert response.headers["Location"] == f"/api/v1/incidents/{incident_id}"
    assert api.get(response.headers["Location"][len(API):]).get_json()["id"] == incident_id
    note = api.post(f"/incidents/{incident_id}/notes", json={"body": "Đã cô lập máy chủ"})
    assert note.status_code == 201
    assert note.headers["Location"] == f"/api/v1/incidents/{incident_id}"


def test_the_document_shows_a_valid_example_for_every_request_body(client):
    doc = client.get(API + "/openapi.json").get_json()
    bodies = [(path, method, op["requestBody"]) for path, item in doc["paths"].items()
              for method, op in item.items() if isinstance(op, dict) and "requestBody" in op]
    # incidents: 4; systems and servers: create and update each; alerts: 3; heartbeats: 1; reports sent: 1
    assert len(bodies) == 13
    for path, method, body in bodies:
        media = body["content"]["application/json"]
        name = media["schema"]["$ref"].rsplit("/", 1)[-1]
        assert media.get("example"), (path, method)
        Draft202012Validator(doc["components"]["schemas"][name]).validate(media["example"])
    created = doc["paths"]["/incidents"]["post"]["responses"]["201"]
    assert "Location" in created["headers"]


def test_the_documented_create_example_is_accepted(api):
    response = api.post("/incidents", json=openapi.EXAMPLES["IncidentCreate"])
    assert response.status_code == 201, response.get_json()


def test_a_validator_is_built_once_per_schema(api, monkeypatch):
    built, real = [], schemas.Draft202012Validator

    def counting(schema, *args, **kwargs):
        built.append(schema)
        return real(schema, *args, **kwargs)

    counting.check_schema = real.check_schema
    monkeypatch.setattr(schemas, "Draft202012Validator", counting)
    monkeypatch.setattr(schemas, "_validators", {})
    for n in range(3):
        assert api.post("/incidents", json=_new_incident_body(title=f"Sự cố {n}")).status_code == 201
    assert built == [schemas.INCIDENT_CREATE]


# --- answers after the single commit -------------------------------------------------------------

def test_a_patch_answers_with_the_new_agency_and_assignee(api, make, coordinator):
    incident = make.incident(actor=coordinator)
    other, responder = make.agency(), make.user("responder")
    response = api.patch(f"/incidents/{incident.id}", json={"agency_id": other.id, "assignee_id": responder.id,
                                                            "version": 1})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["agency"]["id"] == other.id and body["agency"]["code"] == other.code
    assert body["assignee"]["id"] == responder.id and body["version"] == 2
