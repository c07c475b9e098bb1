"""The search engine against the Python reference (tests/support/search_reference.py) over
generated entities and rules, on SQLite and PostgreSQL; and keyset paging while entities change."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.catalog import search
from app.catalog.engine import open_engine
from app.catalog.rules import OPERATORS, PRESETS, parse_query
from app.catalog.tables import entities, metadata
from app.errors import BadRequest
from app.mapping.blueprints import Blueprint
from tests.support import search_reference

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BLUEPRINTS = {
    "svc": Blueprint("svc", {}, relations={
        "env": {"target": "env", "required": True, "many": False},
        "deps": {"target": "svc", "required": False, "many": True}}),
    "env": Blueprint("env", {}),
}
PROPERTIES = ("s", "n", "b", "arr", "d")

# Few letters, so that generated values and rule values often meet (A: case counts).
texts = st.text(alphabet="abAé", max_size=3)
identifiers = st.text(alphabet="ab1", min_size=1, max_size=2)
numbers = st.integers(-3, 3) | st.sampled_from([0.5, -1.5, 2.5])
stamps = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 6, 1)).map(
    lambda d: d.replace(tzinfo=UTC))
json_values = (texts | numbers | st.booleans() | st.none() | st.lists(texts, max_size=3)
               | stamps.map(lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z")))


@st.composite
def an_entity(draw):
    blueprint = draw(st.sampled_from(sorted(BLUEPRINTS)))
    relations = {}
    if blueprint == "svc":
        relations = draw(st.fixed_dictionaries({}, optional={
            "env": identifiers | st.none(), "deps": st.lists(identifiers, max_size=3)}))
    return {"blueprint": blueprint, "identifier": draw(identifiers),
            "title": draw(texts | st.none()), "icon": None,
            "team": draw(st.none() | st.lists(texts, max_size=2)),
            "properties": draw(st.dictionaries(st.sampled_from(PROPERTIES), json_values, max_size=4)),
            "relations": relations, "created_at": draw(stamps), "updated_at": draw(stamps),
            "deleted": draw(st.booleans().map(lambda b: b and draw(st.booleans())))}


def unique_entities(items):
    seen = {}
    for item in items:
        seen.setdefault((item["blueprint"], item["identifier"]), item)
    return list(seen.values())


entity_sets = st.lists(an_entity(), max_size=25).map(unique_entities)
names = st.sampled_from(PROPERTIES + ("missing", "$identifier", "$title", "$blueprint", "$team",
                                      "$createdAt", "$updatedAt"))


TIME_OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "between", "notBetween", "isEmpty", "isNotEmpty")


@st.composite
def a_comparison(draw, operator=None):
    name = draw(names.filter(lambda n: operator in TIME_OPERATORS or n not in ("$createdAt", "$updatedAt"))
                if operator else names)
    timed = name in ("$createdAt", "$updatedAt")
    allowed = [o for o in OPERATORS if not timed or o in TIME_OPERATORS]
    operator = operator or draw(st.sampled_from(allowed))
    rule = {"property": name, "operator": operator}
    if name not in ("$createdAt", "$updatedAt") and draw(st.integers(0, 4)) == 0:
        rule = {"relation": draw(st.sampled_from(["env", "deps", "missing"])), "operator": operator}
    iso = stamps.map(lambda d: d.isoformat())
    if operator in ("between", "notBetween"):
        rule["value"] = draw(st.sampled_from(PRESETS).map(lambda p: {"preset": p})
                             | st.tuples(iso, iso).map(lambda p: {"from": min(p), "to": max(p)}))
    elif operator in ("in", "notIn", "containsAny"):
        rule["value"] = draw(st.lists(texts, max_size=3))
    elif operator in ("contains", "doesNotContains", "beginsWith", "doesNotBeginsWith",
                      "endsWith", "doesNotEndsWith"):
        rule["value"] = draw(texts)
    elif timed:
        rule["value"] = draw(iso)
    elif operator in (">", ">=", "<", "<="):
        rule["value"] = draw(texts | numbers)
    elif operator in ("=", "!="):
        rule["value"] = draw(texts | numbers | st.booleans())
    return rule


related_rules = st.fixed_dictionaries({
    "operator": st.just("relatedTo"), "blueprint": st.sampled_from(sorted(BLUEPRINTS)),
    "value": identifiers | st.lists(identifiers, max_size=3)},
    optional={"direction": st.sampled_from(["upstream", "downstream"]), "required": st.booleans()})
rules = st.recursive(a_comparison() | related_rules, lambda inner: st.fixed_dictionaries({
    "combinator": st.sampled_from(["and", "or"]), "rules": st.lists(inner, max_size=3)}), max_leaves=6)
queries = st.fixed_dictionaries({"combinator": st.sampled_from(["and", "or"]),
                                 "rules": st.lists(rules, max_size=3)})


@pytest.fixture
def catalog(database_url):
    engine = open_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def store(engine, items):
    with engine.begin() as conn:
        conn.execute(entities.delete())
        if items:
            conn.execute(entities.insert(), items)


def found(engine, query, blueprint=None):
    if blueprint is None:
        return sorted((r.blueprint, r.identifier) for r in search.search_all(engine, BLUEPRINTS, query)[1])
    page = search.search_page(engine, BLUEPRINTS, query, blueprint, limit=1000)
    return sorted((r.blueprint, r.identifier) for r in page.rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=entity_sets, document=queries)
def test_the_engine_matches_the_reference(catalog, items, document):
    store(catalog, items)
    query = parse_query(document, BLUEPRINTS, NOW)
    assert found(catalog, query) == search_reference.search(query, items, BLUEPRINTS)


@pytest.mark.parametrize("operator", OPERATORS)
def test_each_operator_within_a_blueprint_matches_the_reference(catalog, operator):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(items=entity_sets, rule=a_comparison(operator), blueprint=st.sampled_from(sorted(BLUEPRINTS)))
    def check(items, rule, blueprint):
        store(catalog, items)
        query = parse_query({"combinator": "and", "rules": [rule]}, BLUEPRINTS, NOW)
        assert found(catalog, query, blueprint) == search_reference.search(query, items, BLUEPRINTS, blueprint)

    check()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=entity_sets, rule=related_rules)
def test_related_to_matches_the_reference(catalog, items, rule):
    store(catalog, items)
    query = parse_query({"combinator": "and", "rules": [rule]}, BLUEPRINTS, NOW)
    assert found(catalog, query) == search_reference.search(query, items, BLUEPRINTS)


def entity(identifier, blueprint="svc", **properties):
    moment = NOW - timedelta(days=1)
    return {"blueprint": blueprint, "identifier": identifier, "title": identifier, "icon": None,
            "team": None, "properties": properties, "relations": {}, "created_at": moment,
            "updated_at": moment, "deleted": False}


def run(engine, rules, blueprint="svc"):
    query = parse_query({"combinator": "and", "rules": rules}, BLUEPRINTS, NOW)
    return [r.identifier for r in search.search_page(engine, BLUEPRINTS, query, blueprint).rows]


def test_documented_examples(catalog):
    store(catalog, [entity("a", status="Open", n=7, tags=["x", "y"]), entity("b", status="open", n=8),
                    entity("c", n="7"), {**entity("d", status="Open"), "deleted": True}])
    assert run(catalog, [{"property": "status", "operator": "=", "value": "Open"}]) == ["a"]
    assert run(catalog, [{"property": "n", "operator": ">", "value": 7}]) == ["b"]
    assert run(catalog, [{"property": "status", "operator": "!=", "value": "Open"}]) == ["b", "c"]
    assert run(catalog, [{"property": "tags", "operator": "containsAny", "value": ["y"]}]) == ["a"]
    assert run(catalog, [{"property": "status", "operator": "contains", "value": "pe"}]) == ["a", "b"]
    assert run(catalog, [{"property": "status", "operator": "isEmpty"}]) == ["c"]
    assert run(catalog, [{"property": "$createdAt", "operator": "between",
                          "value": {"preset": "lastWeek"}}]) == ["a", "b", "c"]
    assert run(catalog, [{"property": "$createdAt", "operator": "between",
                          "value": {"preset": "today"}}]) == []


def test_a_nul_escaped_in_stored_json_is_searched_not_an_error(catalog):
    """A webhook body may escape NUL in a property (`\\u0000`): PostgreSQL's jsonb cannot hold it."""
    store(catalog, [entity("a", s="x\x00y", tags=["\x00"]), entity("b", s="xy")])
    assert run(catalog, [{"property": "s", "operator": "beginsWith", "value": "x"}]) == ["a", "b"]
    assert run(catalog, [{"property": "s", "operator": "=", "value": "xy"}]) == ["b"]
    assert run(catalog, [{"property": "tags", "operator": "isNotEmpty"}]) == ["a"]


