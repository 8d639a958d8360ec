def test_healthz_reports_database_and_version(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["version"]


def test_login_page_renders_in_vietnamese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in html


def test_responder_logs_in_and_sees_the_incident_list(client, auth, make):
    user = make.user("responder")
    response = auth.login(user)
    assert response.status_code == 302
    page = client.get("/incidents")
    assert page.status_code == 200
