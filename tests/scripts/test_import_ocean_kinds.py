"""scripts/import_ocean_config.py on Ocean's release, sprint, board and component resources: the converted
configuration gives, for the payloads of tests/fixtures/jira-payloads (PROVENANCE.md), the entities the
shipped mappings/jira-catalog.yaml gives."""

import copy
from pathlib import Path

import pytest
import yaml

from app.config import PROJECT_ROOT
from app.mapping.blueprints import load_blueprints
from app.mapping.configs import build_config, load_webhook_configs
from scripts.import_ocean_config import convert, render
from tests.support.helpers import load_fixture
from tests.support.mappings import changes_of, shipped_configs

OCEAN_KINDS = Path(__file__).parent.parent / "fixtures" / "ocean-kinds" / "port-app-config.yml"
CATALOG = shipped_configs()["jira-catalog"]


def converted_text(ocean):
    config, notes = convert(ocean, "jira-ocean-kinds")
    return render(config, notes)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The fixture's configuration converted, written beside the shipped blueprints and loaded the way
    the service loads MAPPINGS_DIR."""
    text = converted_text(yaml.safe_load(OCEAN_KINDS.read_text(encoding="utf-8")))
    directory = tmp_path_factory.mktemp("mappings")
    (directory / "jira-ocean-kinds.yaml").write_text(text, encoding="utf-8")
    (directory / "blueprints").symlink_to(PROJECT_ROOT / "mappings" / "blueprints")
    return load_webhook_configs(directory, {})["jira-ocean-kinds"], text


def summary(change):
    return change.blueprint, change.identifier, change.operation, change.entity


def board_configuration_changed():
    """Jira's board_configuration_changed carries the board's configuration (same id, name, type,
    location) under `configuration`: the board fixture's board there."""
    board = load_fixture("ocean-testdata-board-created.json")["board"]
    return {"webhookEvent": "board_configuration_changed", "configuration": board}


def version_deleted():
    return {**load_fixture("putit-cloud-version-released.json"), "webhookEvent": "jira:version_deleted"}


PAYLOADS = {
    "putit-cloud-version-released.json": lambda: load_fixture("putit-cloud-version-released.json"),
    "jira:version_deleted": version_deleted,
    "ocean-testdata-sprint-started.json": lambda: load_fixture("ocean-testdata-sprint-started.json"),
    "ocean-testdata-sprint-closed.json": lambda: load_fixture("ocean-testdata-sprint-closed.json"),
    "ocean-testdata-sprint-deleted.json": lambda: load_fixture("ocean-testdata-sprint-deleted.json"),
    "ocean-testdata-board-created.json": lambda: load_fixture("ocean-testdata-board-created.json"),
    "board_configuration_changed": board_configuration_changed,
    "ocean-testdata-board-deleted.json": lambda: load_fixture("ocean-testdata-board-deleted.json"),
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_converted_kinds_give_the_shipped_mappings_entities(converted, name):
    config, _text = converted
    payload = PAYLOADS[name]()
    [change] = changes_of(config, payload)
    [shipped] = changes_of(CATALOG, payload)
    assert summary(change) == summary(shipped)


def test_a_released_version_is_a_released_release(converted):
    config, _text = converted
    [change] = changes_of(config, load_fixture("putit-cloud-version-released.json"))
    assert (change.blueprint, change.identifier, change.operation) == ("jiraRelease", "10000", "upsert")
    assert change.entity["properties"]["released"] is True
    assert change.entity["properties"]["projectId"] == "10002"


def test_sprints_relate_to_their_board_and_deletes_take_dependents(converted):
    config, _text = converted
    [started] = changes_of(config, load_fixture("ocean-testdata-sprint-started.json"))
    assert started.entity["relations"]["board"] == "1"
    [deleted] = changes_of(config, load_fixture("ocean-testdata-sprint-deleted.json"))
    assert (deleted.operation, deleted.delete_dependents) == ("delete", True)


def test_other_kinds_events_are_not_taken_for_these(converted):
    config, _text = converted
    assert changes_of(config, load_fixture("mattermost-cloud-issue-created.json")) == ()
    assert changes_of(config, load_fixture("mobitel-server-project-created.json")) == ()


def test_components_convert_and_the_output_says_jira_sends_no_component_webhooks(converted):
    config, text = converted
    assert "# NOTE: resources[3] (kind component): Jira sends no component webhooks" in text
    # A /rest/api/2/project/{key}/components object, as an importer posts it (no Jira capture exists).
    component = {"id": "10100", "name": "Backend", "description": "API", "assigneeType": "PROJECT_LEAD",
                 "project": "PORT", "projectId": 10000}
    payload = {"webhookEvent": "component_created", "component": component}
    [change] = changes_of(config, payload)
    assert summary(change) == ("jiraComponent", "10100", "upsert", {
        "identifier": "10100", "blueprint": "jiraComponent", "title": "Backend",
        "properties": {"description": "API", "assigneeType": "PROJECT_LEAD"},
        "relations": {"project": "PORT"}})
    [deleted] = changes_of(config, {**payload, "webhookEvent": "component_deleted"})
    assert (deleted.operation, deleted.identifier) == ("delete", "10100")


def test_sprint_state_selector_is_said_not_to_filter_deliveries(converted):
    config, text = converted
    assert "resources[1] (kind sprint): selector.sprintState ['active'] chooses what Ocean fetches" in text
    [closed] = changes_of(config, load_fixture("ocean-testdata-sprint-closed.json"))
    assert closed.entity["properties"]["state"] == "closed"


def test_a_selector_query_filters_the_kinds_deliveries():
    ocean = yaml.safe_load(OCEAN_KINDS.read_text(encoding="utf-8"))
    sprint = ocean["resources"][1]
    sprint["selector"]["query"] = '.state == "active"'
    config, _notes = convert({"resources": [sprint]})
    compiled = build_config(config, "x", {}, load_blueprints(PROJECT_ROOT / "mappings" / "blueprints"))
    assert len(changes_of(compiled, load_fixture("ocean-testdata-sprint-started.json"))) == 1
    assert changes_of(compiled, load_fixture("ocean-testdata-sprint-closed.json")) == ()


def test_fields_only_oceans_fetching_adds_are_named():
    ocean = yaml.safe_load(OCEAN_KINDS.read_text(encoding="utf-8"))
    board = copy.deepcopy(ocean["resources"][2])
    board["port"]["entity"]["mappings"]["relations"]["project"] = ".__projectKeys | first"
    _config, notes = convert({"resources": [board]})
    assert any("relations.project: .__projectKeys is added by Ocean's fetching" in note for note in notes)


def test_ocean_kinds_without_webhooks_are_still_skipped():
    _config, notes = convert({"resources": [{"kind": "epic", "port": {}}, {"kind": "worklog", "port": {}}]})
    assert [note.split(":")[0] for note in notes] == ["resources[0] (kind epic)", "resources[1] (kind worklog)"]
