"""The pure translation, mapping semantics one by one, without Flask or a database."""

import pytest

from app.mapping.blueprints import Blueprint
from app.mapping.configs import build_config
from app.mapping.translate import build_jq_input, build_jq_input_text, translate
from tests.support.helpers import ROOT, load_fixture, seed_payload

BLUEPRINTS = {
    "thing": Blueprint("thing", {"identifier": "thing"}, properties={
        "name": {"type": "string"}, "count": {"type": "number"},
        "url": {"type": "string", "format": "url"}, "when": {"type": "string", "format": "date-time"},
        "mail": {"type": "string", "format": "email"}, "level": {"type": "string", "enum": ["a", "b"]},
        "flag": {"type": "boolean"}}, relations={"owner": {"target": "thing", "many": False}}),
}


def config_with(*mappings, security=None):
    raw = {"identifier": "t", "mappings": list(mappings), "security": security or {}}
    return build_config(raw, "test.yaml", {}, BLUEPRINTS)


def run(config, body, headers=None, query=None):
    return translate(config, build_jq_input(body, headers or {}, query or {}))


def thing(**entity):
    return {"blueprint": "thing", "entity": {"identifier": ".body.id", **entity}}


def test_filter_false_produces_nothing():
    config = config_with({**thing(), "filter": '.body.kind == "x"'})
    assert run(config, {"id": "a", "kind": "y"}).changes == ()
    assert run(config, {"id": "a", "kind": "x"}).changes[0].identifier == "a"


def test_filter_must_be_exactly_true():
    config = config_with({**thing(), "filter": ".body.kind"})
    assert run(config, {"id": "a", "kind": "yes"}).changes == ()


def test_items_to_parse_exposes_each_item():
    config = config_with({"blueprint": "thing", "itemsToParse": ".body.items",
                          "entity": {"identifier": ".item.id", "title": ".body.prefix + .item.id",
                                     "properties": {"count": ".item.n"}}})
    result = run(config, {"prefix": "P-", "items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}]})
    assert [(c.identifier, c.entity["title"], c.entity["properties"]["count"])
            for c in result.changes] == [("a", "P-a", 1), ("b", "P-b", 2)]


def test_items_to_parse_that_is_not_an_array_fails():
    config = config_with({"blueprint": "thing", "itemsToParse": ".body.items",
                          "entity": {"identifier": ".item.id"}})
    failure = run(config, {"items": {"id": "a"}}).failure
    assert failure.reason == "jq_runtime_error" and failure.field == "itemsToParse"


def test_delete_operation_and_delete_dependents():
    config = config_with({**thing(), "operation": {"type": "delete", "deleteDependents": True}})
    change = run(config, {"id": "a"}).changes[0]
    assert change.operation == "delete" and change.delete_dependents is True


def test_single_quoted_literals_are_rewritten():
    config = config_with(thing(title=r""".body.id + ' - ' + 'it\'s "q"'""", properties={
        "name": "if .body.s == 'Success' then 'ok' else 'no' end"}))
    change = run(config, {"id": "a", "s": "Success"}).changes[0]
    assert change.entity["properties"]["name"] == "ok"
    assert change.entity["title"] == 'a - it\'s "q"'


def test_double_quoted_strings_keep_their_apostrophes():
    config = config_with(thing(title='"it\'s " + .body.id'))
    assert run(config, {"id": "a"}).changes[0].entity["title"] == "it's a"


def test_env_is_not_readable(monkeypatch):
    monkeypatch.setenv("SUPER_SECRET", "hunter2")
    config = config_with(thing(properties={"name": "$ENV.SUPER_SECRET", "count": "env | length"}))
    props = run(config, {"id": "a"}).changes[0].entity["properties"]
    assert props == {"name": None, "count": 0}


def test_missing_identifier_fails_without_changes():
    config = config_with(thing())
    failure = run(config, {"other": 1}).failure
    assert failure.reason == "missing_identifier" and failure.field == "entity.identifier"


def test_runtime_error_names_the_field():
    config = config_with(thing(properties={"name": ".body.id", "count": ".body.n + 1"}))
    result = run(config, {"id": "a", "n": "text"})
    assert result.changes == ()
    assert result.failure.reason == "jq_runtime_error"
    assert result.failure.field == "entity.properties.count" and result.failure.mapping == 0


@pytest.mark.parametrize("prop, value", [
    ("count", "'many'"), ("url", "'not a url'"), ("when", "'yesterday'"), ("mail", "'nobody'"),
    ("level", "'c'"), ("flag", "1"),
])
def test_blueprint_violations_fail(prop, value):
    config = config_with(thing(properties={prop: value}))
    failure = run(config, {"id": "a"}).failure
    assert failure.reason == "blueprint_violation" and failure.field == f"entity.properties.{prop}"


def test_valid_formats_pass_and_null_is_allowed():
    config = config_with(thing(properties={
        "url": "'https://x.example/a'", "when": "'2024-01-02T03:04:05.000+0000' | sub(\"\\\\+0000\"; \"Z\")",
        "mail": "'a@b.io'", "level": "'a'", "flag": "true", "count": "null"}))
    assert run(config, {"id": "a"}).failure is None


def test_bad_identifier_and_relation_fail():
    assert run(config_with(thing()), {"id": "a b"}).failure.reason == "blueprint_violation"
    config = config_with(thing(relations={"owner": ".body.owners"}))
    failure = run(config, {"id": "a", "owners": ["x", "y"]}).failure
    assert failure.field == "entity.relations.owner"


def test_headers_and_query_params_are_visible():
    config = config_with(thing(properties={"name": '.headers["x-thing"] + .queryParams.q'}))
    result = run(config, {"id": "a"}, headers={"X-Thing": "h"}, query={"q": "s"})
    assert result.changes[0].entity["properties"]["name"] == "hs"


def test_text_and_dict_inputs_agree_on_the_seed():
    config = config_with(thing(properties={"name": ".body.issue.fields.summary"}))
    body = seed_payload(id="PI-1")
    import json
    as_text = translate(config, build_jq_input_text(json.dumps(body), {}, {}))
    assert as_text == run(config, body)


def test_seed_mapping_gives_the_seed_entity():
    from app.mapping.configs import load_webhook_configs
    configs = load_webhook_configs(ROOT / "mappings", {"JIRA_WEBHOOK_SECRET": "s"})
    change = run(configs["jira"], seed_payload()).changes[0]
    expected = load_fixture("seed-issue-created.expected-entity.json")
    assert {k: change.entity[k] for k in expected} == expected
