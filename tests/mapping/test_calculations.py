"""Calculation properties: compiled once with the blueprint, computed over the read entity."""

import json

import pytest

from app.config import PROJECT_ROOT
from app.errors import ConfigError
from app.jq import sandbox
from app.mapping.blueprints import load_blueprints
from app.mapping.calculations import add_calculations, explain_calculations


def write_blueprint(directory, calculations, properties=None):
    directory.mkdir(exist_ok=True)
    (directory / "thing.json").write_text(json.dumps({
        "identifier": "thing", "schema": {"properties": properties or {}},
        "calculationProperties": calculations}))
    return load_blueprints(directory)["thing"]


def entity(**properties):
    return {"identifier": "T-1", "title": "One", "blueprint": "thing", "properties": properties,
            "relations": {"owner": "U-1"}}


def test_calculations_see_the_whole_entity(tmp_path):
    blueprint = write_blueprint(tmp_path / "bp", {
        "label": {"calculation": ".identifier + ': ' + .title", "type": "string"},
        "owner": {"calculation": ".relations.owner", "type": "string"},
        "double": {"calculation": ".properties.n * 2", "type": "number"}})
    result = add_calculations(blueprint, entity(n=21))
    assert result["properties"] == {"n": 21, "label": "T-1: One", "owner": "U-1", "double": 42}


def test_null_or_failing_calculations_are_left_out(tmp_path):
    blueprint = write_blueprint(tmp_path / "bp", {
        "boom": {"calculation": "error(\"no\")", "type": "string"},
        "none": {"calculation": ".properties.missing", "type": "string"},
        "ok": {"calculation": "1", "type": "number"}})
    assert add_calculations(blueprint, entity())["properties"] == {"ok": 1}


def test_seed_handling_duration_runs_on_libjq():
    blueprint = load_blueprints(PROJECT_ROOT / "mappings" / "blueprints")["jiraIssue"]
    issue = {"identifier": "PA-1", "properties": {"created": "2023-11-06T11:02:59.000+0000",
                                                  "resolutionDate": "2023-11-07T23:02:59.000+0000"}}
    assert add_calculations(blueprint, issue)["properties"]["handlingDuration"] == 1.5
    unresolved = {"identifier": "PA-1", "properties": {"created": "2023-11-06T11:02:59.000+0000"}}
    assert "handlingDuration" not in add_calculations(blueprint, unresolved)["properties"]


@pytest.mark.parametrize("spec,message", [
    ({"calculation": ".properties | ((", "type": "string"}, "JQ does not compile"),
    ({"calculation": "1", "type": "date"}, "unknown type"),
    ({"type": "number"}, "needs a string 'calculation'"),
])
def test_bad_calculations_stop_startup(tmp_path, spec, message):
    with pytest.raises(ConfigError) as caught:
        write_blueprint(tmp_path / "bp", {"calc": spec})
    assert message in str(caught.value) and "'calc'" in str(caught.value)


def test_a_calculation_may_not_shadow_a_property(tmp_path):
    with pytest.raises(ConfigError, match="same name"):
        write_blueprint(tmp_path / "bp", {"n": {"calculation": "1"}}, {"n": {"type": "number"}})


@pytest.fixture
def quick_limits():
    """The webhook path's JQ processes with a one-second limit for the test's duration."""
    previous = sandbox.CONFIGURED[sandbox.TRANSLATION]
    sandbox.configure(sandbox.TRANSLATION, sandbox.Limits(timeout=1.0, memory_mb=128, workers=1))
    yield
    sandbox.configure(sandbox.TRANSLATION, previous)


def test_runaway_calculations_are_left_out_and_explained(tmp_path, quick_limits):
    blueprint = write_blueprint(tmp_path / "bp", {
        "score": {"calculation": "if .properties.spin then (def f: f; f) else 1 end",
                  "type": "number"}})
    assert add_calculations(blueprint, entity(spin=True))["properties"] == {"spin": True}
    [explained] = explain_calculations(blueprint, entity(spin=True)).values()
    assert "JQ_TIMEOUT_SECONDS" in explained["error"]
    assert add_calculations(blueprint, entity(spin=False))["properties"] == {"spin": False,
                                                                             "score": 1}
