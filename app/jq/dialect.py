"""JQ as Port uses it: single-quoted literals, no environment access, one program per mapping.

Programs are compiled here to check them, and evaluated in the sandbox (app/jq/sandbox.py)."""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import jq

from . import sandbox

# Port's connector disables jq's `env` and `$ENV` so a mapping cannot read the server's secrets.
SANDBOX_PREFIX = "def env: {}; {} as $ENV | "
# jq's first error: its words, then where, then the program's line with markers.
JQ_ERROR = re.compile(r"jq: error: (?P<what>.+?) at <top-level>, line (?P<line>\d+), "
                      r"column (?P<column>\d+):")


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

    def first(self, document: object) -> object:
        """The first output over a document: JSON text as it is, any other value encoded."""
        return self.first_of_text(document if isinstance(document, str) else json.dumps(document))


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


def compile_program(program: str, opening: str = "", closing: str = "") -> Program:
    """Check that a full jq program compiles behind the `env` sandbox prefix; the Program to run.
    A compile error's column counts in `program` (which `opening` and `closing` wrap)."""
    text = SANDBOX_PREFIX + opening + program + closing
    try:
        jq.compile(text)
    except ValueError as exc:
        raise JqCompileError(describe_compile_error(str(exc), opening, program, closing)) from None
    return Program(text)


def compile_expression(expression: str) -> Program:
    """Compile one Port-style mapping expression (single quotes allowed)."""
    return compile_program(rewrite_single_quotes(expression), "(", ")")


def describe_compile_error(message: str, opening: str, program: str, closing: str = "") -> str:
    """jq's first compile error in its own words, with the line and column in `program` when it
    points into it: what jq locates in the generated text (sandbox prefix, `opening`) is moved
    back, and a place past the end (a missing operand, where jq meets `closing`) is said as
    such."""
    found = JQ_ERROR.search(message)
    if found is None:
        return " ".join(message.replace(SANDBOX_PREFIX, "").split())
    line, column = int(found["line"]), int(found["column"])
    lines = program.split("\n")
    if line == 1:
        column -= first_line_offset(opening)
    if line > len(lines) or column < 1:
        return found["what"]
    if column > len(lines[line - 1]):
        if line < len(lines):
            return found["what"]
        met_closing = f"unexpected {closing!r}"
        if closing and met_closing in found["what"]:
            return found["what"].replace(met_closing, "unexpected end of the expression")
        return f"{found['what']} at the end of the expression"
    return found["what"] + (f" at line {line}, column {column}" if len(lines) > 1
                            else f" at column {column}")


@cache
def first_line_offset(opening: str) -> int:
    """How far jq's columns on the first line are moved by the generated text before a program,
    measured on an undefined name placed right after it (jq counts it oddly: not its length)."""
    try:
        jq.compile(SANDBOX_PREFIX + opening + "undefined_name_")
    except ValueError as exc:
        found = JQ_ERROR.search(str(exc))
        if found is not None:
            return int(found["column"]) - 1
    return len(SANDBOX_PREFIX + opening)


def first_of(expression: str) -> str:
    """A jq fragment yielding the first output of `expression`, or null when it yields none."""
    return f"([({rewrite_single_quotes(expression)})][0])"


def object_of(named_expressions: Mapping[str, str]) -> str:
    """A jq object constructor: keys are JSON-quoted names, values the first output of each."""
    parts = [f"{json.dumps(name)}: {first_of(expr)}" for name, expr in named_expressions.items()]
    return "{" + ", ".join(parts) + "}"