def test_pages_serve_each_entity_once_while_entities_change(catalog):
    store(catalog, [entity(f"e{i:03}") for i in range(0, 100, 2)])
    query = parse_query({"combinator": "and", "rules": []}, BLUEPRINTS, NOW)
    seen, cursor, turn, removed = [], None, 0, set()
    while True:
        page = search.search_page(catalog, BLUEPRINTS, query, "svc", limit=7, cursor=cursor)
        seen.extend(r.identifier for r in page.rows)
        with catalog.begin() as conn:
            conn.execute(entities.insert(), [entity(f"e{turn * 13 % 100:03}x"), entity(f"a{turn}")])
            gone = f"e{turn * 34 % 100:03}"
            conn.execute(entities.delete().where(entities.c.identifier == gone))
            removed.add(gone)
        turn += 1
        if page.next is None:
            break
        cursor = page.next
    assert len(seen) == len(set(seen)) and seen == sorted(seen)
    assert {f"e{i:03}" for i in range(0, 100, 2)} - removed <= set(seen)
    assert removed and not removed <= set(seen)


@pytest.mark.parametrize(("document", "where"), [
    ({"combinator": "xor", "rules": []}, "query.combinator"),
    ({"combinator": "and", "rules": [{"property": "s", "operator": "~", "value": 1}]}, "query.rules[0].operator"),
    ({"combinator": "and", "rules": [{"combinator": "or", "rules": [{"property": "$nope", "operator": "="}]}]},
     "query.rules[0].rules[0].property"),
    ({"combinator": "and", "rules": [{"property": "s", "operator": "in", "value": "x"}]}, "query.rules[0].value"),
    ({"combinator": "and", "rules": [{"property": "s", "operator": "between", "value": {"preset": "soon"}}]},
     "query.rules[0].value.preset"),
    ({"combinator": "and", "rules": [{"operator": "relatedTo", "blueprint": "nope", "value": "x"}]},
     "query.rules[0].blueprint"),
    ({"combinator": "and", "rules": [{"property": "$createdAt", "operator": "contains", "value": "x"}]},
     "query.rules[0].property"),
])
def test_bad_queries_name_the_rule(document, where):
    with pytest.raises(BadRequest) as caught:
        parse_query(document, BLUEPRINTS, NOW)
    assert caught.value.reason == "invalid_query" and caught.value.message.startswith(where + ":")


