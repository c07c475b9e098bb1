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


def listed(name):
    """The objects a REST answer of tests/fixtures/jira-payloads/rest/ lists (a page's values), by id."""
    answer = load_fixture(f"rest/{name}")
    return {item["id"]: item for item in (answer["values"] if isinstance(answer, dict) else answer)}


@pytest.mark.parametrize("name, identifier, title, properties", [
    ("putit-cloud-version-released.json", "10000", "1.0",
     {"description": "", "released": True, "archived": False, "overdue": False,
      "startDate": None, "releaseDate": None, "projectId": "10002"}),
    ("miaplatform-server-version-created.json", "65456", "v1",
     {"description": "This is the description", "released": False, "archived": False, "overdue": False,
      "startDate": "2024-11-26", "releaseDate": "2024-11-30", "projectId": "12345"}),
])
def test_version_events_give_the_release(name, identifier, title, properties):
    change = only(load_fixture(name))
    assert (change.blueprint, change.identifier, change.operation) == ("jiraRelease", identifier, "upsert")
    assert change.entity["title"] == title
    assert change.entity["properties"] == properties


@pytest.mark.parametrize("name, sprints", [
    (CLOUD_ISSUE, ["1"]),
    ("mattermost-cloud-issue-created-sprint-objects.derived.json", ["1"]),
    ("oizhaolei-cloud-v3-issue-updated-dc-sprint.derived.json", ["2"]),
    ("pinpt-cloud-issue-updated-sprint.json", ["197"]),
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


@pytest.mark.parametrize("name, blueprint, identifier", [
    ("miaplatform-server-version-deleted-merged.json", "jiraRelease", "65456"),
    ("pinpt-cloud-sprint-deleted.json", "jiraSprint", "193"),
    ("ocean-testdata-board-deleted.json", "jiraBoard", "1"),
])
def test_deleted_versions_sprints_and_boards_are_deleted(name, blueprint, identifier):
    change = only(load_fixture(name))
    assert (change.blueprint, change.identifier, change.operation) == (blueprint, identifier, "delete")


def test_versions_as_the_project_versions_answer_lists_them():
    versions = listed("apache-server-rest-api-2-project-versions-response.derived.json")
    started = only({"webhookEvent": "jira:version_updated", "version": versions["12339163"]})
    assert (started.identifier, started.entity["title"]) == ("12339163", "Tenant 1.1.2")
    assert started.entity["properties"] == {
        "description": "Maintenance release", "released": True, "archived": False, "overdue": None,
        "startDate": "2017-01-17", "releaseDate": "2018-09-02", "projectId": "12310710"}
    unreleased = only({"webhookEvent": "jira:version_updated", "version": versions["12322940"]})
    assert unreleased.entity["properties"] == {
        "description": "Maintenance Release", "released": False, "archived": False, "overdue": None,
        "startDate": None, "releaseDate": None, "projectId": "12310710"}


def sprint_properties(state, goal=None, start=None, end=None, complete=None):
    """The jiraSprint properties expected of a sprint event (no sprint here carries createdDate)."""
    return {"state": state, "goal": goal, "startDate": start, "endDate": end, "completeDate": complete,
            "createdDate": None}


@pytest.mark.parametrize("name, identifier, title, properties, board", [
    ("pinpt-cloud-sprint-created.json", "196", "TES Sprint 2", sprint_properties("future"), "9"),
    ("pinpt-cloud-sprint-updated-started.json", "196", "TES Sprint 2", sprint_properties(
        "active", "take over the world! \U0001F30D\U0001F30E\U0001F30F",
        "2020-07-30T21:13:24.588Z", "2020-08-13T21:13:00.000Z"), "9"),
    ("valuestream-cloud-sprint-started.derived.json", "1", "TS Sprint 1", sprint_properties(
        "active", "", "2019-11-22T17:13:15.221Z", "2019-12-06T17:13:00.000Z"), "2"),
    ("valuestream-cloud-sprint-closed.derived.json", "1", "TS Sprint 1", sprint_properties(
        "closed", "", "2019-11-22T17:13:15.221Z", "2019-12-06T17:13:00.000Z", "2019-11-22T17:15:05.352Z"), "2"),
    ("pinpt-cloud-sprint-closed.json", "192", "TSD Sprint 1", sprint_properties(
        "closed", "", "2020-07-07T00:37:08.707Z", "2020-07-21T00:37:06.000Z", "2020-07-07T00:37:55.692Z"), "81"),
])
def test_sprint_events_give_the_sprint_on_its_board(name, identifier, title, properties, board):
    change = only(load_fixture(name))
    assert (change.blueprint, change.identifier, change.operation) == ("jiraSprint", identifier, "upsert")
    assert change.entity["title"] == title
    assert change.entity["properties"] == properties
    assert change.entity["relations"] == {"board": board}


def test_sprints_as_the_board_sprints_answer_lists_them():
    sprints = listed("gojira-server-rest-agile-1-board-sprint-response.json")
    closed = only({"webhookEvent": "sprint_updated", "sprint": sprints[740]})
    assert (closed.identifier, closed.entity["title"]) == ("740", "Iteration-10")
    assert closed.entity["properties"] == sprint_properties(
        "closed", None, "2016-04-11T07:29:03.294-07:00", "2016-04-27T08:29:00.000-07:00",
        "2016-04-28T05:08:48.543-07:00")
    assert closed.entity["relations"] == {"board": "734"}
    future = only({"webhookEvent": "sprint_updated", "sprint": sprints[846]})
    assert (future.entity["properties"]["state"], future.entity["properties"]["goal"]) == ("future", "My Goal")


def test_a_sprint_date_that_is_no_date_counts_as_absent():
    payload = load_fixture("pinpt-cloud-sprint-updated-started.json")
    payload["sprint"].update(startDate="soon", state=None, originBoardId=None)
    change = only(payload)
    assert change.entity["properties"]["startDate"] is None and change.entity["properties"]["state"] is None
    assert change.entity["relations"] == {"board": None}


@pytest.mark.parametrize("name, identifier, title, properties", [
    ("pinpt-cloud-board-created.json", "9", "TES board",
     {"type": "scrum", "url": "https://pinpt-hq.atlassian.net/secure/RapidBoard.jspa?rapidView=9"}),
    ("pinpt-cloud-board-updated.json", "63", "Teamoji Board (updated)",
     {"type": "kanban", "url": "https://pinpt-hq.atlassian.net/secure/RapidBoard.jspa?rapidView=63"}),
])
def test_board_events_without_a_location_relate_to_no_project(name, identifier, title, properties):
    change = only(load_fixture(name))
    assert (change.blueprint, change.identifier, change.operation) == ("jiraBoard", identifier, "upsert")
    assert change.entity["title"] == title
    assert change.entity["properties"] == properties
    assert change.entity["relations"] == {"project": None}


def test_boards_as_the_boards_answer_lists_them():
    boards = listed("gojira-server-rest-agile-1-board-response.json")
    located = only({"webhookEvent": "board_updated", "board": boards[1]})
    assert (located.identifier, located.entity["title"]) == ("1", "Test Mobile")
    assert located.entity["properties"] == {
        "type": "scrum", "url": "https://test.jira.org/secure/RapidBoard.jspa?rapidView=1"}
    assert located.entity["relations"] == {"project": "AP"}
    unlocated = only({"webhookEvent": "board_updated", "board": boards[5]})
    assert unlocated.entity["relations"] == {"project": None}


def test_a_board_configuration_change_maps_the_configuration():
    configuration = load_fixture("rest/gojira-server-rest-agile-1-board-configuration-response.json")
    change = only({"webhookEvent": "board_configuration_changed", "configuration": configuration})
    assert (change.blueprint, change.identifier, change.entity["title"]) == ("jiraBoard", "35", "Test board")
    assert change.entity["properties"] == {
        "type": "kanban", "url": "https://test.jira.org/secure/RapidBoard.jspa?rapidView=35"}
    assert change.entity["relations"] == {"project": "IT"}


def test_components_as_the_component_answer_gives_them():
    component = load_fixture("rest/apache-server-rest-api-2-component-response.json")
    change = only({"webhookEvent": "component_updated", "component": component})
    assert (change.blueprint, change.identifier, change.entity["title"]) == (
        "jiraComponent", "42102", "Some Component")
    assert change.entity["properties"] == {
        "description": None, "assigneeType": "COMPONENT_LEAD", "projectId": "12345"}
    assert change.entity["relations"] == {"project": "ABC", "lead": "firstname.lastname"}
    deleted = only({"webhookEvent": "component_deleted", "component": {"id": component["id"]}})
    assert (deleted.identifier, deleted.operation) == ("42102", "delete")


def read(client, blueprint, identifier):
    response = client.get(f"/v1/blueprints/{blueprint}/entities/{identifier}")
    assert response.status_code == 200, response.json
    return response.json["entity"]


def test_an_issue_moved_into_a_sprint_relates_to_it(client):
    before = load_fixture("mattermost-cloud-issue-created-sprint-objects.derived.json")
    before["issue"]["fields"]["customfield_10021"] = None
    after = copy.deepcopy(load_fixture("mattermost-cloud-issue-created-sprint-objects.derived.json"))
    after["timestamp"] = before["timestamp"] + 1000
    sprint = load_fixture("valuestream-cloud-sprint-started.derived.json")
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


def test_a_closed_sprint_over_the_webhook(client):
    answer = post_event(client, load_fixture("pinpt-cloud-sprint-closed.json"), webhook="jira-catalog")
    assert answer.status_code == 202 and answer.json["status"] == "applied", answer.json
    sprint = read(client, "jiraSprint", "192")
    assert sprint["properties"]["completeDate"] == "2020-07-07T00:37:55.692Z"
    assert sprint["relations"]["board"] == "81"


def test_an_issue_link_event_is_recorded_ignored(client):
    answer = post_event(client, load_fixture("mobitel-server-issuelink-created.json"), webhook="jira-catalog")
    assert answer.status_code == 202 and answer.json["status"] == "ignored"
