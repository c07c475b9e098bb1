"""Webhook-shaped events built from Jira REST objects map, through the shipped jira-catalog
configuration, to the entities (and deletions) Jira's own webhooks give."""

import pytest

from app.ingest.jira_events import build_delete_event, build_event
from tests.support.fake_jira_objects import make_boards, make_components, make_sprints, make_versions
from tests.support.helpers import load_fixture
from tests.support.mappings import changes_of, shipped_configs

REST_OBJECTS = {"release": make_versions(1, 10000)[0], "component": make_components(1, "P1", 10000)[0],
                "board": make_boards(1)[0], "sprint": make_sprints(1, 1)[0]}
BLUEPRINTS = {"release": "jiraRelease", "sprint": "jiraSprint", "board": "jiraBoard", "component": "jiraComponent"}
WEBHOOKS = {"release": ("putit-cloud-version-released.json", "version"),
            "sprint": ("ocean-testdata-sprint-started.json", "sprint"),
            "board": ("ocean-testdata-board-created.json", "board")}


@pytest.fixture
def config():
    return shipped_configs()["jira-catalog"]


@pytest.mark.parametrize("kind", sorted(REST_OBJECTS))
def test_an_object_event_upserts_its_entity_and_a_deletion_deletes_it(config, kind):
    item = REST_OBJECTS[kind]
    (change,) = changes_of(config, build_event(kind, item))
    assert (change.blueprint, change.identifier, change.operation) == (BLUEPRINTS[kind], str(item["id"]), "upsert")
    assert change.entity["title"] == item["name"]
    (deletion,) = changes_of(config, build_delete_event(kind, str(item["id"]), cloud=True))
    assert (deletion.blueprint, deletion.identifier, deletion.operation) == (BLUEPRINTS[kind], str(item["id"]),
                                                                             "delete")


@pytest.mark.parametrize("kind", sorted(WEBHOOKS))
def test_the_webhook_object_rebuilt_as_an_update_gives_the_webhook_entity(config, kind):
    payload = load_fixture(WEBHOOKS[kind][0])
    (live,) = changes_of(config, payload)
    (rebuilt,) = changes_of(config, build_event(kind, payload[WEBHOOKS[kind][1]]))
    assert rebuilt.entity == live.entity


def test_a_released_version_is_a_released_release(config):
    version = {**REST_OBJECTS["release"], "released": True}
    (change,) = changes_of(config, build_event("release", version))
    assert change.entity["properties"]["released"] is True
    assert change.entity["properties"]["projectId"] == "10000"
