"""Port's search routes and read options over the real app: shapes, paging, shaping, refusals."""

import json

import pytest

from tests.support.clients import anonymous_client
from tests.support.helpers import issue, post_event
from tests.support.seed_ocean import catalog_event, seed_ocean_objects

SEARCH = "/v1/blueprints/jiraIssue/entities/search"


def post_issues(client, count):
    for n in range(count):
        status = "Open" if n % 3 else "Done"
        post_event(client, issue(f"OPS-{n}", f"task {n}", status={"name": status}))


def rule(prop, operator, value=None):
    found = {"property": prop, "operator": operator}
    if value is not None:
        found["value"] = value
    return found


def query(*rules, combinator="and"):
    return {"combinator": combinator, "rules": list(rules)}


def identifiers(answer):
    return [e["identifier"] for e in answer.json["entities"]]


def test_a_blueprint_search_pages_with_a_cursor(client):
    post_issues(client, 9)
    body = {"query": query(rule("status", "=", "Open")), "limit": 2}
    seen, answer = [], client.post(SEARCH, json=body)
    while True:
        assert answer.status_code == 200 and answer.json["ok"] is True
        seen += identifiers(answer)
        if answer.json["next"] is None:
            break
        answer = client.post(SEARCH, json={**body, "from": answer.json["next"]})
    assert sorted(seen) == sorted(f"OPS-{n}" for n in range(9) if n % 3)
    assert len(seen) == len(set(seen))


def test_a_search_without_a_query_lists_the_blueprint(client):
    post_issues(client, 3)
    answer = client.post(SEARCH, json={})
    assert sorted(identifiers(answer)) == ["OPS-0", "OPS-1", "OPS-2"]


def test_include_and_exclude_shape_the_entities(client):
    post_issues(client, 1)
    answer = client.post(SEARCH, json={"include": ["identifier", "properties.status"]})
    assert answer.json["entities"] == [{"identifier": "OPS-0", "properties": {"status": "Done"}}]
    answer = client.post(SEARCH, json={"exclude": ["properties", "relations"]})
    assert "properties" not in answer.json["entities"][0] and "title" in answer.json["entities"][0]


def test_the_global_search_answers_matching_blueprints(client):
    post_issues(client, 2)
    answer = client.post("/v1/entities/search", json=query(rule("$identifier", "beginsWith", "OPS-")))
    assert answer.json["matchingBlueprints"] == ["jiraIssue"]
    assert identifiers(answer) == ["OPS-0", "OPS-1"]
    none = client.post("/v1/entities/search", json=query(rule("$title", "contains", "nothing like it")))
    assert none.json == {"ok": True, "matchingBlueprints": [], "entities": []}


def post_seed_catalog(client):
    for kind, items in seed_ocean_objects().items():
        for item in items:
            post_event(client, catalog_event(kind, item, None), webhook="jira-catalog")


def test_related_to_both_directions_and_titles(client):
    post_seed_catalog(client)
    upstream = client.post("/v1/entities/search", json=query(
        {"operator": "relatedTo", "blueprint": "jiraIssue", "value": "PA-1", "direction": "upstream"}))
    assert "jiraProject" in upstream.json["matchingBlueprints"]
    assert ["PA"] == [e["identifier"] for e in upstream.json["entities"] if e["blueprint"] == "jiraProject"]
    downstream = client.post("/v1/blueprints/jiraIssue/entities/search?attach_title_to_relation=true", json={
        "query": query({"operator": "relatedTo", "blueprint": "jiraProject", "value": ["PA"],
                        "direction": "downstream"})})
    assert "PA-1" in identifiers(downstream)
    project = next(e for e in downstream.json["entities"] if e["identifier"] == "PA-1")["relations"]["project"]
    assert project["identifier"] == "PA" and project["title"]


def test_entity_reads_take_ports_read_options(client):
    post_issues(client, 1)
    one = client.get("/v1/blueprints/jiraIssue/entities/OPS-0?include=identifier,title").json["entity"]
    assert one == {"identifier": "OPS-0", "title": "OPS-0 - task 0"}
    listed = client.get("/v1/blueprints/jiraIssue/entities?exclude=properties&exclude_calculated_properties=true")
    assert "properties" not in listed.json["entities"][0]
    bad = client.get("/v1/blueprints/jiraIssue/entities?attach_title_to_relation=maybe")
    assert bad.status_code == 400 and bad.json["reason"] == "invalid_flag"


@pytest.mark.parametrize(("body", "reason", "named"), [
    ({"query": query(rule("status", "like", "x"))}, "invalid_query", "query.rules[0].operator"),
    ({"query": query(query(rule("status", "in", 3)))}, "invalid_query", "query.rules[0].rules[0].value"),
    ({"query": [1]}, "invalid_query", "query"),
    ({"limit": 0}, "invalid_paging", "limit"),
    ({"limit": True}, "invalid_paging", "limit"),
    ({"from": "not-a-cursor"}, "invalid_cursor", "from"),
    ({"from": 5}, "invalid_cursor", "from"),
    ({"include": "identifier"}, "invalid_include", "include"),
    ({"exclude": ["nonsense"]}, "invalid_exclude", "exclude"),
    ({"sort": "x"}, "invalid_query", "sort"),
])
def test_bad_search_bodies_are_400_naming_the_problem(client, body, reason, named):
    answer = client.post(SEARCH, json=body)
    assert answer.status_code == 400 and answer.json["reason"] == reason
    assert named in answer.json["message"]


def one_rule(text):
    """A search body around one rule written as raw JSON text."""
    return b'{"query": {"combinator": "and", "rules": [' + text + b"]}}"


@pytest.mark.parametrize("raw", [
    b"[" * 5000 + b"]" * 5000, b'{"query": ' + b'{"combinator": "and", "rules": [' * 50 + b"]}" * 50 + b"}",
    b"not json", "\ud800".encode("utf-8", "surrogatepass"),
    one_rule(b'{"property": "n", "operator": ">", "value": NaN}'),
    one_rule(b'{"property": "n", "operator": ">", "value": 1e999}'),
    one_rule(b'{"property": "n", "operator": "=", "value": 99999999999999999999999}'),
    one_rule(b'{"property": "s\\u0000", "operator": "=", "value": "x"}'),
    one_rule(b'{"property": "$createdAt", "operator": "=", "value": "9999-99-99"}'),
    one_rule(b'{"property": "s", "operator": "contains", "value": "a\\u0000"}'),
    one_rule(b'{"operator": "relatedTo", "blueprint": "jiraUser", "value": ["\\u0000"]}'),
])
def test_hostile_bodies_are_400_never_500(client, raw):
    for path in (SEARCH, "/v1/entities/search"):
        answer = client.post(path, data=raw, content_type="application/json")
        assert answer.status_code == 400, (path, answer.json)


def test_hostile_values_are_compared_not_executed(client):
    post_issues(client, 2)
    for value in ["' OR 1=1 --", "%", "_", "\\", '"', "é" * 1000]:
        answer = client.post(SEARCH, json={"query": query(rule("status", "contains", value))})
        assert answer.status_code == 200 and identifiers(answer) == []
    wide = client.post(SEARCH, data=json.dumps({"query": query(rule("status", "in", ["x"] * 1001))}),
                       content_type="application/json")
    assert wide.status_code == 400


def test_search_routes_refuse_anonymous_requests(app):
    anonymous = anonymous_client(app)
    for path in (SEARCH, "/v1/entities/search"):
        answer = anonymous.post(path, json=query())
        assert answer.status_code == 401 and answer.json["reason"] == "invalid_api_token"
