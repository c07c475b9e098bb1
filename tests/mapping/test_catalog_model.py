"""mappings/jira-catalog.yaml's releases, sprints, boards and components, and the issue's relations
to them and to linked issues, on the payloads of tests/fixtures/jira-payloads (PROVENANCE.md)."""

import copy

import pytest

from tests.support.helpers import load_fixture, post_event
from tests.support.mappings import changes_of, shipped_configs

CLOUD_ISSUE = "mattermost-cloud-issue-created.json"


@pytest.fixture
def database_url(sqlite_url):
    return sqlite_url


CATALOG = shipped_configs()["jira-catalog"]


def only(payload):
    [change] = changes_of(CATALOG, payload)
    return change


def test_a_released_version_is_released():
    change = only(load_fixture("putit-cloud-version-released.json"))
    assert (change.blueprint, change.identifier, change.operation) == ("jiraRelease", "10000", "upsert")
    assert change.entity["title"] == "1.0"
    assert change.entity["properties"] == {
        "description": "", "released": True, "archived": False, "overdue": False,
        "startDate": None, "releaseDate": None, "projectId": "10002"}


def test_a_deleted_version_is_deleted():
    payload = {**load_fixture("putit-cloud-version-released.json"), "webhookEvent": "jira:version_deleted"}
    change = only(payload)
    assert (change.blueprint, change.identifier, change.operation) == ("jiraRelease", "10000", "delete")


@pytest.mark.parametrize("name, sprints", [
    (CLOUD_ISSUE, ["1"]),
    ("mattermost-cloud-issue-created-sprint-objects.derived.json", ["1"]),
    ("oizhaolei-cloud-v3-issue-updated-dc-sprint.derived.json", ["2"]),
    ("mattermost-cloud-issue-created-unreadable-sprint.derived.json", []),
    ("seed-issue-created.json", []),
])
def test_the_sprint_field_is_found_by_its_value_whatever_its_id(name, sprints):
    change = only(load_fixture(name))
    assert change.entity["relations"]["sprints"] == sprints


def test_an_unreadable_sprint_field_still_applies_everything_else():
    expected = only(load_fixture(CLOUD_ISSUE)).entity
    change = only(load_fixture("mattermost-cloud-issue-created-unreadable-sprint.derived.json"))
    assert change.entity["properties"] == expected["properties"]
    assert {**change.entity["relations"], "sprints": ["1"]} == expected["relations"]


def test_versions_and_components_relate_the_issue():
    relations = only(load_fixture(CLOUD_ISSUE)).entity["relations"]
    assert (relations["fixVersions"], relations["affectedVersions"]) == (["10000", "10001"], [])
    payload = load_fixture("restapijira-cloud-issue-updated.derived.json")
    payload["issue"]["fields"].update(versions=[{"id": "10005", "name": "1.0"}, {"name": "no id"}],
                                      components=[{"id": "10000", "name": "COMP-1"}])
    relations = only(payload).entity["relations"]
    assert (relations["affectedVersions"], relations["jiraComponents"]) == (["10005"], ["10000"])


def test_issue_links_become_relations_by_their_phrase():
    relations = only(load_fixture("mattermost-cloud-issue-created-links.derived.json")).entity["relations"]
    assert relations["relatesTo"] == ["INDEV-608", "INDEV-614"]
    assert (relations["blocks"], relations["isBlockedBy"]) == (["INDEV-610"], ["INDEV-611"])
    assert relations["duplicates"] == relations["clones"] == relations["causes"] == []


@pytest.mark.parametrize("name", ["mobitel-server-issuelink-created.json"])
def test_issue_link_events_are_ignored(name):
    assert changes_of(CATALOG, load_fixture(name)) == ()


def test_sprint_events():
    started = only(load_fixture("ocean-testdata-sprint-started.json"))
    assert (started.blueprint, started.identifier, started.entity["title"]) == ("jiraSprint", "1", "Sprint 1")
    assert started.entity["properties"]["state"] == "active"
    assert started.entity["relations"] == {"board": "1"}
    closed = only(load_fixture("ocean-testdata-sprint-closed.json"))
    assert closed.entity["properties"]["state"] == "closed"
    assert closed.entity["properties"]["completeDate"] == "2026-03-16T00:00:00.000Z"
    deleted = only(load_fixture("ocean-testdata-sprint-deleted.json"))
    assert (deleted.identifier, deleted.operation) == ("1", "delete")


