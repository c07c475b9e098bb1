"""Signed but odd payloads: recorded with their raw body, never a server error (both databases)."""

import json

import pytest

from app.ingest.events import process_requests
from app.runtime import runtime_of
from tests.support.helpers import post_event, seed_payload


def with_issue(timestamp=1686916266116, drop_timestamp=False, **fields):
    """The seed payload with issue fields replaced, optionally without its `timestamp`."""
    payload = seed_payload(timestamp=timestamp)
    payload["issue"]["fields"].update(fields)
    if drop_timestamp:
        del payload["timestamp"]
    return payload


# Signed payloads that once answered 500 (SQLite, PostgreSQL or both).
ODD_SIGNED_PAYLOADS = {
    "timestamp beyond 64 bits": seed_payload(timestamp=2 ** 70),
    "issue fields a list, no timestamp": {**seed_payload(), "timestamp": None,
                                          "issue": {"key": "PI-1", "fields": [1]}},
    "issue fields a string, no timestamp": {**seed_payload(), "timestamp": "soon",
                                            "issue": {"key": "PI-1", "fields": "x"}},
    "lone surrogate in webhookEvent": seed_payload(webhookEvent="\ud800"),
    "NUL in webhookEvent": seed_payload(webhookEvent="jira:issue_updated\u0000"),
    "NUL in the summary (the title)": with_issue(summary="Migrate\u0000Infra"),
}


@pytest.mark.parametrize("name", sorted(ODD_SIGNED_PAYLOADS))
def test_odd_signed_payloads_are_recorded_not_a_server_error(client, name):
    body = json.dumps(ODD_SIGNED_PAYLOADS[name]).encode("utf-8")
    response = post_event(client, body)
    assert response.status_code == 202, response.get_json()
    stored = client.get(f"/v1/events/{response.json['eventId']}").json["event"]
    assert stored["body"] == body.decode("utf-8")


def test_a_nul_in_the_delivery_id_is_recorded_and_deduplicated(client):
    body = json.dumps(seed_payload()).encode("utf-8")
    first = post_event(client, body, delivery_id="d\u0000-1")
    again = post_event(client, body, delivery_id="d\u0000-1")
    assert (first.status_code, again.status_code) == (202, 202), first.get_json()
    assert (first.json["status"], again.json["status"]) == ("applied", "duplicate")


def test_long_delivery_ids_sharing_a_prefix_stay_distinct(client):
    prefix = "x" * 300
    first = post_event(client, seed_payload(), delivery_id=prefix + "a")
    second = post_event(client, seed_payload(timestamp=1686916266117), delivery_id=prefix + "b")
    again = post_event(client, seed_payload(), delivery_id=prefix + "a")
    assert (first.json["status"], second.json["status"], again.json["status"]) == (
        "applied", "applied", "duplicate")


def test_event_ids_are_not_reused_after_pruning(client, engine):
    from app.ingest.retention import prune_events
    first = post_event(client, {"webhookEvent": "sprint_started"}).json["eventId"]
    prune_events(engine, days=0)
    assert post_event(client, {"webhookEvent": "sprint_started"}).json["eventId"] > first


def test_requests_processed_together_answer_in_order_and_a_bad_body_alone_fails(app):
    state = runtime_of(app)
    older, newer = seed_payload(timestamp=1_000), seed_payload(timestamp=2_000)
    newer["issue"] = dict(newer["issue"], fields=dict(newer["issue"]["fields"], summary="newer"))
    deep = b'{"a":' * 80 + b"1" + b"}" * 80
    requests = [(json.dumps(body).encode(), {"X-Atlassian-Webhook-Identifier": name})
                for name, body in (("n", newer), ("o", older))] + [(deep, {})]

    outcomes = process_requests(state.store, state.configs["jira"], requests, 64, 100)

    assert [o.status for o in outcomes] == ["applied", "stale", "failed"]
    assert outcomes[2].reason == "json_too_deep" and outcomes[2].event_id is None
    entity = app.test_client().get("/v1/blueprints/jiraIssue/entities/PI-1").json["entity"]
    assert entity["properties"]["summary"] == "newer"