def test_depth_and_rule_count_are_bounded():
    deep = {"combinator": "and", "rules": []}
    for _ in range(20):
        deep = {"combinator": "and", "rules": [deep]}
    with pytest.raises(BadRequest, match="deeper"):
        parse_query(deep, BLUEPRINTS, NOW)
    wide = {"combinator": "or", "rules": [{"property": "s", "operator": "isEmpty"}] * 500}
    with pytest.raises(BadRequest, match="more than"):
        parse_query(wide, BLUEPRINTS, NOW)


def test_a_forged_cursor_is_refused(catalog):
    query = parse_query({"combinator": "and", "rules": []}, BLUEPRINTS, NOW)
    for cursor in ["!!", "e30", search.encode_cursor("env", "x")]:
        with pytest.raises(BadRequest) as caught:
            search.search_page(catalog, BLUEPRINTS, query, "svc", cursor=cursor)
        assert caught.value.reason == "invalid_cursor"


def test_the_sql_reads_no_rows_into_python(catalog):
    """The rule becomes one statement: its text holds the JSON functions of the database."""
    query = parse_query({"combinator": "and", "rules": [{"property": "s", "operator": "=", "value": "x"}]},
                        BLUEPRINTS, NOW)
    where = search.matching(query, catalog.dialect.name, BLUEPRINTS, "svc")
    text = str(sa.select(entities).where(where).compile(catalog))
    assert ("json_type" in text) if catalog.dialect.name == "sqlite" else ("@>" in text)
