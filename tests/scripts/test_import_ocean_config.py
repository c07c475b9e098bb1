"""scripts/import_ocean_config.py: the seed's Ocean configuration, converted, gives the seed's entities."""

import copy

import pytest
import yaml

from app.config import PROJECT_ROOT
from app.mapping.blueprints import load_blueprints
from app.mapping.configs import build_config
from app.mapping.translate import build_jq_input, translate
from scripts.import_ocean_config import NotConvertible, convert, main, rebase, render
from tests.support.seed_ocean import (
    ADDED_ISSUE_RELATIONS,
    SEED_OCEAN,
    catalog_event,
    comparable,
    expected_entity,
    seed_ocean_objects,
)

BLUEPRINTS = load_blueprints(PROJECT_ROOT / "mappings" / "blueprints")
# The seed's Ocean user mapping maps neither; our jiraUser blueprint adds them (fixtures README).
NOT_IN_OCEAN_USER_MAPPING = ("accountId", "avatarUrl")


@pytest.fixture(scope="module")
def seed_conversion():
    """The seed's Ocean configuration converted, compiled once for this module."""
    ocean = yaml.safe_load((SEED_OCEAN / "port-app-config.yml").read_text(encoding="utf-8"))
    config, notes = convert(ocean)
    text = render(config, notes)
    return build_config(yaml.safe_load(text), "imported.yaml", {}, BLUEPRINTS), text


def without_python_nones(value):
    """The seed's example prints nulls as the text "None"; Jira sends null."""
    if value == "None":
        return None
    if isinstance(value, dict):
        return {k: without_python_nones(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_python_nones(v) for v in value]
    return value


def entities_of(config, kind, item, event=None):
    translation = translate(config, build_jq_input(catalog_event(kind, item, event), {}, {}))
    assert translation.failure is None, translation.failure
    return [change.entity for change in translation.changes]


@pytest.mark.parametrize("kind", ["project", "user", "team", "issue"])
def test_converted_seed_config_gives_the_seed_entities(seed_conversion, kind):
    config, _text = seed_conversion
    item = without_python_nones(seed_ocean_objects()[kind][0])
    [entity] = entities_of(config, kind, item)
    expected = expected_entity(kind)
    if kind == "user":
        for name in NOT_IN_OCEAN_USER_MAPPING:
            expected["properties"].pop(name)
    if kind == "issue":  # the seed's Ocean mapping has none of the relations the catalog adds
        for name in ADDED_ISSUE_RELATIONS:
            expected["relations"].pop(name)
    assert comparable(entity) == expected


def test_converted_config_deletes_on_jiras_deletion_events(seed_conversion):
    config, _text = seed_conversion
    translation = translate(config, build_jq_input(
        catalog_event("project", {"key": "PA"}, "project_archived"), {}, {}))
    [change] = translation.changes
    assert (change.operation, change.identifier, change.delete_dependents) == ("delete", "PA", True)


def test_what_cannot_be_converted_is_said_in_the_output(seed_conversion):
    _config, text = seed_conversion
    assert "# NOTE: resources[3] (kind issue): selector.jql" in text
    assert "CREATE_MISSING_RELATED_ENTITIES=true" in text


@pytest.mark.parametrize("expression,rebased", [
    (".key", ".body.issue.key"),
    (".", ".body.issue"),
    (".fields.subtasks | map(.key)", ".body.issue | (.fields.subtasks | map(.key))"),
])
def test_expressions_are_rebased_onto_the_delivery(expression, rebased):
    assert rebase(expression, ".body.issue") == rebased


def ocean_issue_resource(**entity):
    mappings = {"identifier": ".key", "blueprint": '"jiraIssue"', **entity}
    return {"resources": [{"kind": "issue", "selector": {"query": '.fields.status.name != "Done"'},
                           "port": {"entity": {"mappings": mappings}}}]}


def test_selector_query_and_items_to_parse_keep_their_meaning():
    ocean = ocean_issue_resource(identifier=".item.key", title='.key + "/" + .item.key')
    ocean["resources"][0]["port"]["itemsToParse"] = ".fields.subtasks"
    config, _notes = convert(ocean)
    compiled = build_config(config, "x", {}, BLUEPRINTS)
    issue = copy.deepcopy(seed_ocean_objects()["issue"][0])
    issue["fields"]["subtasks"] = [{"key": "PA-2"}, {"key": "PA-3"}]
    assert [e["title"] for e in entities_of(compiled, "issue", issue)] == ["PA-1/PA-2", "PA-1/PA-3"]
    issue["fields"]["status"]["name"] = "Done"
    assert entities_of(compiled, "issue", issue) == []


@pytest.mark.parametrize("ocean,message", [
    (ocean_issue_resource(blueprint='if .x then "a" else "b" end'), "is computed"),
    (ocean_issue_resource(identifier={"combinator": "and", "rules": []}), "search-query identifier"),
    ({"kind": "issue"}, "no 'resources' list"),
])
def test_unconvertible_parts_are_refused(ocean, message):
    with pytest.raises(NotConvertible, match=message):
        convert(ocean)


def test_unknown_kinds_and_search_relations_are_skipped_with_a_note():
    ocean = ocean_issue_resource(relations={"project": {"combinator": "and", "rules": []}})
    ocean["resources"].append({"kind": "epic", "port": {}})
    config, notes = convert(ocean)
    assert "relations" not in config["mappings"][0]["entity"]
    assert config["mappings"][1]["operation"] == "delete"
    assert any("kind epic" in note for note in notes)
    assert any("search queries are not supported" in note for note in notes)


def test_command_line_writes_the_configuration(tmp_path, capsys):
    assert main([str(SEED_OCEAN / "port-app-config.yml"), "--identifier", "jira-migrated"]) == 0
    out = capsys.readouterr()
    assert yaml.safe_load(out.out)["identifier"] == "jira-migrated" and "note:" in out.err
    broken = tmp_path / "broken.yml"
    broken.write_text("resources: nope\n")
    assert main([str(broken)]) == 1
    assert "no 'resources' list" in capsys.readouterr().err
