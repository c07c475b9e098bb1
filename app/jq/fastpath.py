"""The translation fast path: what app.jq.evaluator reproduces evaluated in Python, the rest in one jq
program per mapping over only the part of the document it reads.

Its results equal the mapping's full program on every input whose strings are valid Unicode (the
webhook path rejects lone surrogates before translating). Whenever it meets an error it gives up and the
caller runs the full program, so errors and their attribution are libjq's own.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

from .dialect import Program, compile_program, first_of, rewrite_single_quotes
from .evaluator import compile_evaluator
from .paths import is_pure, root_paths

FULL = object()  # projection marker: keep this whole subtree
MEMO_SIZE = 4096  # remembered results per mapping
MEMO_TEXT_LIMIT = 2048  # longer projections are not remembered, bounding the memory to ~10 MiB
COMPACT = json.JSONEncoder(separators=(",", ":"))


@dataclass(frozen=True)
class FastPlan:
    """How one mapping is evaluated on the fast path.

    Each field of `head` (identifier, title, icon, team), `properties` and `relations` is
    (key, from_rest, function): the function reads the document, or the jq program's `values`
    when from_rest."""

    filter_check: object
    head: tuple
    properties: tuple
    relations: tuple
    rest: object
    projection: object
    memoised: bool = False


def build_projection(paths: Iterable[tuple[str | int, ...]]) -> object:
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


def project(document: object, trie: object) -> object:
    """The part of `document` the trie names; anything else than an object keyed by name stays whole
    so that jq's errors on it are the same."""
    if trie is FULL or type(document) is not dict or not all(type(k) is str for k in trie):
        return document
    return {key: project(document[key], sub) for key, sub in trie.items() if key in document}


def plan_mapping(expressions: dict[str, str]) -> FastPlan | None:
    """The FastPlan for a mapping's expressions (keyed `filter`, `entity.x`...); None with items."""
    if "itemsToParse" in expressions:
        return None
    evaluators = compile_evaluators(expressions)
    read = {name: expr for name, expr in expressions.items() if evaluators[name] is None}
    rest = {name: expr for name, expr in read.items() if name != "filter"}
    program = rest_program(rest, expressions["filter"], evaluators["filter"] is not None)
    memoised = program is not None and all(is_pure(rewrite_single_quotes(expression))
                                           for expression in read.values())
    head, properties, relations = group_fields(expressions, evaluators)
    return FastPlan(evaluators["filter"], head, properties, relations,
                    rest_runner(program, memoised), projection_of(read.values()), memoised)


def compile_evaluators(expressions: dict[str, str]) -> dict[str, Callable[[object], object] | None]:
    """Each expression's Python evaluator, None where libjq evaluates it.

    When every expression left to libjq is one whose `if` branches Python does not reproduce,
    those are evaluated in Python too (compile_evaluator's `defer`): an event taking such a branch
    then runs the full program, and every other event no jq at all, instead of each event paying a
    round trip to the sandbox for them."""
    strict = {name: compile_evaluator(rewrite_single_quotes(expression))
              for name, expression in expressions.items()}
    deferring = {name: compile_evaluator(rewrite_single_quotes(expressions[name]), defer=True)
                 for name, evaluator in strict.items() if evaluator is None}
    if all(deferring.values()):
        return {**strict, **deferring}
    return strict


def group_fields(expressions: dict[str, str],
                 evaluators: dict[str, Callable[[object], object] | None]) -> tuple[tuple, tuple, tuple]:
    """The head's, properties' and relations' fields as FastPlan holds them, in mapping order."""
    fields = [field_source(name, evaluators[name]) for name in expressions if name != "filter"]
    return tuple(tuple(source[1:] for source in fields if source[0] == wanted)
                 for wanted in (None, "properties", "relations"))


def field_source(name: str, evaluator: Callable[[object], object] | None) -> tuple[str | None, str, bool, Callable]:
    """(group, key, from_rest, function) of one entity field (`entity.properties.x`, `entity.title`):
    the function is the evaluator, else reads the jq program's values."""
    parts = name.split(".", 2)
    group = parts[1] if len(parts) == 3 else None
    if evaluator is None:
        return group, parts[-1], True, itemgetter(name)
    return group, parts[-1], False, evaluator


def rest_program(rest: dict[str, str], filter_expression: str, filter_evaluated: bool) -> Program | None:
    """One jq program for the expressions not evaluated in Python; None when there are none."""
    values = "{" + ", ".join(f"{json.dumps(name)}: {first_of(expr)}"
                             for name, expr in rest.items()) + "}"
    if not filter_evaluated:
        return compile_program(f"if {first_of(filter_expression)} == true then "
                               f"{{matched: true, values: {values}}} else {{matched: false}} end")
    return compile_program(f"{{matched: true, values: {values}}}") if rest else None


def rest_runner(program: Program | None, memoised: bool) -> Callable[[str], object] | None:
    """A function of the projected text giving the program's first output, or None without one.

    The projection holds everything a pure program reads, so equal texts give equal outputs: the
    last MEMO_SIZE are remembered (Jira sends few distinct `webhookEvent`s, and many updates of one
    issue), and each caller gets its own copy."""
    if program is None:
        return None

    def run(text: str) -> object:
        return program.first_of_text(text)
    if not memoised:
        return run
    remembered = lru_cache(maxsize=MEMO_SIZE)(run)
    return lambda text: clone(remembered(text)) if len(text) <= MEMO_TEXT_LIMIT else run(text)


def clone(value: object) -> object:
    """A copy of a JSON value, so that no two events share mutable parts."""
    if type(value) is dict:
        return {key: clone(item) for key, item in value.items()}
    if type(value) is list:
        return [clone(item) for item in value]
    return value


def projection_of(expressions: Iterable[str]) -> object:
    """The projection covering every path the expressions read; FULL when one cannot be told."""
    paths = []
    for expression in expressions:
        read = root_paths(rewrite_single_quotes(expression))
        if read is None:
            return FULL
        paths.extend(read)
    return build_projection(paths)


def run_plan(plan: FastPlan, document: dict) -> dict:
    """The full program's result ({matched, entities}) computed the fast way; raises on any error."""
    if plan.filter_check is not None and plan.filter_check(document) is not True:
        return {"matched": False}
    values = None
    if plan.rest is not None:
        result = plan.rest(COMPACT.encode(project(document, plan.projection)))
        if not result["matched"]:
            return {"matched": False}
        values = result["values"]
    entity = fill(plan.head, document, values)
    entity["properties"] = fill(plan.properties, document, values)
    entity["relations"] = fill(plan.relations, document, values)
    return {"matched": True, "entities": [entity]}


def fill(fields: tuple, document: dict, values: dict | None) -> dict:
    """An object of fields in the full program's key order."""
    return {key: function(values) if from_rest else function(document)
            for key, from_rest, function in fields}
