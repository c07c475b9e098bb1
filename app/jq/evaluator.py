"""A small part of jq evaluated in Python, giving exactly libjq's results.

Recognised: plain paths, string/null/true/false literals, parentheses, `|`, `or`, `and`, `==`,
`!=`, `+`, `first`, `type`, `split("literal")` and `if ... then ... (elif ...) (else ...) end`.
`compile_evaluator` turns such an expression into a function of the document; anything else is left
to libjq. Each of these expressions has exactly one output or an error (values and paths as libjq
gives them: app/jq/values.py). Where a value falls outside what is reproduced here (numbers compared or added,
arrays added...) the function raises NotReproduced, a ValueError, and the caller runs libjq, as on
jq's own errors.
"""

import json
from collections.abc import Callable
from functools import partial

from .paths import read_path, tokenize
from .values import as_jq_value, walk, walk_keys

SCALARS = (str, bool, type(None))  # kinds whose equality is the same in Python and in jq
CONSTANTS = {"null": None, "true": True, "false": False}
JQ_TYPES = {bool: "boolean", str: "string", list: "array", dict: "object"}
BRANCH_ENDS = ([("ident", "elif")], [("ident", "else")], [("ident", "end")])
# What opens and closes a nested part of a branch: brackets, and `if` with its `end`.
OPENERS = {("op", "("), ("op", "["), ("op", "{"), ("ident", "if")}
CLOSERS = {("op", ")"), ("op", "]"), ("op", "}"), ("ident", "end")}


class NotReproduced(ValueError):
    """A value this evaluator does not reproduce exactly; libjq is asked instead."""


def compile_evaluator(expression: str, defer: bool = False) -> Callable[[object], object] | None:
    """A function of the document giving the expression's output as libjq returns it, or None
    when the expression uses anything outside the part of jq recognised here.

    With `defer`, a branch of an `if` may be anything jq reads: the function raises NotReproduced
    when the input takes that branch (so the caller asks libjq), and evaluates the rest itself."""
    tokens = tokenize(expression)
    parsed = read_pipe(tokens, 0, defer) if tokens else None
    if parsed is None or parsed[1] != len(tokens):
        return None
    function = parsed[0]
    return lambda document: as_jq_value(function(document))


def path_function(steps: tuple[str | int, ...]) -> Callable[[object], object]:
    """The raw-value function of a plain path."""
    if all(type(step) is str for step in steps):
        return partial(walk_keys, steps)
    return partial(walk, steps)


def read_pipe(tokens: list[tuple[str, str]], i: int,
              defer: bool = False) -> tuple[Callable[[object], object], int] | None:
    """`a | b` from token i: (function, index after it), or None."""
    parsed = read_operators(tokens, i, 0, defer)
    if parsed is None or parsed[1] >= len(tokens) or tokens[parsed[1]] != ("op", "|"):
        return parsed
    right = read_pipe(tokens, parsed[1] + 1, defer)
    if right is None:
        return None
    first, then = parsed[0], right[0]
    return (lambda value: then(first(value))), right[1]


def read_operators(tokens: list[tuple[str, str]], i: int, level: int,
                   defer: bool) -> tuple[Callable[[object], object], int] | None:
    """Operands joined by the operators of OPERATORS[level], left to right, each operand read at
    the next (tighter) level: (function, index after them), or None."""
    if level == len(OPERATORS):
        return read_term(tokens, i, defer) if i < len(tokens) else None
    parsed = read_operators(tokens, i, level + 1, defer)
    while parsed is not None and parsed[1] < len(tokens) and tokens[parsed[1]] in OPERATORS[level]:
        combine = OPERATORS[level][tokens[parsed[1]]]
        right = read_operators(tokens, parsed[1] + 1, level + 1, defer)
        parsed = None if right is None else (combine(parsed[0], right[0]), right[1])
    return parsed


def read_term(tokens: list[tuple[str, str]], i: int, defer: bool) -> tuple[Callable[[object], object], int] | None:
    """A path, a literal, a parenthesised expression, an `if` or a recognised builtin at token i."""
    kind, text = tokens[i]
    if kind in ("field", "dot"):
        parsed = read_path(tokens, i)
        return None if parsed is None else (path_function(parsed[0]), parsed[1])
    if kind == "string" and (literal := read_literal(text)) is not None:
        return partial(constant, literal), i + 1
    if kind == "ident" and text in CONSTANTS:
        return partial(constant, CONSTANTS[text]), i + 1
    if (kind, text) == ("ident", "if"):
        return read_if(tokens, i + 1, defer)
    if kind == "ident":
        return read_builtin(tokens, i)
    if (kind, text) == ("op", "("):
        parsed = read_pipe(tokens, i + 1, defer)
        if parsed is not None and tokens[parsed[1]:parsed[1] + 1] == [("op", ")")]:
            return parsed[0], parsed[1] + 1
    return None


