"""mappings/jira-catalog.yaml: the seed's Ocean entities from webhook-shaped events, real payloads."""

import copy
import json

import pytest

from tests.helpers import (BLUEPRINTS, FIXTURES, catalog_event, comparable, expected_entity,
                           load_fixture, post_event, seed_ocean, seed_ocean_objects)


def read_entity(client, kind, identifier, query=""):
    response = client.get(f"/v1/blueprints/{BLUEPRINTS[kind]}/entities/{identifier}{query}")
    assert response.status_code == 200, response.json
    return response.json


def post_seed_objects(client):
    for kind, items in seed_ocean_objects().items():
        for item in items:
            response = post_event(client, catalog_event(kind, item), webhook="jira-catalog")
            assert response.status_code == 202 and response.json["status"] == "applied", response.json


@pytest.mark.parametrize("kind", ["project", "user", "team", "issue"])
def test_seed_ocean_examples_give_the_seed_entities(client, kind):
    post_seed_objects(client)
    identifier = seed_ocean(f"{kind}-entity.json")["identifier"]
    entity = read_entity(client, kind, identifier)["entity"]
    assert comparable(entity) == expected_entity(kind)


def test_related_entities_resolve_when_they_exist(client):
    post_seed_objects(client)
    answer = read_entity(client, "issue", "PA-1", "?include=relations")
    related = answer["relatedEntities"]
    assert related["project"]["identifier"] == "PA"
    assert related["project"]["properties"]["totalIssues"] == 100
    assert related["assignee"] is None and related["parentIssue"] is None
    assert related["subtasks"] == []
    team = read_entity(client, "team", "T-PA", "?include=relations")["relatedEntities"]
    assert [member["title"] for member in team["members"]] == ["AI", "AI-2"]


def test_include_accepts_only_relations(client):
    post_seed_objects(client)
    response = client.get("/v1/blueprints/jiraIssue/entities/PA-1?include=everything")
    assert response.status_code == 400 and response.json["reason"] == "invalid_include"


def test_handling_duration_is_calculated_on_read(client):
    issue = copy.deepcopy(seed_ocean("issue-response.json"))
    issue["fields"]["resolutiondate"] = "2023-11-08T23:02:59.000+0000"
    post_event(client, catalog_event("issue", issue), webhook="jira-catalog")
    entity = read_entity(client, "issue", "PA-1")["entity"]
    assert entity["properties"]["handlingDuration"] == 2.5
    listed = client.get("/v1/blueprints/jiraIssue/entities").json["entities"]
    assert listed[0]["properties"]["handlingDuration"] == 2.5


@pytest.mark.parametrize("event", ["project_deleted", "project_soft_deleted", "project_archived"])
def test_project_removal_events_delete_the_project(client, event):
    post_seed_objects(client)
    response = post_event(client, catalog_event("project", {"key": "PA"}, event),
                          webhook="jira-catalog")
    assert response.json["entities"][0]["operation"] == "delete"
    assert client.get("/v1/blueprints/jiraProject/entities/PA").status_code == 404


@pytest.mark.parametrize("kind,subject,url", [
    ("user", {"name": "admin", "key": "admin"}, "jiraUser/entities/admin"),
    ("team", {"teamId": "T-PA"}, "jiraTeam/entities/T-PA"),
    ("issue", {"key": "PA-1", "fields": {}}, "jiraIssue/entities/PA-1"),
])
def test_deletion_events_delete(client, kind, subject, url):
    post_seed_objects(client)
    post_event(client, catalog_event("user", {"name": "admin", "key": "admin"}), webhook="jira-catalog")
    event = "jira:issue_deleted" if kind == "issue" else f"{kind}_deleted"
    response = post_event(client, catalog_event(kind, subject, event), webhook="jira-catalog")
    assert response.json["status"] == "applied", response.json
    assert client.get(f"/v1/blueprints/{url}").status_code == 404


PAYLOADS = sorted(p.name for p in FIXTURES.glob("*.json") if "expected-entity" not in p.name)


@pytest.mark.parametrize("name", PAYLOADS)
def test_every_real_payload_maps_without_failure(client, name):
    response = post_event(client, (FIXTURES / name).read_bytes(), webhook="jira-catalog")
    assert response.status_code == 202 and response.json["status"] != "failed", response.json
    event = json.loads((FIXTURES / name).read_bytes()).get("webhookEvent")
    if event in ("jira:issue_created", "jira:issue_updated", "project_created"):
        assert response.json["status"] == "applied"


@pytest.mark.parametrize("name,assignee,reporter", [
    ("mattermost-server-issue-updated-resolved-changelog.json", None, "admin"),
    ("mattermost-cloud-issue-created.json", "5cedcb4355a88a0fc86388ba", "5cedcb4355a88a0fc86388ba"),
    ("mattermost-cloud-2024-issue-assigned.json", "789012", None),
])
def test_server_users_by_key_and_cloud_users_by_account_id(client, name, assignee, reporter):
    payload = load_fixture(name)
    post_event(client, payload, webhook="jira-catalog")
    entity = read_entity(client, "issue", payload["issue"]["key"])["entity"]
    assert entity["relations"]["assignee"] == assignee
    assert entity["relations"]["reporter"] == reporter
    assert entity["relations"]["project"] == payload["issue"]["fields"]["project"]["key"]


def test_server_resolved_issue_has_its_dates_and_duration(client):
    payload = load_fixture("mattermost-server-issue-updated-resolved-changelog.json")
    post_event(client, payload, webhook="jira-catalog")
    properties = read_entity(client, "issue", payload["issue"]["key"])["entity"]["properties"]
    assert properties["resolutionDate"] == "2019-08-13T07:23:01.890+0800"
    assert properties["url"].startswith("http://some-instance-test.centralus.cloudapp.azure.com:8080/browse/")
    assert 0.04 < properties["handlingDuration"] < 0.05


def test_server_project_created_maps_url_without_insight(client):
    post_event(client, load_fixture("mobitel-server-project-created.json"), webhook="jira-catalog")
    entity = read_entity(client, "project", "DTP")["entity"]
    assert entity["title"] == "Dev Test Project"
    assert entity["properties"] == {"url": "https://jira.test-example.ru/projects/DTP",
                                    "totalIssues": None}


def test_server_user_event_is_identified_by_key(client):
    user = {"self": "https://jira.example.com/rest/api/2/user?username=jdoe", "name": "jdoe",
            "key": "JIRAUSER10100", "emailAddress": "hidden", "displayName": "J. Doe", "active": True}
    response = post_event(client, catalog_event("user", user, "user_created"), webhook="jira-catalog")
    assert response.json["status"] == "applied", response.json
    entity = read_entity(client, "user", "JIRAUSER10100")["entity"]
    assert entity["properties"]["displayName"] == "J. Doe"
    assert entity["properties"]["emailAddress"] is None


def test_the_webhook_example_still_gives_the_seeds_entity_beside_the_catalog(client):
    post_seed_objects(client)
    response = post_event(client, load_fixture("seed-issue-created.json"))
    assert response.json["status"] == "applied"
    entity = client.get("/v1/blueprints/jiraIssue/entities/PI-1").json["entity"]
    expected = load_fixture("seed-issue-created.expected-entity.json")
    assert {k: entity[k] for k in expected} == expected
