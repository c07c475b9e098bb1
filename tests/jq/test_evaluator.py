"""The Python evaluator against libjq: generated expressions over generated documents."""

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.jq.evaluator import NotReproduced, compile_evaluator
from app.jq.values import PathError
from tests.support.jq_documents import compile_jq, render, same

KEYS = ["a", "b", "s"]
texts = st.text(alphabet="ab/é-", max_size=5)
json_values = st.recursive(
    texts | texts | st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2),
    lambda inner: st.dictionaries(st.sampled_from(KEYS), inner, max_size=3) | st.lists(
        inner, max_size=3),
    max_leaves=10)
documents = st.fixed_dictionaries({}, optional={key: json_values for key in KEYS})
paths = st.lists(st.sampled_from(KEYS) | st.integers(-1, 1), max_size=2).map(lambda p: render(p, 0))
literals = texts.map(json.dumps) | st.sampled_from(["null", "true", "false"])
SEPARATORS = ['"/"', '"ab"', '"é"', '"-"']
BINARY = [" or ", " and ", " == ", " != ", " + ", " | "]


def combine(inner):
    """Expressions built from smaller ones, with or without parentheses (precedence matters)."""
    binary = st.tuples(inner, st.sampled_from(BINARY), inner, st.booleans()).map(
        lambda t: f"({t[0]}){t[1]}({t[2]})" if t[3] else f"{t[0]}{t[1]}{t[2]}")
    split = st.tuples(inner, st.sampled_from(SEPARATORS)).map(lambda t: f"{t[0]} | split({t[1]})")
    typed = inner.map(lambda e: f"{e} | type")
    branches = st.tuples(inner, inner, inner, inner, st.sampled_from(["else", "elif .b then"])).map(
        lambda t: f"if {t[0]} then {t[1]} {t[4]} {t[2]} end" if t[4] == "else"
        else f"if {t[0]} then {t[1]} {t[4]} {t[2]} else {t[3]} end")
    return binary | split | typed | branches | inner.map(lambda e: f"({e}) | first")


expressions = st.recursive(paths | literals, combine, max_leaves=6)


def evaluated(expression, document):
    """("ok", value), ("error", None) or ("skipped", None) when it is left to libjq."""
    function = compile_evaluator(expression)
    assert function is not None, expression
    try:
        return "ok", function(document)
    except PathError:
        return "error", None
    except NotReproduced:
        return "skipped", None


def libjq(expression, document):
    """libjq's outputs, or ("error", None)."""
    try:
        return "ok", compile_jq(expression).input_text(json.dumps(document)).all()
    except ValueError:
        return "error", None


@settings(max_examples=500, deadline=None)
@given(expressions, documents)
def test_every_value_the_evaluator_gives_is_libjq_s_only_output(expression, document):
    try:
        compile_jq(expression)
    except ValueError:
        assume(False)  # `a == b == c` and the like do not compile in jq either
    fast, slow = evaluated(expression, document), libjq(expression, document)
    if fast[0] == "ok":
        assert slow[0] == "ok" and len(slow[1]) == 1 and same(fast[1], slow[1][0])
    elif fast[0] == "error":
        assert slow[0] == "error"


@pytest.mark.parametrize("expression, document, value", [
    ('.s | split("/")', {"s": ""}, []),
    ('.s | split("ab")', {"s": "xabyabab"}, ["x", "y", "", ""]),
    (".s or .s.x", {"s": "text"}, True),
    (".s and .s.x", {"s": False}, False),
    (".a + .b", {"a": None, "b": [1]}, [1]),
    ('.a == "1"', {"a": 1}, False),
    (".a == true", {"a": 1}, False),
    (".a != null", {"a": False}, True),
    ('.a | first', {"a": None}, None),
    ('.a + "-" + .b | split("-") | first', {"a": "x", "b": "y"}, "x"),
    (".a == .b", {"a": "x", "b": 2 ** 60}, False),
    ('.a[-1] | split("/")', {"a": [1, "p/q"]}, ["p", "q"]),
    (".a or .b and .c", {"a": True, "b": False, "c": False}, True),
    ('.a + "b" == "ab"', {"a": "a"}, True),
    ('.a | .b == "x" or .c', {"a": {"b": "x"}}, True),
    ('.a | if type == "string" then . elif . == null then "none" end', {"a": [1]}, [1]),
    ('if .a then "yes" end', {"a": False}, {"a": False}),
])
def test_edges_are_libjq_s(expression, document, value):
    assert same(compile_evaluator(expression)(document), value)
    assert libjq(expression, document) == ("ok", [value])


@pytest.mark.parametrize("value, name", [
    (1, "number"), (1.5, "number"), (True, "boolean"), (None, "null"), ("s", "string"),
    ([], "array"), ({}, "object"),
])
def test_type_names_are_libjq_s(value, name):
    assert compile_evaluator(".a | type")({"a": value}) == name
    assert libjq(".a | type", {"a": value}) == ("ok", [name])


@pytest.mark.parametrize("expression, document", [
    (".a == .b", {"a": 1, "b": 1.0}), (".a + .b", {"a": 1, "b": 2}),
    (".a + .b", {"a": [1], "b": [2]}), ('.a | split("/")', {"a": None}),
    (".a != .b", {"a": [], "b": {}}),
])
def test_values_outside_what_is_reproduced_are_left_to_libjq(expression, document):
    with pytest.raises(NotReproduced):
        compile_evaluator(expression)(document)


@pytest.mark.parametrize("expression", [
    "1", ".a == 1", ".a - .b", ".a // .b", 'split("")', 'split("a"; "g")', "first(.a)", ".a?",
    '"\\ud800"', '"\\(.a)"', "(.a).b", '"x"[0]', ".a | length", "not", "$x", ".a, .b", "(.a",
    "if .a then .b | length else .c end", "if .a | length then 1 else 2 end", ".[]", "..", "",
    "if .a then .b", "if .a then .b else .c", "if .a then (.b else .c end",
])
def test_anything_else_is_left_to_libjq(expression):
    assert compile_evaluator(expression) is None


DEFERRED = ('.a | if type == "object" then [.. | strings] | join(",") '
            'elif . == "x" then (if . then 1 else 2 end) else . end')


@pytest.mark.parametrize("document, expected", [
    ({"a": "s"}, "s"), ({"a": None}, None), ({"a": [1]}, [1]),
    ({"a": {"b": "p", "c": ["q"]}}, "left to libjq"), ({"a": "x"}, "left to libjq"),
])
def test_a_deferred_branch_is_left_to_libjq_only_when_taken(document, expected):
    assert compile_evaluator(DEFERRED) is None
    function = compile_evaluator(DEFERRED, defer=True)
    try:
        value = function(document)
    except NotReproduced:
        value = "left to libjq"
    assert same(value, expected)
    if expected != "left to libjq":
        assert libjq(DEFERRED, document) == ("ok", [expected])


@pytest.mark.parametrize("expression", [
    "if .a | length then 1 else 2 end", "if .a then ) else 1 end", "if .a then else 1 end",
    "if .a then [1 else 2 end",
])
def test_a_condition_or_an_unbalanced_branch_is_never_deferred(expression):
    assert compile_evaluator(expression, defer=True) is None
