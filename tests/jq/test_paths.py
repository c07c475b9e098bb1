"""Reading jq expressions: plain paths are recognised exactly, read sets only when certain."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.jq.fastpath import build_projection, project
from app.jq.paths import is_pure, parse_plain_path, root_paths
from tests.support.jq_documents import compile_jq, documents, render, steps


@pytest.mark.parametrize("expression, steps", [
    (".", ()), (".a", ("a",)), (".a.b.c", ("a", "b", "c")), (".a[0]", ("a", 0)),
    (".a[-2]", ("a", -2)), ('.a["x y"]', ("a", "x y")), ('."a b".c', ("a b", "c")),
    ('.["a"][1]', ("a", 1)), (" .a .b ", ("a", "b")), (".a.[0]", ("a", 0)),
])
def test_plain_paths_are_recognised(expression, steps):
    assert parse_plain_path(expression) == steps


@pytest.mark.parametrize("expression", [
    ".a?", ".a[]", ".[]", "..", ".a[1:2]", ".a[.b]", ".a | .b", ".a + .b", "$__loc__", "keys",
    '.["a\\(1)"]', ".a[1.5]", "-.a", ".a // null", '"x"', "1", ".a # comment", "@base64",
])
def test_anything_else_is_not_a_plain_path(expression):
    assert parse_plain_path(expression) is None


@pytest.mark.parametrize("expression, paths", [
    ('.body.a == "x" or .body.a == "y"', [("body", "a"), ("body", "a")]),
    ('(.body.self | split("rest") | first) + "browse/" + .body.key',
     [("body", "self"), ("body", "key")]),
    ('[.a, .b[0]] | map(.x) | length', [("a",), ("b", 0)]),
    ('.a | . as $x | keys | $x', [("a",)]),
    ("-.a * 2 // null", [("a",)]),
    ("1 + 2", []),
    (".a // [] | map(.key)", [("a",)]),
])
def test_read_paths_of_expressions(expression, paths):
    assert root_paths(expression) == paths


@pytest.mark.parametrize("expression", [
    "keys", ".a + length", ". as $x | $x.a", "if .a then .b else .c end", "{a}", "{a: .b}",
    '"\\(.secret)"', ".a[]", "..", ".a?", "(.a).b", "[.a][0]", "reduce .[] as $x (0; 1)",
    "$__loc__", "try .a catch .b", "def f: .; f", ".a |= 1", ".a as $x | 1", "not",
    "(.a | .b", ".a)", "getpath([\"a\"])", ".a[.b]",
])
def test_expressions_reading_more_than_paths_are_not_analysed(expression):
    assert root_paths(expression) is None


@settings(max_examples=300, deadline=None)
@given(documents, steps, st.integers(0, 2))
def test_plain_path_spellings_parse_to_their_steps(document, path, style):
    assert parse_plain_path(render(path, style)) == tuple(path)


def jq_outputs(expression, document):
    try:
        return "ok", compile_jq(expression).input_text(json.dumps(document)).all()
    except ValueError:
        return "error", None


root_expressions = st.lists(st.tuples(steps, st.sampled_from([
    "{p}", "{p} == null", '({p} | tostring) + "!"', "[{p}] | length", "{p} // 1",
    "({p} | type) == \"object\"", "{p} | keys? // 0", "{p}, 2", "{p} // [] | length"])),
    min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(documents, root_expressions)
def test_projection_gives_jq_the_same_answer(document, parts):
    expression = " , ".join(f"({template.format(p=render(path, 0))})"
                            for path, template in parts)
    paths = root_paths(expression)
    assert paths is not None
    projected = project(document, build_projection(paths))
    assert jq_outputs(expression, projected) == jq_outputs(expression, document)


def test_purity():
    assert is_pure('.a | split("x") | first') and is_pure("$ENV.X") and is_pure("env | length")
    for expression in ("now", ".a + now", "input", "[inputs]", "$__loc__", "localtime",
                       ". | debug", "@base64"):
        assert not is_pure(expression)
