"""The read API: blueprints, entities (paged), events, the bearer token and health."""

import copy
import os

import pytest

from app import create_app
from app.runtime import runtime_of
from tests.helpers import SECRET, post_event, seed_payload


def post_issue(client, key, summary="s", timestamp=1700000000000):
    payload = seed_payload(timestamp=timestamp)
    payload["issue"] = copy.deepcopy(payload["issue"])
    payload["issue"]["key"] = key
    payload["issue"]["fields"]["summary"] = summary
    return post_event(client, payload)


def test_blueprints_are_served(client):
    listed = client.get("/v1/blueprints").json
    assert [b["identifier"] for b in listed["blueprints"]] == ["jiraIssue", "jiraProject",
                                                             "jiraTeam", "jiraUser"]
    one = client.get("/v1/blueprints/jiraIssue").json["blueprint"]
    assert one["schema"]["properties"]["issueUrl"]["format"] == "url"
    assert client.get("/v1/blueprints/nope").status_code == 404


def test_entities_are_paged_in_identifier_order(client):
    for n in range(5):
        post_issue(client, f"PI-{n}")
    first = client.get("/v1/blueprints/jiraIssue/entities?limit=2").json
    assert [e["identifier"] for e in first["entities"]] == ["PI-0", "PI-1"]
    assert first["total"] == 5 and first["next"] == 2
    last = client.get("/v1/blueprints/jiraIssue/entities?limit=2&offset=4").json
    assert [e["identifier"] for e in last["entities"]] == ["PI-4"] and last["next"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "limit=x"])
def test_bad_paging_is_400(client, query):
    response = client.get(f"/v1/blueprints/jiraIssue/entities?{query}")
    assert response.status_code == 400 and response.json["reason"] == "invalid_paging"


def test_entity_shape_matches_port(client):
    post_issue(client, "PI-7", "Hello")
    entity = client.get("/v1/blueprints/jiraIssue/entities/PI-7").json["entity"]
    assert set(entity) == {"identifier", "title", "icon", "blueprint", "team", "properties",
                           "relations", "createdAt", "updatedAt"}
    assert entity["title"] == "PI-7 - Hello" and entity["createdAt"].endswith("Z")


def test_events_filter_by_status_and_webhook(client):
    post_issue(client, "PI-1")
    post_event(client, {"webhookEvent": "board_created"})
    assert [e["status"] for e in client.get("/v1/events").json["events"]] == ["ignored", "applied"]
    assert client.get("/v1/events?status=applied").json["total"] == 1
    assert client.get("/v1/events?webhook=other").json["total"] == 0
    assert client.get("/v1/events/999999").status_code == 404


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


def test_healthz_reports_database_failure(sqlite_url):
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET})
    client = app.test_client()
    assert client.get("/healthz").json == {"ok": True}
    engine = runtime_of(app).store.engine
    engine.dispose()
    path = engine.url.database
    os.rename(path, path + ".gone")
    os.makedirs(path)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["reason"] == "database_unavailable"
