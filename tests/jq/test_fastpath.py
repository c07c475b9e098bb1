"""The fast path against libjq: plain paths, number shapes, and whole mappings."""

import json
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from app.jq.evaluator import NotReproduced
from app.jq.fastpath import FULL, run_plan
from app.jq.values import PathError, as_jq_value, lookup
from app.mapping.blueprints import Blueprint
from app.mapping.configs import build_config
from app.mapping.translate import build_jq_input, translate
from app.runtime import runtime_of
from tests.support.helpers import post_event, seed_payload
from tests.support.jq_documents import compile_jq, documents, render, same, steps


def jq_first(expression, document):
    try:
        return "ok", compile_jq(expression).input_text(json.dumps(document)).first()
    except ValueError:
        return "error", None


def lookup_first(path, document):
    try:
        return "ok", lookup(tuple(path), document)
    except PathError:
        return "error", None


@settings(max_examples=250, deadline=None)
@given(documents, steps)
def test_lookup_is_libjq(document, path):
    fast, slow = lookup_first(path, document), jq_first(render(path, 0), document)
    assert fast[0] == slow[0] and same(fast[1], slow[1])


@settings(max_examples=300, deadline=None)
@given(st.integers(-2 ** 1100, 2 ** 1100) | st.floats(allow_nan=False))
def test_numbers_come_back_as_libjq_returns_them(number):
    assert same(as_jq_value(number), jq_first(".", number)[1])


def test_jq_semantics_on_the_edges():
    assert lookup(("a", "b"), {"a": None}) is None
    assert lookup(("a",), {}) is None
    assert lookup((-1,), [1, 2, 3]) == 3 and lookup((-4,), [1, 2, 3]) is None
    for document in ("s", 1, True, [1]):
        assert lookup_first(("a",), document)[0] == "error"
    assert lookup_first((0,), {"a": 1})[0] == "error"


BLUEPRINTS = {"thing": Blueprint("thing", {"identifier": "thing"}, properties={
    "name": {"type": "string"}, "n": {}, "tags": {}, "u": {}}, relations={"owner": {}})}
FIELDS = st.sampled_from([".body.id", ".body.a.b", ".body.list[1]", '.body["a"].c', ".headers.h",
                          '.body.id + "-x"', "(.body.a | tostring)", ".body.list | length",
                          "'lit'", ".body.a.b // \"none\"", "[.body.n, .body.id]", "keys | length",
                          '.body.id | split("a") | first', ".body.a.b + .body.id"])
FILTERS = st.sampled_from([".body.go", '.body.kind == "x"', "true", ".body.a.b == null",
                           '.body.kind == "x" or .body.go', '.body.kind | IN("x")',
                           "(.body.list | length) > 1"])


@st.composite
def mappings(draw):
    fields = [draw(FIELDS) for _ in range(4)]
    return {"blueprint": "thing", "filter": draw(FILTERS), "entity": {
        "identifier": fields[0], "title": fields[1],
        "properties": {"name": fields[2], "n": fields[3]}, "relations": {"owner": ".body.id"}}}


bodies = st.fixed_dictionaries({}, optional={
    "id": st.text(max_size=3) | st.integers(), "go": st.booleans() | st.none(),
    "kind": st.sampled_from(["x", "y"]), "a": st.none() | st.text(max_size=2) | st.fixed_dictionaries(
        {}, optional={"b": st.integers(-2, 2) | st.text(max_size=2), "c": st.floats(allow_nan=False)}),
    "list": st.lists(st.integers() | st.text(max_size=2), max_size=3) | st.text(max_size=2),
    "n": st.floats(allow_nan=False) | st.integers(-2 ** 60, 2 ** 60)})


@cache
def compiled_mapping(mapping_json):
    config = build_config({"identifier": "t", "mappings": [json.loads(mapping_json)]}, "t.yaml",
                          {}, BLUEPRINTS)
    return config.mappings[0]


@settings(max_examples=200, deadline=None)
@given(mappings(), bodies)
def test_a_mapping_on_the_fast_path_equals_its_full_program(mapping, body):
    compiled = compiled_mapping(json.dumps(mapping, sort_keys=True))
    document = build_jq_input(body, {"h": "v"}, {})
    full = jq_first_program(compiled.program, document)
    fast = run_fast(compiled.fast, document)
    if fast[0] == "left_to_libjq":
        return  # by design the caller then runs the full program (translate.evaluate_mapping)
    assert fast[0] == full[0] and same(fast[1], full[1])


def jq_first_program(program, document):
    try:
        return "ok", program.first_of_text(json.dumps(document))
    except ValueError:
        return "error", None


def run_fast(plan, document):
    try:
        return "ok", run_plan(plan, document)
    except NotReproduced:
        return "left_to_libjq", None
    except ValueError:
        return "error", None


def test_pure_programs_are_remembered_and_each_event_gets_its_own_copy():
    config = build_config({"identifier": "t", "mappings": [
        {"blueprint": "thing", "filter": '.body.k == "x"', "entity": {
            "identifier": ".body.id", "properties": {"tags": "[.body.k]"}}},
        {"blueprint": "thing", "filter": '.body.k == "y"', "entity": {
            "identifier": ".body.id", "properties": {"n": "now"}}}]}, "t.yaml", {}, BLUEPRINTS)
    pure, timed = (m.fast for m in config.mappings)
    assert pure.memoised and not timed.memoised
    document = build_jq_input({"k": "x", "id": "a"}, {}, {})
    first = run_plan(pure, document)
    first["entities"][0]["properties"]["tags"].append("changed")
    assert run_plan(pure, document)["entities"][0]["properties"]["tags"] == ["x"]


def test_the_seed_mappings_run_no_jq(app):
    for mapping in runtime_of(app).configs["jira"].mappings:
        assert mapping.fast.rest is None and mapping.fast.filter_check is not None


def test_only_what_python_does_not_reproduce_goes_to_jq(app):
    plan = runtime_of(app).configs["jira-catalog"].mappings[0].fast
    assert [key for key, from_rest, _ in plan.head + plan.properties + plan.relations
            if from_rest] == ["created", "updated", "resolutionDate", "storyPoints", "subtasks", "assignee",
                              "reporter", "fixVersions", "affectedVersions", "jiraComponents",
                              "sprints", "blocks", "isBlockedBy", "duplicates", "isDuplicatedBy",
                              "clones", "isClonedBy", "causes", "isCausedBy", "relatesTo"]
    assert plan.filter_check is None and plan.memoised and plan.projection is not FULL
    assert set(plan.projection["body"]) == {"webhookEvent", "issue"}


def test_errors_are_still_attributed_to_their_field(app):
    config = runtime_of(app).configs["jira"]
    body = seed_payload(user="a string, not an object")
    failure = translate(config, build_jq_input(body, {}, {})).failure
    assert failure.reason == "jq_runtime_error" and failure.field == "entity.properties.changingUser"
    assert "Cannot index string" in failure.message


def test_a_lone_surrogate_fails_as_libjq_fails_it(client):
    response = post_event(client, json.dumps(seed_payload(user={"displayName": "\ud800"})).encode())
    assert response.status_code == 202
    assert (response.json["status"], response.json["failure"]["reason"]) == (
        "failed", "jq_runtime_error")
