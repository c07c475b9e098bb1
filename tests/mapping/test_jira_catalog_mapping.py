"""mappings/jira-catalog.yaml: the seed's Ocean entities from webhook-shaped events, real payloads.

The seed examples go through the live path (HTTP, store, read API); the mapping itself does not
depend on the database, so these run on SQLite (test_relations.py covers both backends)."""

import copy
import json

import pytest

from app.mapping.calculations import add_calculations
from tests.support.helpers import FIXTURES, load_fixture, post_event
from tests.support.mappings import changes_of, shipped_configs
from tests.support.seed_ocean import (
    BLUEPRINTS,
    catalog_event,
    comparable,
    expected_entity,
    seed_ocean,
    seed_ocean_objects,
)

PAYLOADS = sorted(p.name for p in FIXTURES.glob("*.json") if "expected-entity" not in p.name)


@pytest.fixture
def database_url(sqlite_url):
    return sqlite_url


@pytest.fixture
def config():
    return shipped_configs()["jira-catalog"]


def read_entity(client, kind, identifier):
    response = client.get(f"/v1/blueprints/{BLUEPRINTS[kind]}/entities/{identifier}")
    assert response.status_code == 200, response.json
    return response.json["entity"]


def post_seed_objects(client):
    for kind, items in seed_ocean_objects().items():
        for item in items:
            response = post_event(client, catalog_event(kind, item), webhook="jira-catalog")
            assert response.status_code == 202 and response.json["status"] == "applied", response.json


def test_seed_ocean_examples_give_the_seed_entities(client):
    post_seed_objects(client)
    for kind in ("project", "user", "team", "issue"):
        identifier = seed_ocean(f"{kind}-entity.json")["identifier"]
        assert comparable(read_entity(client, kind, identifier)) == expected_entity(kind), kind


def test_handling_duration_is_calculated_on_read(client):
    issue = copy.deepcopy(seed_ocean("issue-response.json"))
    issue["fields"]["resolutiondate"] = "2023-11-08T23:02:59.000+0000"
    post_event(client, catalog_event("issue", issue), webhook="jira-catalog")
    assert read_entity(client, "issue", "PA-1")["properties"]["handlingDuration"] == 2.5
    listed = client.get("/v1/blueprints/jiraIssue/entities").json["entities"]
    assert listed[0]["properties"]["handlingDuration"] == 2.5


def test_the_webhook_example_still_gives_the_seeds_entity_beside_the_catalog(client):
    post_seed_objects(client)
    assert post_event(client, load_fixture("seed-issue-created.json")).json["status"] == "applied"
    entity = client.get("/v1/blueprints/jiraIssue/entities/PI-1").json["entity"]
    expected = load_fixture("seed-issue-created.expected-entity.json")
    assert {k: entity[k] for k in expected} == expected


@pytest.mark.parametrize("kind,event,subject,identifier", [
    ("project", "project_deleted", {"key": "PA"}, "PA"),
    ("project", "project_soft_deleted", {"key": "PA"}, "PA"),
    ("project", "project_archived", {"key": "PA"}, "PA"),
    ("user", "user_deleted", {"name": "admin", "key": "admin"}, "admin"),
    ("user", "user_deleted", {"accountId": "U-PA"}, "U-PA"),
    ("team", "team_deleted", {"teamId": "T-PA"}, "T-PA"),
    ("issue", "jira:issue_deleted", {"key": "PA-1", "fields": {}}, "PA-1"),
])
def test_deletion_events_delete(config, kind, event, subject, identifier):
    [change] = changes_of(config, catalog_event(kind, subject, event))
    assert (change.blueprint, change.operation, change.identifier) == \
        (BLUEPRINTS[kind], "delete", identifier)


@pytest.mark.parametrize("name", PAYLOADS)
def test_every_real_payload_maps_without_failure(config, name):
    payload = json.loads((FIXTURES / name).read_bytes())
    changes = changes_of(config, payload)
    if payload.get("webhookEvent") in ("jira:issue_created", "jira:issue_updated", "project_created"):
        assert changes and changes[0].operation == "upsert"


