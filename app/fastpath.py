"""The translation fast path: plain paths evaluated in Python, the rest in one jq program per mapping
over only the part of the document it reads.

Its results equal the mapping's full program on every input whose strings are valid Unicode (the
webhook path rejects lone surrogates before translating). Whenever it meets an error it gives up and the
caller runs the full program, so errors and their attribution are libjq's own.
"""

import json
import math
from dataclasses import dataclass
from functools import lru_cache

from .jqexpr import compile_program, first_of, rewrite_single_quotes
from .jqpaths import is_pure, parse_plain_path, root_paths

FULL = object()  # projection marker: keep this whole subtree
MAX_DOUBLE = 1.7976931348623157e308
EXACT_INT = 2 ** 53
ENTITY_KEYS = ("identifier", "title", "icon", "team")
MEMO_SIZE = 4096  # remembered results per mapping
MEMO_TEXT_LIMIT = 2048  # longer projections are not remembered, bounding the memory to ~10 MiB
COMPACT = json.JSONEncoder(separators=(",", ":"))


class PathError(ValueError):
    """A plain path indexed something jq cannot index (a string, number, boolean, or wrong kind)."""


@dataclass(frozen=True)
class FastPlan:
    """How one mapping is evaluated on the fast path."""

    filter_path: tuple | None
    plain: tuple
    rest: object
    rest_fields: tuple
    projection: object
    memoised: bool = False


def lookup(steps, document):
    """A plain path's value with jq's semantics: null through missing keys and null, errors else."""
    value = document
    for step in steps:
        if value is None:
            continue
        if type(step) is str:
            if type(value) is not dict:
                raise PathError(f"cannot index {type(value).__name__} with a key")
            value = value.get(step)
        else:
            if type(value) is not list:
                raise PathError(f"cannot index {type(value).__name__} with a number")
            index = step + len(value) if step < 0 else step
            value = value[index] if 0 <= index < len(value) else None
    return as_jq_value(value)


def as_jq_value(value):
    """A value as it comes back out of libjq: numbers are doubles, integral ones as int."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if -EXACT_INT <= value <= EXACT_INT else as_jq_number(value)
    if kind is float:
        return as_jq_number(value)
    if kind is list:
        return [as_jq_value(item) for item in value]
    return {key: as_jq_value(item) for key, item in value.items()}


def as_jq_number(number):
    """jq keeps numbers as doubles; the jq binding returns integral ones as int, infinities clamped."""
    try:
        double = float(number)
    except OverflowError:
        double = math.inf if number > 0 else -math.inf
    if math.isnan(double):
        return None
    if math.isinf(double):
        return math.copysign(MAX_DOUBLE, double)
    return int(double) if double.is_integer() else double


def build_projection(paths):
    """A trie of the paths a program reads; FULL where a whole subtree is needed."""
    root = {}
    for path in paths:
        if not path:
            return FULL
        node = root
        for step in path[:-1]:
            child = node.setdefault(step, {})
            if child is FULL:
                break
            node = child
        else:
            node[path[-1]] = FULL
    return root


def project(document, trie):
    """The part of `document` the trie names; anything else than an object keyed by name stays whole
    so that jq's errors on it are the same."""
    if trie is FULL or type(document) is not dict or not all(type(k) is str for k in trie):
        return document
    return {key: project(document[key], sub) for key, sub in trie.items() if key in document}


def plan_mapping(expressions):
    """The FastPlan for a mapping's expressions (keyed `filter`, `entity.x`...); None with items."""
    if "itemsToParse" in expressions:
        return None
    plain, rest = [], {}
    for name, expression in expressions.items():
        if name == "filter":
            continue
        steps = parse_plain_path(rewrite_single_quotes(expression))
        if steps is None:
            rest[name] = expression
        else:
            plain.append((entity_slot(name), steps))
    filter_path = parse_plain_path(rewrite_single_quotes(expressions["filter"]))
    read = dict(rest) if filter_path is not None else {**rest, "filter": expressions["filter"]}
    program = rest_program(rest, expressions["filter"], filter_path)
    memoised = program is not None and all(is_pure(rewrite_single_quotes(expression))
                                           for expression in read.values())
    return FastPlan(filter_path, tuple(plain), rest_runner(program, memoised),
                    tuple((entity_slot(name), name) for name in rest), projection_of(read.values()),
                    memoised)


def entity_slot(name):
    """`entity.properties.x` -> ("properties", "x"); `entity.title` -> (None, "title")."""
    parts = name.split(".", 2)
    return (parts[1], parts[2]) if len(parts) == 3 else (None, parts[1])


def rest_program(rest, filter_expression, filter_path):
    """One jq program for the expressions that are not plain paths; None when there are none."""
    values = "{" + ", ".join(f"{json.dumps(name)}: {first_of(expr)}"
                             for name, expr in rest.items()) + "}"
    if filter_path is None:
        return compile_program(f"if {first_of(filter_expression)} == true then "
                               f"{{matched: true, values: {values}}} else {{matched: false}} end")
    return compile_program(f"{{matched: true, values: {values}}}") if rest else None


def rest_runner(program, memoised):
    """A function of the projected text giving the program's first output, or None without one.

    The projection holds everything a pure program reads, so equal texts give equal outputs: the
    last MEMO_SIZE are remembered (Jira sends few distinct `webhookEvent`s, and many updates of one
    issue), and each caller gets its own copy."""
    if program is None:
        return None

    def run(text):
        return program.input_text(text).first()
    if not memoised:
        return run
    remembered = lru_cache(maxsize=MEMO_SIZE)(run)
    return lambda text: clone(remembered(text)) if len(text) <= MEMO_TEXT_LIMIT else run(text)


def clone(value):
    """A copy of a JSON value, so that no two events share mutable parts."""
    if type(value) is dict:
        return {key: clone(item) for key, item in value.items()}
    if type(value) is list:
        return [clone(item) for item in value]
    return value


def projection_of(expressions):
    """The projection covering every path the expressions read; FULL when one cannot be told."""
    paths = []
    for expression in expressions:
        read = root_paths(rewrite_single_quotes(expression))
        if read is None:
            return FULL
        paths.extend(read)
    return build_projection(paths)


def run_plan(plan, document):
    """The full program's result ({matched, entities}) computed the fast way; raises on any error."""
    if plan.filter_path is not None and lookup(plan.filter_path, document) is not True:
        return {"matched": False}
    values = {}
    if plan.rest is not None:
        result = plan.rest(COMPACT.encode(project(document, plan.projection)))
        if not result["matched"]:
            return {"matched": False}
        values = result["values"]
    produced = {"properties": {}, "relations": {}}
    for (group, key), steps in plan.plain:
        place(produced, group, key, lookup(steps, document))
    for (group, key), name in plan.rest_fields:
        place(produced, group, key, values[name])
    return {"matched": True, "entities": [order_entity(produced)]}


def place(produced, group, key, value):
    """Put one field's value where the full program's object has it."""
    if group is None:
        produced[key] = value
    else:
        produced[group][key] = value


def order_entity(produced):
    """The entity object in the full program's key order."""
    head = {key: produced[key] for key in ENTITY_KEYS if key in produced}
    return {**head, "properties": produced["properties"], "relations": produced["relations"]}
