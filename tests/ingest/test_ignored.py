"""An ignored event says why, in the webhook's answer, the event log and after a replay (both
databases)."""

import pytest

from tests.support.helpers import edit_jira, post_event


def add_bulk_mapping(data):
    """A mapping making one jiraIssue per key in the body's `keys` array."""
    data["mappings"].append({"blueprint": "jiraIssue", "filter": '.body.webhookEvent == "bulk"',
                             "itemsToParse": ".body.keys",
                             "entity": {"identifier": ".item", "title": ".item"}})


@pytest.fixture
def settings_overrides(settings_overrides, mappings_dir):
    edit_jira(mappings_dir, add_bulk_mapping)
    return {**settings_overrides, "MAPPINGS_DIR": str(mappings_dir)}


def test_an_ignored_event_names_its_event_type_everywhere(client):
    answer = post_event(client, {"webhookEvent": "jira:version_released"}).json
    why = "no mapping's filter matched: jira:version_released"
    assert (answer["status"], answer["reason"], answer["message"]) == ("ignored", "no_mapping_matched", why)
    assert "failure" not in answer
    listed = client.get("/v1/events?status=ignored").json["events"][0]
    assert listed["reason"] == "no_mapping_matched" and listed["detail"]["message"] == why
    replayed = client.post(f"/v1/events/{answer['eventId']}/replay").json
    assert (replayed["status"], replayed["reason"], replayed["failure"]) == ("ignored", "no_mapping_matched", None)
    assert client.get(f"/v1/events/{answer['eventId']}").json["event"]["detail"]["message"] == why


def test_an_event_without_a_type_says_so(client):
    answer = post_event(client, {"something": "else"}).json
    assert answer["message"] == "no mapping's filter matched: (the body has no webhookEvent)"


def test_a_matching_mapping_without_items_names_itself(client):
    answer = post_event(client, {"webhookEvent": "bulk", "keys": []}).json
    assert (answer["status"], answer["reason"]) == ("ignored", "no_items")
    assert answer["message"].endswith("matched bulk but its itemsToParse gave no items")
    assert post_event(client, {"webhookEvent": "bulk", "keys": ["PI-5"]}).json["status"] == "applied"