@pytest.mark.parametrize("name,assignee,reporter", [
    ("mattermost-server-issue-updated-resolved-changelog.json", None, "admin"),
    ("mattermost-cloud-issue-created.json", "5cedcb4355a88a0fc86388ba", "5cedcb4355a88a0fc86388ba"),
    ("mattermost-cloud-2024-issue-assigned.json", "789012", None),
])
def test_server_users_by_key_and_cloud_users_by_account_id(config, name, assignee, reporter):
    payload = load_fixture(name)
    [change] = changes_of(config, payload)
    relations = change.entity["relations"]
    assert (relations["assignee"], relations["reporter"]) == (assignee, reporter)
    assert relations["project"] == payload["issue"]["fields"]["project"]["key"]


def test_server_resolved_issue_has_its_dates_and_duration(config):
    [change] = changes_of(config, load_fixture(
        "mattermost-server-issue-updated-resolved-changelog.json"))
    properties = change.entity["properties"]
    assert properties["resolutionDate"] == "2019-08-13T07:23:01.890+0800"
    assert properties["url"] == "http://some-instance-test.centralus.cloudapp.azure.com:8080/browse/TES-4"
    calculated = add_calculations(config.mappings[0].target, change.entity)["properties"]
    assert 0.04 < calculated["handlingDuration"] < 0.05


def test_python_none_dates_count_as_absent(config):
    [change] = changes_of(config, load_fixture("seed-issue-created.json"))
    assert change.entity["properties"]["resolutionDate"] is None
    assert change.entity["properties"]["created"] == "2023-06-16T11:51:05.291+0000"


def test_server_project_created_maps_url_without_insight(config):
    [change] = changes_of(config, load_fixture("mobitel-server-project-created.json"))
    assert (change.identifier, change.entity["title"]) == ("DTP", "Dev Test Project")
    assert change.entity["properties"] == {"url": "https://jira.test-example.ru/projects/DTP",
                                           "totalIssues": None}


def test_server_user_event_is_identified_by_key(config):
    user = {"self": "https://jira.example.com/rest/api/2/user?username=jdoe", "name": "jdoe",
            "key": "JIRAUSER10100", "emailAddress": "hidden", "displayName": "J. Doe", "active": True}
    [change] = changes_of(config, catalog_event("user", user, "user_created"))
    assert change.identifier == "JIRAUSER10100"
    assert change.entity["properties"]["displayName"] == "J. Doe"
    assert change.entity["properties"]["emailAddress"] is None


def test_backfilled_project_shape_is_mapped(config):
    project = {**seed_ocean_objects()["project"][0], "lead": {"accountId": "U-PA"},
               "projectLead": {"accountId": "U-PA"}}
    [change] = changes_of(config, catalog_event("project", project))
    assert change.entity["properties"]["totalIssues"] == 100


def test_catalog_webhook_is_signed_like_the_jira_one(client):
    body = json.dumps(catalog_event("project", seed_ocean_objects()["project"][0])).encode()
    unsigned = client.post("/webhooks/jira-catalog", data=body,
                           headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json["reason"] == "missing_signature"
    forged = post_event(client, body, webhook="jira-catalog", secret="not-the-secret")
    assert forged.status_code == 401 and forged.json["reason"] == "invalid_signature"
    assert client.get("/v1/blueprints/jiraProject/entities/PA").status_code == 404


# "a@" + dots + "@" makes the naive pattern's domain part backtrack quadratically; at this length
# it exceeds Oniguruma's retry limit ("retry-limit-in-match over") and failed the whole user event.
CRAFTED_ADDRESS = "a@" + "." * 20_000 + "@"


@pytest.mark.parametrize("address", [CRAFTED_ADDRESS, "a@" + "." * 20_000 + " ",
                                     "jdoe@example.com\n", "junk\njdoe@example.com"],
                         ids=["crafted", "crafted-space", "trailing-newline", "second-line"])
def test_address_that_is_no_address_counts_as_absent_over_the_webhook(client, address):
    user = {"accountId": "U-CRAFT", "displayName": "Crafted", "active": True,
            "emailAddress": address}

    response = post_event(client, catalog_event("user", user, "user_updated"),
                          webhook="jira-catalog")

    assert response.status_code == 202 and response.json["status"] == "applied", response.json
    entity = read_entity(client, "user", "U-CRAFT")
    assert entity["properties"]["displayName"] == "Crafted"
    assert entity["properties"].get("emailAddress") is None


def test_plain_address_is_kept(config):
    user = {"accountId": "U-OK", "emailAddress": "j.doe@mail.example.com"}
    [change] = changes_of(config, catalog_event("user", user, "user_created"))
    assert change.entity["properties"]["emailAddress"] == "j.doe@mail.example.com"
