"""Port's jq dialect: single-quoted literals, the env sandbox, clean compile errors, first outputs."""

import json

import pytest

from app.jq.dialect import (
    SANDBOX_PREFIX,
    JqCompileError,
    compile_expression,
    compile_program,
    first_of,
    object_of,
    rewrite_single_quotes,
)


def run(program, document):
    """Every output of a full program over `document`, evaluated in the sandbox."""
    return compile_program(f"[{program}]").first_of_value(document)


def test_single_quoted_literals_become_json_strings():
    assert rewrite_single_quotes(".a == 'open'") == '.a == "open"'


def test_escapes_in_single_quoted_literals_are_kept_as_their_character():
    expression = "'it\\'s, ' + 'a \\\"b\\\"'"

    assert rewrite_single_quotes(expression) == json.dumps("it's, ") + " + " + json.dumps('a "b"')
    assert compile_expression(expression).first_of_value({}) == 'it\'s, a "b"'


def test_double_quoted_strings_are_left_alone():
    expression = '.a + "don\\"t" + "it\'s"'

    assert rewrite_single_quotes(expression) == expression
    assert compile_expression(expression).first_of_value({"a": ""}) == 'don"tit\'s'


def test_an_unterminated_single_quote_does_not_compile():
    with pytest.raises(JqCompileError, match="unterminated single-quoted string"):
        compile_expression(".a == 'open")


@pytest.mark.parametrize("expression, output", [
    ("env", {}), ("$ENV", {}), ("env.HOME", None), ("$ENV.PATH", None),
])
def test_env_and_dollar_env_are_an_empty_object_to_a_mapping(expression, output):
    assert compile_expression(expression).first_of_value({}) == output


def test_a_compile_error_is_cleaned_of_the_sandbox_prefix():
    with pytest.raises(JqCompileError) as caught:
        compile_expression(".a |")

    message = str(caught.value)
    assert message == "syntax error, unexpected end of the expression"
    assert SANDBOX_PREFIX.strip() not in message and "\n" not in message


@pytest.mark.parametrize(("expression", "message"), [
    (".a | foo", "foo/0 is not defined at column 6"),
    ("'ab' + foo", "foo/0 is not defined at column 8"),
    ("(( | .x", "syntax error, unexpected '|' at column 4"),
    (".x\n| nope", "nope/0 is not defined at line 2, column 3"),
])
def test_a_compile_error_points_into_the_expression_as_written(expression, message):
    with pytest.raises(JqCompileError) as caught:
        compile_expression(expression)

    assert str(caught.value) == message


def test_first_of_yields_null_when_the_expression_yields_nothing():
    assert run(first_of(".a[]"), {"a": []}) == [None]


def test_first_of_yields_only_the_first_output():
    assert run(first_of(".a[]"), {"a": [3, 4]}) == [3]


def test_object_of_builds_one_object_of_first_outputs():
    program = object_of({"first": ".a[]", "none": ".b[]", "word": "'k'"})

    assert run(program, {"a": [3, 4], "b": []}) == [{"first": 3, "none": None, "word": "k"}]