def read_if(tokens: list[tuple[str, str]], i: int, defer: bool) -> tuple[Callable[[object], object], int] | None:
    """The rest of `if c then a (elif c then a)* (else b)? end` from token i, just after `if`.
    Conditions must be recognised; a branch may be deferred (see compile_evaluator)."""
    clauses, keyword = [], "if"
    while keyword in ("if", "elif"):
        condition = read_pipe(tokens, i, defer)
        if condition is None or tokens[condition[1]:condition[1] + 1] != [("ident", "then")]:
            return None
        branch = read_branch(tokens, condition[1] + 1, defer)
        if branch is None:
            return None
        clauses.append((condition[0], branch[0]))
        keyword, i = tokens[branch[1]][1], branch[1] + 1
    otherwise = identity
    if keyword == "else":
        branch = read_branch(tokens, i, defer)
        if branch is None or tokens[branch[1]][1] != "end":
            return None
        otherwise, i = branch[0], branch[1] + 1
    return partial(choose, tuple(clauses), otherwise), i


def read_branch(tokens: list[tuple[str, str]], i: int, defer: bool) -> tuple[Callable[[object], object], int] | None:
    """A branch of an `if` from token i up to its `elif`, `else` or `end` (at the index returned)."""
    parsed = read_pipe(tokens, i, defer) if i < len(tokens) else None
    if parsed is not None and tokens[parsed[1]:parsed[1] + 1] in BRANCH_ENDS:
        return parsed
    end = skip_branch(tokens, i) if defer else None
    return None if end is None or end == i else (left_to_libjq, end)


def skip_branch(tokens: list[tuple[str, str]], i: int) -> int | None:
    """Index of the `elif`, `else` or `end` closing the branch that starts at token i, or None."""
    depth = 0
    for index in range(i, len(tokens)):
        token = tokens[index]
        if depth == 0 and [token] in BRANCH_ENDS:
            return index
        if token in OPENERS:
            depth += 1
        elif token in CLOSERS:
            depth -= 1
            if depth < 0:
                return None
    return None


def choose(clauses: tuple, otherwise: Callable[[object], object], value: object) -> object:
    """The output of the first branch whose condition holds, else of `otherwise`."""
    for condition, branch in clauses:
        if is_true(condition(value)):
            return branch(value)
    return otherwise(value)


def identity(value: object) -> object:
    """`.`"""
    return value


def left_to_libjq(_value: object) -> object:
    """A deferred branch, taken."""
    raise NotReproduced("this branch is evaluated by libjq")


def read_builtin(tokens: list[tuple[str, str]], i: int) -> tuple[Callable[[object], object], int] | None:
    """`first`, `type`, or `split("separator")` with a non-empty literal separator, at token i."""
    name, following = tokens[i][1], tokens[i + 1:i + 4]
    if name == "first":  # `first(f)` is not read whole, so the expression is left to libjq
        return partial(walk, (0,)), i + 1
    if name == "type" and following[:1] != [("op", "(")]:
        return type_name, i + 1
    if name == "split" and len(following) == 3 and following[0] == ("op", "(") \
            and following[1][0] == "string" and following[2] == ("op", ")"):
        separator = read_literal(following[1][1])
        if separator:
            return partial(split, separator), i + 4
    return None


def read_literal(text: str) -> str | None:
    """A string literal's value; None when it holds a lone surrogate (jq rejects those)."""
    value = json.loads(text)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def constant(value: object, _input: object) -> object:
    """A literal's output, whatever the input."""
    return value


def type_name(value: object) -> str:
    """jq's `type`."""
    if value is None:
        return "null"
    return JQ_TYPES.get(type(value), "number")


def split(separator: str, value: object) -> list[str]:
    """jq's `split(separator)`: an empty string splits into no parts at all."""
    if type(value) is not str:
        raise NotReproduced("split of a non-string is left to libjq")
    return value.split(separator) if value else []


def either(left: Callable[[object], object], right: Callable[[object], object]) -> Callable[[object], bool]:
    """`left or right`: right is evaluated only when left's output is false or null."""
    return lambda value: is_true(left(value)) or is_true(right(value))


def both(left: Callable[[object], object], right: Callable[[object], object]) -> Callable[[object], bool]:
    """`left and right`: right is evaluated only when left's output is neither false nor null."""
    return lambda value: is_true(left(value)) and is_true(right(value))


def equal(left: Callable[[object], object], right: Callable[[object], object]) -> Callable[[object], bool]:
    """`left == right`."""
    return lambda value: same_value(left(value), right(value))


def unequal(left: Callable[[object], object], right: Callable[[object], object]) -> Callable[[object], bool]:
    """`left != right`."""
    return lambda value: not same_value(left(value), right(value))


def add(left: Callable[[object], object], right: Callable[[object], object]) -> Callable[[object], object]:
    """`left + right`."""
    return lambda value: plus(left(value), right(value))


def is_true(value: object) -> bool:
    """jq's truth: everything but false and null."""
    return value is not None and value is not False


def same_value(a: object, b: object) -> bool:
    """jq's equality, where it is plain Python equality: either side a string, boolean or null."""
    if type(a) in SCALARS or type(b) in SCALARS:
        return type(a) is type(b) and a == b
    raise NotReproduced("numbers, arrays and objects are compared by libjq")


def plus(a: object, b: object) -> object:
    """jq's addition of null to anything and of two strings."""
    if a is None:
        return b
    if b is None:
        return a
    if type(a) is str and type(b) is str:
        return a + b
    raise NotReproduced("numbers, arrays and objects are added by libjq")


# From the loosest binding to the tightest, as in jq's grammar.
OPERATORS = ({("ident", "or"): either}, {("ident", "and"): both},
             {("op", "=="): equal, ("op", "!="): unequal}, {("op", "+"): add})
