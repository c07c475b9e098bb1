"""The JSON API's bearer token: always required (configured or generated), compared before the
limit on failed attempts, which is shared through the database; never the UI's cookie."""

import pytest

from app import create_app
from app.access.limits import MAX_FAILURES
from app.runtime import runtime_of
from tests.support.clients import anonymous_client, app_api_token, bearer
from tests.support.helpers import SECRET, post_event, seed_payload
from tests.support.ui_helpers import log_in


@pytest.fixture
def settings_overrides(database_url):
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
            "CATALOG_API_TOKEN": "read-token"}


@pytest.fixture
def anonymous(app):
    return anonymous_client(app)


def test_api_token_is_required_when_set(anonymous):
    missing = anonymous.get("/v1/blueprints")
    assert missing.status_code == 401 and missing.json["reason"] == "invalid_api_token"
    wrong = anonymous.get("/v1/blueprints", headers=bearer("nope"))
    assert wrong.status_code == 401 and wrong.json["reason"] == "invalid_api_token"
    assert anonymous.get("/v1/blueprints", headers=bearer("read-token")).status_code == 200
    assert anonymous.get("/healthz").status_code == 200


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_scheme_is_case_insensitive(anonymous, scheme):
    answer = anonymous.get("/v1/blueprints", headers={"Authorization": f"{scheme} read-token"})

    assert answer.status_code == 200


@pytest.mark.parametrize("authorization", ["Basic cmVhZC10b2tlbg==", "read-token", "Bearer read-tokens",
                                           "Bearer", "Bearerread-token"])
def test_a_wrong_scheme_or_token_is_401_invalid_api_token(anonymous, authorization):
    response = anonymous.get("/v1/blueprints", headers={"Authorization": authorization})

    assert response.status_code == 401 and response.json["reason"] == "invalid_api_token"


def test_the_refusal_names_the_setting_holding_the_token(anonymous):
    message = anonymous.get("/v1/events").json["message"]

    assert "CATALOG_API_TOKEN" in message and "api-token" in message and "read-token" not in message


def test_without_a_token_set_one_is_generated_and_anonymous_reads_are_refused(database_url):
    app = create_app({"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET})
    anonymous = anonymous_client(app)
    token = app_api_token(app)
    try:
        assert len(token) >= 32
        for path in ("/v1/blueprints", "/v1/events", "/v1/outbox"):
            assert anonymous.get(path).status_code == 401
        assert anonymous.get("/v1/blueprints", headers=bearer(token)).status_code == 200
        # A second instance on the same database uses the same token.
        again = create_app({"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET})
        assert app_api_token(again) == token
        runtime_of(again).store.close()
    finally:
        runtime_of(app).store.close()


def test_the_ui_cookie_does_not_open_the_api(app, settings_overrides, tmp_path):
    event_id = post_event(app.test_client(), seed_payload()).json["eventId"]
    browser = anonymous_client(app)
    log_in(browser, "read-token")
    before = app.test_client().get(f"/v1/events/{event_id}").json["event"]

    replay = browser.post(f"/v1/events/{event_id}/replay")
    read = browser.get("/v1/events")

    assert (replay.status_code, read.status_code) == (401, 401)
    assert app.test_client().get(f"/v1/events/{event_id}").json["event"] == before


def test_api_answers_are_not_stored_by_caches(anonymous):
    for path in ("/v1/blueprints", "/v1/events", "/v1/outbox"):
        answer = anonymous.get(path, headers=bearer("read-token"))
        assert answer.headers["Cache-Control"] == "no-store"


def guess(client, path="/v1/blueprints", address="10.1.2.3"):
    return client.get(path, headers=bearer("guess"), environ_base={"REMOTE_ADDR": address})


def test_wrong_tokens_over_the_limit_are_429_but_the_right_one_still_passes(anonymous):
    answers = [guess(anonymous) for _ in range(MAX_FAILURES)]
    assert {a.status_code for a in answers} == {401}

    limited = guess(anonymous)

    assert limited.status_code == 429 and limited.json["reason"] == "too_many_failed_attempts"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60 and "retry in" in limited.json["message"]
    right = anonymous.get("/v1/blueprints", headers=bearer("read-token"),
                          environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert right.status_code == 200
    assert guess(anonymous, address="10.9.9.9").status_code == 401


def test_the_limit_is_shared_by_instances_on_one_database(app, settings_overrides):
    other = create_app(settings_overrides)
    try:
        for _ in range(MAX_FAILURES):
            assert guess(anonymous_client(app)).status_code == 401
        assert guess(anonymous_client(other)).status_code == 429
        assert guess(anonymous_client(other), "/metrics").status_code == 429
    finally:
        runtime_of(other).store.close()


def test_requests_without_credentials_are_not_counted(anonymous):
    for _ in range(MAX_FAILURES + 5):
        assert anonymous.get("/v1/events", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 401
    assert guess(anonymous).status_code == 401


# Routes anyone may call: Jira's deliveries check their own signature, the probe and the login page
# read nothing, the stylesheets are public (Flask's own static route has no folder behind it).
OPEN_ROUTES = {"/healthz", "/webhooks/<identifier>", "/login", "/ui-static/<path:filename>",
               "/static/<path:filename>"}


def test_every_route_refuses_anonymous_requests_in_the_default_configuration(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/catalog.db", "JIRA_WEBHOOK_SECRET": SECRET})
    anonymous = anonymous_client(app)
    values = {"blueprint": "jiraIssue", "identifier": "PI-1", "event_id": 1, "item_id": 1}
    try:
        post_event(app.test_client(), seed_payload())
        checked = 0
        assert "/v1/reconcile" in {rule.rule for rule in app.url_map.iter_rules()}
        for rule in app.url_map.iter_rules():
            if rule.rule in OPEN_ROUTES:
                continue
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<{name}>", str(values.get(name, "x")))
                path = path.replace(f"<int:{name}>", str(values.get(name, 1)))
                path = path.replace(f"<path:{name}>", str(values.get(name, "x")))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                answer = anonymous.open(path, method=method)
                assert answer.status_code in (401, 302), (method, path, answer.status_code)
                if answer.status_code == 302:
                    assert answer.location.startswith("/login"), (method, path)
                checked += 1
        assert checked >= 15
    finally:
        runtime_of(app).store.close()
