"""Once, newest wins, tombstones, moves and replay, on both databases."""

import copy

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import SECRET, edit_jira, post_event, seed_payload


def issue_event(key, status, timestamp, event="jira:issue_updated", changelog=None):
    payload = seed_payload(webhookEvent=event, timestamp=timestamp)
    payload["issue"] = copy.deepcopy(payload["issue"])
    payload["issue"]["key"] = key
    payload["issue"]["fields"]["status"]["name"] = status
    if changelog:
        payload["changelog"] = {"id": "1", "items": changelog}
    return payload


def status_of(client, key):
    response = client.get(f"/v1/blueprints/jiraIssue/entities/{key}")
    return response.json["entity"]["properties"]["status"] if response.status_code == 200 else None


def test_a_delivery_is_applied_once(client):
    first = post_event(client, issue_event("PI-1", "To Do", 100), delivery_id="d-1")
    again = post_event(client, issue_event("PI-1", "Done", 200), delivery_id="d-1")
    assert first.json["status"] == "applied"
    assert again.status_code == 202 and again.json["status"] == "duplicate"
    assert again.json["eventId"] == first.json["eventId"]
    assert status_of(client, "PI-1") == "To Do"
    assert client.get("/v1/events").json["total"] == 1


def test_older_event_never_overwrites_newer_state(client):
    post_event(client, issue_event("PI-1", "Done", 200))
    late = post_event(client, issue_event("PI-1", "To Do", 100))
    assert late.json["status"] == "stale"
    assert late.json["entities"][0]["result"] == "stale"
    assert status_of(client, "PI-1") == "Done"


def test_the_event_log_records_what_each_event_did(client):
    applied = post_event(client, issue_event("PI-1", "Done", 200)).json["eventId"]
    stale = post_event(client, issue_event("PI-1", "To Do", 100)).json["eventId"]
    logged = {n: client.get(f"/v1/events/{n}").json["event"] for n in (applied, stale)}
    assert [(logged[n]["status"], [e["result"] for e in logged[n]["entities"]])
            for n in (applied, stale)] == [("applied", ["applied"]), ("stale", ["stale"])]
    assert all(logged[n]["processedAt"] for n in (applied, stale))


def test_equal_or_newer_event_applies(client):
    post_event(client, issue_event("PI-1", "To Do", 100))
    assert post_event(client, issue_event("PI-1", "In Progress", 100)).json["status"] == "applied"
    assert post_event(client, issue_event("PI-1", "Done", 101)).json["status"] == "applied"
    assert status_of(client, "PI-1") == "Done"


def test_delete_leaves_a_tombstone_that_older_updates_cannot_pass(client):
    post_event(client, issue_event("PI-1", "To Do", 100))
    post_event(client, issue_event("PI-1", "To Do", 200, event="jira:issue_deleted"))
    late = post_event(client, issue_event("PI-1", "In Progress", 150))
    assert late.json["status"] == "stale" and status_of(client, "PI-1") is None
    newer = post_event(client, issue_event("PI-1", "Reopened", 300))
    assert newer.json["status"] == "applied" and status_of(client, "PI-1") == "Reopened"


def test_delete_before_create_still_wins_when_newer(client):
    post_event(client, issue_event("PI-9", "To Do", 200, event="jira:issue_deleted"))
    assert post_event(client, issue_event("PI-9", "To Do", 100)).json["status"] == "stale"
    assert status_of(client, "PI-9") is None


def test_updated_field_is_the_version_without_timestamp(client):
    newer = issue_event("PI-1", "Done", None)
    del newer["timestamp"]
    newer["issue"]["fields"]["updated"] = "2024-05-02T10:00:00.000+0000"
    older = copy.deepcopy(newer)
    older["issue"]["fields"]["status"]["name"] = "To Do"
    older["issue"]["fields"]["updated"] = "2024-05-01T10:00:00.000+0000"
    post_event(client, newer)
    assert post_event(client, older).json["status"] == "stale"


def test_moved_issue_replaces_the_old_key_in_one_event(client):
    post_event(client, issue_event("OLD-1", "To Do", 100))
    moved = issue_event("NEW-7", "To Do", 200, changelog=[
        {"field": "project", "fromString": "Old", "toString": "New"},
        {"field": "Key", "fieldtype": "jira", "fromString": "OLD-1", "toString": "NEW-7"}])
    response = post_event(client, moved)
    assert [(e["identifier"], e["operation"]) for e in response.json["entities"]] == [
        ("OLD-1", "delete"), ("NEW-7", "upsert")]
    assert status_of(client, "OLD-1") is None and status_of(client, "NEW-7") == "To Do"
    late = post_event(client, issue_event("OLD-1", "Done", 150))
    assert late.json["status"] == "stale" and status_of(client, "OLD-1") is None


def break_issue_title(data):
    """Make the issue title expression fail on every event."""
    data["mappings"][0]["entity"]["title"] = ".body.issue.key + 1"


def test_fixing_a_mapping_and_replaying_repairs_the_catalog(database_url, mappings_dir):
    overrides = {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET}
    edit_jira(mappings_dir, break_issue_title)
    broken = create_app({**overrides, "MAPPINGS_DIR": str(mappings_dir)})
    failed = post_event(broken.test_client(), issue_event("PI-1", "To Do", 100))
    assert failed.json["status"] == "failed"
    assert failed.json["failure"]["field"] == "entity.title"
    runtime_of(broken).store.close()
    fixed = create_app(overrides)
    result = fixed.test_cli_runner().invoke(args=["replay", "--status", "failed"])
    assert f"event {failed.json['eventId']}: applied" in result.output
    assert "replayed 1 events: 1 applied" in result.output
    client = fixed.test_client()
    assert status_of(client, "PI-1") == "To Do"
    event = client.get(f"/v1/events/{failed.json['eventId']}").json["event"]
    assert event["status"] == "applied" and event["reason"] is None
    runtime_of(fixed).store.close()


def test_replay_respects_newest_wins(client):
    old = post_event(client, issue_event("PI-1", "To Do", 100)).json["eventId"]
    post_event(client, issue_event("PI-1", "Done", 200))
    response = client.post(f"/v1/events/{old}/replay")
    assert response.status_code == 200 and response.json["status"] == "stale"
    assert status_of(client, "PI-1") == "Done"
    assert client.post("/v1/events/424242/replay").status_code == 404


def test_replay_cli_filters(app, client):
    post_event(client, issue_event("PI-1", "To Do", 100))
    post_event(client, {"webhookEvent": "sprint_started"})
    result = app.test_cli_runner().invoke(args=["replay", "--status", "ignored"])
    assert "replayed 1 events: 1 ignored" in result.output
    result = app.test_cli_runner().invoke(args=["replay", "--webhook", "nope"])
    assert "nothing to replay" in result.output


def test_request_identifier_path_dedupes(database_url, mappings_dir):
    edit_jira(mappings_dir, lambda data: data["security"].update(
        requestIdentifierPath=".body.issue.id + \"-\" + (.body.timestamp | tostring)"))
    app = create_app({"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
                      "MAPPINGS_DIR": str(mappings_dir)})
    client = app.test_client()
    assert post_event(client, issue_event("PI-1", "To Do", 100)).json["status"] == "applied"
    assert post_event(client, issue_event("PI-1", "To Do", 100)).json["status"] == "duplicate"
    assert post_event(client, issue_event("PI-1", "To Do", 101)).json["status"] == "applied"
    runtime_of(app).store.close()