def test_a_sprint_date_that_is_no_date_counts_as_absent():
    payload = load_fixture("ocean-testdata-sprint-started.json")
    payload["sprint"].update(startDate="soon", state=None, originBoardId=None)
    change = only(payload)
    assert change.entity["properties"]["startDate"] is None and change.entity["properties"]["state"] is None
    assert change.entity["relations"] == {"board": None}


def test_board_events():
    created = only(load_fixture("ocean-testdata-board-created.json"))
    assert (created.blueprint, created.identifier, created.entity["title"]) == ("jiraBoard", "1", "PORT board")
    assert created.entity["properties"] == {
        "type": "scrum", "url": "https://exampleorg.atlassian.net/secure/RapidBoard.jspa?rapidView=1"}
    assert created.entity["relations"] == {"project": "PORT"}
    configuration = {"webhookEvent": "board_configuration_changed", "configuration": {
        "id": 1, "name": "PORT board", "type": "kanban", "location": {"type": "project", "key": "PORT"}}}
    changed = only(configuration)
    assert (changed.identifier, changed.entity["properties"]["type"]) == ("1", "kanban")
    assert changed.entity["relations"] == {"project": "PORT"}
    deleted = only(load_fixture("ocean-testdata-board-deleted.json"))
    assert (deleted.blueprint, deleted.identifier, deleted.operation) == ("jiraBoard", "1", "delete")


def test_component_events():
    component = {"self": "https://jira.example.com/rest/api/2/component/10000", "id": "10000",
                 "name": "COMP-1", "description": "Component-1", "assigneeType": "PROJECT_DEFAULT",
                 "project": "TES", "projectId": 10000, "lead": {"key": "JIRAUSER10100", "name": "jdoe"}}
    change = only({"webhookEvent": "component_updated", "component": component})
    assert (change.blueprint, change.identifier, change.entity["title"]) == ("jiraComponent", "10000", "COMP-1")
    assert change.entity["relations"] == {"project": "TES", "lead": "JIRAUSER10100"}
    deleted = only({"webhookEvent": "component_deleted", "component": {"id": "10000"}})
    assert deleted.operation == "delete"


def read(client, blueprint, identifier):
    response = client.get(f"/v1/blueprints/{blueprint}/entities/{identifier}")
    assert response.status_code == 200, response.json
    return response.json["entity"]


def test_an_issue_moved_into_a_sprint_relates_to_it(client):
    before = load_fixture("mattermost-cloud-issue-created-sprint-objects.derived.json")
    before["issue"]["fields"]["customfield_10021"] = None
    after = copy.deepcopy(load_fixture("mattermost-cloud-issue-created-sprint-objects.derived.json"))
    after["timestamp"] = before["timestamp"] + 1000
    sprint = load_fixture("ocean-testdata-sprint-started.json")
    for payload in (sprint, before):
        assert post_event(client, payload, webhook="jira-catalog").json["status"] == "applied"
    assert read(client, "jiraIssue", "KT-22")["relations"]["sprints"] == []
    assert post_event(client, after, webhook="jira-catalog").json["status"] == "applied"
    assert read(client, "jiraIssue", "KT-22")["relations"]["sprints"] == ["1"]
    assert read(client, "jiraSprint", "1")["properties"]["state"] == "active"


def test_a_released_version_over_the_webhook(client):
    answer = post_event(client, load_fixture("putit-cloud-version-released.json"), webhook="jira-catalog")
    assert answer.status_code == 202 and answer.json["status"] == "applied", answer.json
    assert read(client, "jiraRelease", "10000")["properties"]["released"] is True


def test_an_issue_link_event_is_recorded_ignored(client):
    answer = post_event(client, load_fixture("mobitel-server-issuelink-created.json"), webhook="jira-catalog")
    assert answer.status_code == 202 and answer.json["status"] == "ignored"
