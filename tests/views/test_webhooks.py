"""POST /webhooks/<identifier> through the test client, on both databases."""

import json

import pytest

from app.runtime import runtime_of
from tests.support.helpers import FIXTURES, load_fixture, post_event, seed_payload, sign

ENTITY_URL = "/v1/blueprints/jiraIssue/entities/PI-1"


def catalog_snapshot(client):
    """Every jiraIssue entity and the event count: what 'catalog unchanged' compares."""
    entities = client.get("/v1/blueprints/jiraIssue/entities?limit=1000").json["entities"]
    return entities, client.get("/v1/events").json["total"]


def test_seed_payload_becomes_the_seed_entity(client):
    response = post_event(client, seed_payload())
    assert response.status_code == 202
    assert response.json["ok"] is True and response.json["status"] == "applied"
    assert response.json["entities"][0]["identifier"] == "PI-1"
    entity = client.get(ENTITY_URL).json["entity"]
    expected = load_fixture("seed-issue-created.expected-entity.json")
    assert {k: entity[k] for k in expected} == expected


def test_issue_deleted_removes_the_entity(client):
    post_event(client, seed_payload())
    deleted = seed_payload(webhookEvent="jira:issue_deleted", timestamp=1686916266117)
    response = post_event(client, deleted)
    assert response.status_code == 202 and response.json["status"] == "applied"
    assert response.json["entities"][0]["operation"] == "delete"
    missing = client.get(ENTITY_URL)
    assert missing.status_code == 404 and missing.json["reason"] == "entity_not_found"


# Copies of ../shared/jira-payloads (real payloads, provenance in PROVENANCE.md beside them).
PAYLOAD_FILES = sorted(p.name for p in FIXTURES.glob("*.json") if "expected-entity" not in p.name)


@pytest.mark.parametrize("name", PAYLOAD_FILES)
def test_every_real_payload_gets_a_sensible_202(client, name):
    raw = (FIXTURES / name).read_bytes()
    response = post_event(client, raw)
    assert response.status_code == 202, response.json
    body = json.loads(raw)
    event = body.get("webhookEvent")
    whole_issue = (body.get("issue") or {}).get("fields", {}).get("updated") is not None
    if event in ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted") or (
            (event or "").startswith("comment_") and whole_issue):
        assert response.json["status"] == "applied", response.json
    else:
        assert response.json["status"] == "ignored", response.json


def test_real_issue_payload_fields_are_mapped(client):
    raw = FIXTURES / "mattermost-server-issue-updated-resolved-changelog.json"
    body = json.loads(raw.read_bytes())
    post_event(client, raw.read_bytes())
    key = body["issue"]["key"]
    entity = client.get(f"/v1/blueprints/jiraIssue/entities/{key}").json["entity"]
    assert entity["properties"]["status"] == body["issue"]["fields"]["status"]["name"]
    assert entity["properties"]["lastChangeType"] == "issue_resolved"
    assert entity["properties"]["issueUrl"].endswith("/browse/" + key)


def test_unsigned_request_is_refused_and_changes_nothing(client):
    before = catalog_snapshot(client)
    raw = json.dumps(seed_payload()).encode()
    response = client.post("/webhooks/jira", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 401 and response.json["reason"] == "missing_signature"
    assert catalog_snapshot(client) == before


def test_wrongly_signed_request_is_refused_and_changes_nothing(client):
    before = catalog_snapshot(client)
    raw = json.dumps(seed_payload()).encode()
    response = client.post("/webhooks/jira", data=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature": sign(raw, "not-the-secret")})
    assert response.status_code == 401 and response.json["reason"] == "invalid_signature"
    tampered = client.post("/webhooks/jira", data=raw + b" ", headers={
        "Content-Type": "application/json", "X-Hub-Signature": sign(raw)})
    assert tampered.status_code == 401
    assert catalog_snapshot(client) == before


def test_invalid_json_is_400_and_changes_nothing(client):
    before = catalog_snapshot(client)
    response = post_event(client, b'{"webhookEvent": "jira:issue_created",')
    assert response.status_code == 400 and response.json["reason"] == "invalid_json"
    assert catalog_snapshot(client) == before


@pytest.mark.parametrize("raw, reason", [
    (b"[1, 2]", "json_not_object"), (b'"text"', "json_not_object"),
    (b'{"a": NaN}', "invalid_json"), (b'{"a": "\xff"}', "invalid_utf8"),
    (b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", "json_too_deep"),
])
def test_malformed_bodies_get_precise_reasons(client, raw, reason):
    response = post_event(client, raw)
    assert response.status_code == 400 and response.json["reason"] == reason


def test_oversize_body_is_413_and_changes_nothing(app, client):
    limit = runtime_of(app).settings.MAX_BODY_BYTES
    before = catalog_snapshot(client)
    payload = seed_payload(padding="x" * limit)
    response = post_event(client, payload)
    assert response.status_code == 413 and response.json["reason"] == "body_too_large"
    assert catalog_snapshot(client) == before


def test_unknown_webhook_is_404(client):
    response = post_event(client, seed_payload(), webhook="nope")
    assert response.status_code == 404 and response.json["reason"] == "unknown_webhook"


def test_wrong_method_is_405(client):
    response = client.get("/webhooks/jira")
    assert response.status_code == 405 and response.json["reason"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_wrong_content_type_is_415(client):
    raw = json.dumps(seed_payload()).encode()
    response = client.post("/webhooks/jira", data=raw, headers={
        "Content-Type": "text/plain", "X-Hub-Signature": sign(raw)})
    assert response.status_code == 415 and response.json["reason"] == "unsupported_content_type"


def test_unmatched_event_is_ignored_and_logged(client):
    response = post_event(client, {"webhookEvent": "sprint_started", "sprint": {"id": 1}})
    assert response.status_code == 202 and response.json["status"] == "ignored"
    events = client.get("/v1/events?status=ignored").json["events"]
    assert events[0]["eventType"] == "sprint_started"


def test_mapping_failure_is_recorded_with_raw_event(client):
    payload = seed_payload()
    payload["issue"]["fields"]["summary"] = {"not": "a string"}
    response = post_event(client, payload)
    assert response.status_code == 202 and response.json["status"] == "failed"
    failure = response.json["failure"]
    assert failure["reason"] == "jq_runtime_error" and failure["field"] == "entity.title"
    event = client.get(f"/v1/events/{response.json['eventId']}").json["event"]
    assert json.loads(event["body"]) == payload
    assert event["status"] == "failed" and event["detail"]["mapping"] == 0
    assert client.get(ENTITY_URL).status_code == 404


def test_event_log_keeps_delivery_id_and_no_credentials(client):
    raw = json.dumps(seed_payload()).encode()
    response = client.post("/webhooks/jira", data=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature": sign(raw),
        "X-Atlassian-Webhook-Identifier": "delivery-1", "Authorization": "Basic c2VjcmV0"})
    event = client.get(f"/v1/events/{response.json['eventId']}").json["event"]
    assert event["deliveryId"] == "delivery-1"
    assert "authorization" not in event["headers"]
    assert event["entities"] == [{"blueprint": "jiraIssue", "identifier": "PI-1",
                                  "operation": "upsert", "result": "applied"}]
