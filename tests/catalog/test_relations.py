"""Relations: placeholders for missing targets (createMissingRelatedEntities) and their limits."""

import pytest

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import post_event
from tests.support.seed_ocean import SEED_ACCOUNT, catalog_event, seed_ocean_objects


@pytest.fixture
def placeholder_client(settings_overrides):
    app = create_app({**settings_overrides, "CREATE_MISSING_RELATED_ENTITIES": "true"})
    yield app.test_client()
    runtime_of(app).store.close()


def post_catalog(client, kind, item, event=None):
    response = post_event(client, catalog_event(kind, item, event), webhook="jira-catalog")
    assert response.status_code == 202 and response.json["status"] == "applied", response.json
    return response


def seed(kind):
    return seed_ocean_objects()[kind][0]


def test_missing_targets_are_not_created_by_default(client):
    post_catalog(client, "issue", seed("issue"))
    assert client.get("/v1/blueprints/jiraProject/entities/PA").status_code == 404
    stored = client.get("/v1/blueprints/jiraIssue/entities/PA-1").json["entity"]
    assert stored["relations"]["project"] == "PA"


def test_missing_targets_get_bare_placeholders_when_configured(placeholder_client):
    post_catalog(placeholder_client, "issue", seed("issue"))
    project = placeholder_client.get("/v1/blueprints/jiraProject/entities/PA").json["entity"]
    assert project["properties"] == {} and project["title"] is None
    user = placeholder_client.get(f"/v1/blueprints/jiraUser/entities/{SEED_ACCOUNT}")
    assert user.status_code == 200
    related = placeholder_client.get(
        "/v1/blueprints/jiraIssue/entities/PA-1?include=relations").json["relatedEntities"]
    assert related["assignee"]["identifier"] == SEED_ACCOUNT


def test_a_placeholder_never_overwrites_and_is_overwritten(placeholder_client):
    post_catalog(placeholder_client, "project", seed("project"))
    post_catalog(placeholder_client, "issue", seed("issue"))
    project = placeholder_client.get("/v1/blueprints/jiraProject/entities/PA").json["entity"]
    assert project["properties"]["totalIssues"] == 100
    post_catalog(placeholder_client, "team", seed("team"))
    post_catalog(placeholder_client, "user", seed("user"))
    user = placeholder_client.get("/v1/blueprints/jiraUser/entities/U-PA").json["entity"]
    assert user["title"] == "AI" and user["properties"]["active"] is True


def test_a_deleted_target_stays_deleted(placeholder_client):
    post_catalog(placeholder_client, "project", seed("project"))
    post_catalog(placeholder_client, "project", {"key": "PA"}, "project_deleted")
    post_catalog(placeholder_client, "issue", seed("issue"))
    assert placeholder_client.get("/v1/blueprints/jiraProject/entities/PA").status_code == 404


def post_all_seed_objects(client):
    for kind, items in seed_ocean_objects().items():
        for item in items:
            post_catalog(client, kind, item)


def test_related_entities_resolve_when_they_exist(client):
    post_all_seed_objects(client)
    answer = client.get("/v1/blueprints/jiraIssue/entities/PA-1?include=relations").json
    related = answer["relatedEntities"]
    assert related["project"]["identifier"] == "PA"
    assert related["project"]["properties"]["totalIssues"] == 100
    assert related["assignee"] is None and related["parentIssue"] is None
    assert related["subtasks"] == []
    team = client.get("/v1/blueprints/jiraTeam/entities/T-PA?include=relations").json
    assert [member["title"] for member in team["relatedEntities"]["members"]] == ["AI", "AI-2"]


def test_a_missing_many_target_is_left_out(client):
    post_all_seed_objects(client)
    post_catalog(client, "user", {"accountId": "U-PA-2"}, "user_deleted")
    team = client.get("/v1/blueprints/jiraTeam/entities/T-PA?include=relations").json
    assert [member["identifier"] for member in team["relatedEntities"]["members"]] == ["U-PA"]
    assert team["entity"]["relations"]["members"] == ["U-PA", "U-PA-2"]


def test_include_accepts_only_relations(client):
    post_all_seed_objects(client)
    response = client.get("/v1/blueprints/jiraIssue/entities/PA-1?include=everything")
    assert response.status_code == 400 and response.json["reason"] == "invalid_include"
    plain = client.get("/v1/blueprints/jiraIssue/entities/PA-1").json
    assert "relatedEntities" not in plain
