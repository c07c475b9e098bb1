"""The JSON API's bearer token: required when CATALOG_API_TOKEN is set, refused when wrong."""

import pytest

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import SECRET


@pytest.fixture
def settings_overrides(sqlite_url):
    return {"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET, "CATALOG_API_TOKEN": "read-token"}


def test_api_token_is_required_when_set(sqlite_url):
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                      "CATALOG_API_TOKEN": "read-token"})
    client = app.test_client()
    assert client.get("/v1/blueprints").status_code == 401
    wrong = client.get("/v1/blueprints", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json["reason"] == "invalid_api_token"
    right = client.get("/v1/blueprints", headers={"Authorization": "Bearer read-token"})
    assert right.status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("authorization", ["Basic cmVhZC10b2tlbg==", "read-token", "Bearer read-tokens",
                                           "Bearer"])
def test_a_wrong_scheme_or_token_is_401_invalid_api_token(client, authorization):
    response = client.get("/v1/blueprints", headers={"Authorization": authorization})

    assert response.status_code == 401 and response.json["reason"] == "invalid_api_token"


def test_the_refusal_names_the_setting_holding_the_token(client):
    message = client.get("/v1/events").json["message"]

    assert "CATALOG_API_TOKEN" in message and "read-token" not in message


def test_without_a_token_set_every_read_is_let_through(sqlite_url):
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET})
    response = app.test_client().get("/v1/blueprints")
    runtime_of(app).store.close()

    assert response.status_code == 200
