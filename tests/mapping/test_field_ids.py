"""mappings/jira-catalog.yaml reading the Sprint and Story Points fields by the ids found in Jira
(`jira.fields` in the mapping input), and without them."""

import pytest

from app.mapping.translate import build_jq_input, translate
from tests.support.helpers import load_fixture
from tests.support.mappings import shipped_configs

CATALOG = shipped_configs()["jira-catalog"]
CLOUD_ISSUE = "mattermost-cloud-issue-created.json"  # Sprint in customfield_10021, a number in customfield_10072


def issue_entity(payload, fields):
    translation = translate(CATALOG, build_jq_input(payload, {}, {}, {"fields": fields}))
    assert translation.failure is None, translation.failure
    [change] = translation.changes
    return change.entity


@pytest.mark.parametrize("fields, sprints", [
    ({"sprint": ["customfield_10021"]}, ["1"]),
    # Ids Jira named but this issue does not carry: the field is found by its value instead.
    ({"sprint": ["customfield_99999"]}, ["1"]),
    ({}, ["1"]),
    # A field Jira named Sprint holding no sprint list: no sprint, and the event still applies.
    ({"sprint": ["customfield_10072"]}, []),
    ({"sprint": "customfield_10021"}, ["1"]),
])
def test_the_sprint_field_by_its_id_else_by_its_value(fields, sprints):
    assert issue_entity(load_fixture(CLOUD_ISSUE), fields)["relations"]["sprints"] == sprints


def test_the_named_field_wins_over_another_field_shaped_like_sprints():
    payload = load_fixture("mattermost-cloud-issue-created-sprint-objects.derived.json")
    payload["issue"]["fields"]["customfield_10500"] = [{"id": 7, "name": "S7", "state": "closed", "boardId": 3}]
    entity = issue_entity(payload, {"sprint": ["customfield_10500"]})
    assert entity["relations"]["sprints"] == ["7"]


def test_story_points_from_the_first_named_field_holding_a_number():
    payload = load_fixture(CLOUD_ISSUE)
    payload["issue"]["fields"]["customfield_10016"] = None
    entity = issue_entity(payload, {"storyPoints": ["customfield_10016", "customfield_10072"]})
    assert entity["properties"]["storyPoints"] == 23


@pytest.mark.parametrize("fields", [{}, {"storyPoints": ["customfield_10021"]}, {"storyPoints": [5]}])
def test_no_story_points_without_a_number_field_named_so(fields):
    entity = issue_entity(load_fixture(CLOUD_ISSUE), fields)
    assert entity["properties"]["storyPoints"] is None
    assert entity["properties"]["status"] == "To Do"


def test_without_the_service_context_the_mapping_reads_as_before():
    translation = translate(CATALOG, build_jq_input(load_fixture(CLOUD_ISSUE), {}, {}))
    [change] = translation.changes
    assert change.entity["relations"]["sprints"] == ["1"] and change.entity["properties"]["storyPoints"] is None
