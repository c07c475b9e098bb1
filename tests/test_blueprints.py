"""Calculation properties, evaluated over an entity as Port does."""

from app.blueprints import Blueprint, calculated_properties


def blueprint_with(calculations):
    return Blueprint("b", {"identifier": "b", "calculationProperties": calculations})


def test_calculation_properties_are_evaluated_over_the_entity():
    blueprint = blueprint_with({
        "length": {"title": "Length", "calculation": ".properties.summary | length"},
        "url": {"calculation": '"https://jira.example/browse/" + .identifier'},
        "none": {"calculation": "empty"}})
    entity = {"identifier": "PI-1", "properties": {"summary": "four"}, "relations": {}}
    assert calculated_properties(blueprint, entity) == {
        "length": {"title": "Length", "value": 4},
        "url": {"title": "url", "value": "https://jira.example/browse/PI-1"},
        "none": {"title": "none", "value": None}}


def test_a_broken_calculation_reports_its_error():
    blueprint = blueprint_with({"bad": {"calculation": ".properties.summary | tonumber"},
                                "syntax": {"calculation": ".properties |"}})
    results = calculated_properties(blueprint, {"identifier": "x", "properties": {"summary": "a"}})
    assert "error" in results["bad"] and "error" in results["syntax"]
