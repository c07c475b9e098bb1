"""Blueprints: relations that must target existing ones, and calculation properties for display."""

import json

import pytest

from app.config import PROJECT_ROOT
from app.errors import ConfigError
from app.mapping.blueprints import Blueprint, load_blueprints, matches_format
from app.mapping.calculations import compile_calculations, explain_calculations


def blueprint_with(calculations):
    definition = {"identifier": "b", "calculationProperties": calculations}
    return Blueprint("b", definition, calculations=compile_calculations("b.json", definition))


def test_calculation_properties_are_evaluated_over_the_entity():
    blueprint = blueprint_with({
        "length": {"title": "Length", "calculation": ".properties.summary | length"},
        "url": {"calculation": '"https://jira.example/browse/" + .identifier'},
        "none": {"calculation": "empty"}})
    entity = {"identifier": "PI-1", "properties": {"summary": "four"}, "relations": {}}
    assert explain_calculations(blueprint, entity) == {
        "length": {"title": "Length", "value": 4},
        "url": {"title": "url", "value": "https://jira.example/browse/PI-1"},
        "none": {"title": "none", "value": None}}


def test_a_broken_calculation_reports_its_error():
    blueprint = blueprint_with({"bad": {"calculation": ".properties.summary | tonumber"},
                                "fine": {"calculation": ".identifier"}})
    results = explain_calculations(blueprint, {"identifier": "x", "properties": {"summary": "a"}})
    assert "error" in results["bad"] and results["fine"]["value"] == "x"


def test_a_calculation_that_does_not_compile_stops_loading():
    with pytest.raises(ConfigError, match="'syntax': JQ does not compile"):
        blueprint_with({"syntax": {"calculation": ".properties |"}})


def test_shipped_relations_target_shipped_blueprints():
    blueprints = load_blueprints(PROJECT_ROOT / "mappings" / "blueprints")
    assert blueprints["jiraIssue"].relations["assignee"]["target"] == "jiraUser"
    assert blueprints["jiraTeam"].relations["members"]["many"] is True


@pytest.mark.parametrize("relation", [{"target": "jiraNowhere"}, {"title": "no target"}])
def test_a_relation_to_an_unknown_blueprint_stops_startup(tmp_path, relation):
    (tmp_path / "thing.json").write_text(json.dumps({"identifier": "thing",
                                                     "relations": {"link": relation}}))
    with pytest.raises(ConfigError) as caught:
        load_blueprints(tmp_path)
    assert "relation 'link'" in str(caught.value) and "is not a blueprint" in str(caught.value)


@pytest.mark.parametrize(("value", "valid"), [
    ("ada@example.com", True), ("a.b+c@sub.example.org", True), ("a@b.c", True),
    ("a@.bc", False), ("a@bc.", False), ("a@bc", False), ("@example.com", False),
    ("ada@", False), ("a@b@c.d", False), ("a b@c.d", False), ("a@b.c\n", False),
    ("a@" + "." * 20000 + "@", False), ("a@" + "." * 20000, True),
])
def test_email_format(value, valid):
    assert matches_format("email", value) is valid
