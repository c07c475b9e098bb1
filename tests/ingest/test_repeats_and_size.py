"""A signed body sent again under a new delivery id is a duplicate, and an event of thousands of
entities is recorded (applied under MAX_ENTITIES_PER_EVENT, failed over it), with forwarding on
(both databases)."""

import json

import pytest

from tests.support.helpers import edit_jira, post_event, seed_payload
from tests.support.port_helpers import forwarding_overrides
from tests.support.ui_helpers import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def add_bulk_mapping(data):
    """A mapping making one jiraIssue per key in the body's `keys` array."""
    data["mappings"].append({"blueprint": "jiraIssue", "filter": '.body.webhookEvent == "bulk"',
                             "itemsToParse": ".body.keys",
                             "entity": {"identifier": ".item", "title": ".item"}})


@pytest.fixture
def settings_overrides(database_url, fake_port, mappings_dir):
    edit_jira(mappings_dir, add_bulk_mapping)
    return {**forwarding_overrides(database_url, fake_port), "CATALOG_API_TOKEN": TOKEN,
            "MAPPINGS_DIR": str(mappings_dir)}


def outbox_total(client):
    return client.get("/v1/outbox?limit=1", headers=AUTH).json["total"]


def test_the_same_body_under_a_new_delivery_id_is_a_duplicate(client, forwarding):
    first = post_event(client, seed_payload(), delivery_id="delivery-1")
    again = post_event(client, seed_payload(), delivery_id="delivery-2")

    assert (first.json["status"], again.json["status"]) == ("applied", "duplicate")
    assert again.json["eventId"] == first.json["eventId"]
    assert [e["identifier"] for e in again.json["entities"]] == ["PI-1"]
    assert client.get("/v1/events", headers=AUTH).json["total"] == 1
    assert outbox_total(client) == 1


def test_a_changed_body_under_a_new_delivery_id_applies(client, forwarding):
    post_event(client, seed_payload(), delivery_id="delivery-1")
    newer = post_event(client, seed_payload(timestamp=1686916266117), delivery_id="delivery-2")
    assert newer.json["status"] == "applied" and outbox_total(client) == 2


def bulk(count, start=0):
    return json.dumps({"webhookEvent": "bulk",
                       "keys": [f"BULK-{n}" for n in range(start, start + count)]}).encode()


def test_an_event_of_9000_entities_is_applied_with_its_outbox_items(client, forwarding):
    answer = post_event(client, bulk(9000))

    assert answer.status_code == 202 and answer.json["status"] == "applied"
    assert len(answer.json["entities"]) == 9000
    assert outbox_total(client) == 9000
    listed = client.get("/v1/blueprints/jiraIssue/entities?limit=1", headers=AUTH).json
    assert listed["total"] == 9000
    again = post_event(client, bulk(9000))
    assert again.json["status"] == "duplicate" and outbox_total(client) == 9000


def test_an_event_over_the_cap_is_recorded_failed_and_changes_nothing(client, forwarding):
    answer = post_event(client, bulk(20_000))

    assert answer.status_code == 202 and answer.json["status"] == "failed"
    assert answer.json["failure"]["reason"] == "too_many_entities"
    assert "MAX_ENTITIES_PER_EVENT" in answer.json["failure"]["message"]
    stored = client.get(f"/v1/events/{answer.json['eventId']}", headers=AUTH).json["event"]
    assert stored["status"] == "failed" and stored["reason"] == "too_many_entities"
    assert json.loads(stored["body"])["keys"][-1] == "BULK-19999"
    assert outbox_total(client) == 0
    assert client.get("/v1/blueprints/jiraIssue/entities?limit=1", headers=AUTH).json["total"] == 0


def test_a_replay_applies_an_event_refused_for_its_size(client, forwarding):
    failed = post_event(client, bulk(12_000))
    assert failed.json["failure"]["reason"] == "too_many_entities"

    replayed = client.post(f"/v1/events/{failed.json['eventId']}/replay", headers=AUTH)

    assert replayed.status_code == 200 and replayed.json["status"] == "applied"
    assert outbox_total(client) == 12_000
