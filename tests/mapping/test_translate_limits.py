"""A translation that runs away in libjq: the event fails with the limit's reason, is kept for
replay, and the next event translates as usual (on SQLite and PostgreSQL)."""

import json

import pytest

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import SECRET, edit_jira, issue, post_event

TOKEN = "limits-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Normal events take the summary; a crafted payload makes the expression spin or grow.
RUNAWAY_SUMMARY = ("if .body.spin then (def f: f; f) elif .body.grow then ([range(1e9)] | tostring) "
                   "else .body.issue.fields.summary end")


@pytest.fixture
def timeout():
    return "1"


@pytest.fixture
def client(database_url, mappings_dir, timeout):
    edit_jira(mappings_dir, lambda d: d["mappings"][0]["entity"]["properties"].update(
        summary=RUNAWAY_SUMMARY))
    app = create_app({"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
                      "CATALOG_API_TOKEN": TOKEN, "MAPPINGS_DIR": str(mappings_dir),
                      "JQ_TIMEOUT_SECONDS": timeout, "JQ_MEMORY_MB": "64"})
    yield app.test_client()
    runtime_of(app).close()


def stored_event(client, event_id):
    return client.get(f"/v1/events/{event_id}", headers=AUTH).json["event"]


# The growing case gets a time limit it cannot reach first on a busy machine, so the memory limit decides.
@pytest.mark.parametrize("crafted, reason, setting, timeout", [
    ({"spin": True}, "jq_timeout", "JQ_TIMEOUT_SECONDS", "1"),
    ({"grow": True}, "jq_memory", "JQ_MEMORY_MB", "10"),
])
def test_a_runaway_translation_fails_the_event_and_the_next_one_applies(client, crafted, reason,
                                                                        setting, timeout):
    payload = {**issue("PI-1", "Runaway"), **crafted}
    answer = post_event(client, payload)
    assert answer.status_code == 202 and answer.json["status"] == "failed"
    assert answer.json["failure"]["reason"] == reason
    assert setting in answer.json["failure"]["message"]
    event = stored_event(client, answer.json["eventId"])
    assert event["status"] == "failed" and event["detail"]["mapping"] == 0
    assert json.loads(event["body"]) == payload

    normal = post_event(client, issue("PI-2", "Calm"))
    assert normal.status_code == 202 and normal.json["status"] == "applied"
    entity = client.get("/v1/blueprints/jiraIssue/entities/PI-2", headers=AUTH).json["entity"]
    assert entity["properties"]["summary"] == "Calm"


def test_a_failed_runaway_event_is_kept_for_replay(client):
    answer = post_event(client, {**issue("PI-3", "Later"), "spin": True})
    replayed = client.post(f"/v1/events/{answer.json['eventId']}/replay", headers=AUTH)
    assert replayed.status_code in (200, 202)
    assert replayed.json["status"] == "failed"
    assert replayed.json["failure"]["reason"] == "jq_timeout"
