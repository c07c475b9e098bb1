"""The read API: blueprints, entities (paged) and events."""

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import SECRET, issue, post_event


def post_issue(client, key, summary="s", timestamp=1700000000000):
    return post_event(client, issue(key, summary, timestamp))


def test_blueprints_are_served(client):
    listed = client.get("/v1/blueprints").json
    assert [b["identifier"] for b in listed["blueprints"]] == [
        "jiraBoard", "jiraComponent", "jiraIssue", "jiraProject", "jiraRelease", "jiraSprint",
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
    assert client.get("/v1/events?webhook=jira-catalog").json["total"] == 0
    assert client.get("/v1/events/999999").status_code == 404


def test_an_event_filter_that_can_match_nothing_is_a_400_naming_what_is_allowed(client):
    status = client.get("/v1/events?status=bogus")
    assert (status.status_code, status.json["reason"]) == (400, "invalid_status")
    assert status.json["message"] == ("status 'bogus' is not an event status; use one of "
                                      "applied, stale, ignored, failed")
    webhook = client.get("/v1/events?webhook=jria")
    assert (webhook.status_code, webhook.json["reason"]) == (400, "invalid_webhook")
    assert webhook.json["message"].endswith("configured: jira, jira-catalog")
    assert client.get("/v1/events?status=").status_code == 200


def test_a_webhook_no_longer_configured_is_still_a_filter_while_its_events_are_logged(
        database_url, mappings_dir):
    settings = {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
                "MAPPINGS_DIR": str(mappings_dir)}
    first = create_app(settings)
    post_issue(first.test_client(), "PI-1", timestamp=1700000000000)
    runtime_of(first).store.close()
    (mappings_dir / "jira.yaml").rename(mappings_dir / "jira.yaml.off")
    second = create_app(settings)
    assert second.test_client().get("/v1/events?webhook=jira").json["total"] == 1
    runtime_of(second).store.close()
