"""JQ as Port uses it: single-quoted literals, no environment access, one program per mapping.

Programs are compiled here to check them, and evaluated in the sandbox (app/jq/sandbox.py)."""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import jq

from . import sandbox

# Port's connector disables jq's `env` and `$ENV` so a mapping cannot read the server's secrets.
SANDBOX_PREFIX = "def env: {}; {} as $ENV | "


class JqCompileError(ValueError):
    """A JQ expression that does not compile; `message` is jq's own words."""


@dataclass(frozen=True)
class Program:
    """A jq program that compiles, evaluated in the sandbox like a compiled `jq` program: its first
    output, ValueError with jq's message on an error, StopIteration without output, and
    sandbox.JqLimitError when it exceeds the sandbox's limits."""

    text: str

    def first_of_text(self, text: str) -> object:
        """The first output over a JSON text."""
        return outcome(sandbox.run([[self.text, text]])[0])

    def first_of_value(self, value: object) -> object:
        """The first output over a JSON value."""
        return self.first_of_text(json.dumps(value))


def first_outputs(calls: Iterable[tuple[Program, object]]) -> list[object]:
    """Each (program, JSON value) call's first output, or the exception it raised, in one round
    trip to the sandbox; sandbox.JqLimitError, if raised, is the whole batch's."""
    request = [[program.text, json.dumps(value)] for program, value in calls]
    answers = sandbox.run(request) if request else []
    results = []
    for answer in answers:
        try:
            results.append(outcome(answer))
        except (ValueError, StopIteration) as exc:
            results.append(exc)
    return results


def outcome(answer: list) -> object:
    """A child's answer to one call (see app/jq/child.py) as the value, or the exception, it is."""
    if answer[0] == 0:
        return answer[1]
    if answer[0] == 1:
        raise ValueError(answer[1])
    raise StopIteration


def rewrite_single_quotes(expression: str) -> str:
    """Rewrite Port-style 'literals' to jq's "literals", leaving double-quoted strings alone."""
    out, i, n = [], 0, len(expression)
    while i < n:
        char = expression[i]
        if char == '"':
            end = skip_double_quoted(expression, i)
            out.append(expression[i:end])
            i = end
        elif char == "'":
            literal, i = read_single_quoted(expression, i)
            out.append(json.dumps(literal))
        else:
            out.append(char)
            i += 1
    return "".join(out)


def skip_double_quoted(expression: str, start: int) -> int:
    """Index just past the double-quoted string that opens at `start`."""
    i = start + 1
    while i < len(expression):
        if expression[i] == "\\":
            i += 2
            continue
        if expression[i] == '"':
            return i + 1
        i += 1
    return len(expression)


def read_single_quoted(expression: str, start: int) -> tuple[str, int]:
    """The text of the single-quoted literal at `start` and the index past it."""
    chars, i = [], start + 1
    while i < len(expression):
        char = expression[i]
        if char == "\\" and i + 1 < len(expression):
            chars.append(expression[i + 1])
            i += 2
            continue
        if char == "'":
            return "".join(chars), i + 1
        chars.append(char)
        i += 1
    raise JqCompileError("unterminated single-quoted string")


def compile_program(program: str) -> Program:
    """Check that a full jq program compiles behind the `env` sandbox prefix; the Program to run."""
    text = SANDBOX_PREFIX + program
    try:
        jq.compile(text)
    except ValueError as exc:
        raise JqCompileError(clean_jq_message(str(exc))) from None
    return Program(text)


def compile_expression(expression: str) -> Program:
    """Compile one Port-style mapping expression (single quotes allowed)."""
    return compile_program(f"({rewrite_single_quotes(expression)})")


def clean_jq_message(message: str) -> str:
    """jq's compile error without the sandbox prefix it was compiled behind."""
    return " ".join(message.replace(SANDBOX_PREFIX, "").split())


def first_of(expression: str) -> str:
    """A jq fragment yielding the first output of `expression`, or null when it yields none."""
    return f"([({rewrite_single_quotes(expression)})][0])"


def object_of(named_expressions: Mapping[str, str]) -> str:
    """A jq object constructor: keys are JSON-quoted names, values the first output of each."""
    parts = [f"{json.dumps(name)}: {first_of(expr)}" for name, expr in named_expressions.items()]
    return "{" + ", ".join(parts) + "}"
