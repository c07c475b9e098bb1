"""Calculation properties (Port's `calculationProperties`): JQ over the entity, computed on read."""

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..jq.dialect import (
    JqCompileError,
    Program,
    compile_expression,
    compile_program,
    first_outputs,
    rewrite_single_quotes,
)
from ..jq.sandbox import JqLimitError

if TYPE_CHECKING:
    from .blueprints import Blueprint

CALCULATION_TYPES = {"string", "number", "boolean", "object", "array"}
log = logging.getLogger("jira_catalog_bridge.calculations")


@dataclass(frozen=True)
class Calculations:
    """A blueprint's calculation properties, compiled once: all together, and one by one."""

    program: Program
    fields: dict
    titles: dict


def compile_calculations(source: str | Path, blueprint: dict) -> Calculations | None:
    """Compile every calculation property of a blueprint definition; None when it has none.

    In the combined program each property is wrapped in `try`, so one failing calculation
    yields null for itself only; the one-by-one programs say why (see explain_calculations).
    """
    specs = blueprint.get("calculationProperties") or {}
    if not specs:
        return None
    properties = (blueprint.get("schema") or {}).get("properties") or {}
    fields = {name: check_calculation(source, name, spec, properties) for name, spec in specs.items()}
    parts = [f"{json.dumps(name)}: ([try ({rewrite_single_quotes(spec['calculation'])})][0])"
             for name, spec in specs.items()]
    return Calculations(program=compile_program("{" + ", ".join(parts) + "}"), fields=fields,
                        titles={name: spec.get("title") or name for name, spec in specs.items()})


def check_calculation(source: str | Path, name: str, spec: object, properties: dict) -> Program:
    """A calculation property needs a compiling `calculation`, a known type and its own name;
    returns the compiled calculation."""
    where = f"{source}: calculation property {name!r}"
    if not isinstance(spec, dict) or not isinstance(spec.get("calculation"), str):
        raise ConfigError(f"{where}: needs a string 'calculation'")
    if spec.get("type", "string") not in CALCULATION_TYPES:
        raise ConfigError(f"{where}: unknown type {spec.get('type')!r}")
    if name in properties:
        raise ConfigError(f"{where}: a schema property has the same name")
    try:
        return compile_expression(spec["calculation"])
    except JqCompileError as exc:
        raise ConfigError(f"{where}: JQ does not compile: {exc}") from None


def add_calculations(blueprint: "Blueprint | None", entity: dict) -> dict:
    """`entity` (read shape) with its blueprint's calculation properties among its properties.

    A calculation yielding null (or failing) is left out, so an entity whose inputs are missing
    reads exactly as its mapping produced it; when the calculations exceed the sandbox's limits the
    entity reads without them (and a log line says why).
    """
    calculations = getattr(blueprint, "calculations", None)
    if calculations is None:
        return entity
    try:
        values = calculations.program.first_of_value(entity)
    except JqLimitError as exc:
        log.warning("calculation properties of %s %r left out: %s", entity.get("blueprint"),
                    entity.get("identifier"), exc.message)
        return entity
    computed = {name: value for name, value in values.items() if value is not None}
    return {**entity, "properties": {**entity["properties"], **computed}}


def explain_calculations(blueprint: "Blueprint", entity: dict) -> dict:
    """Each calculation property over `entity`, by name: `{"title", "value"}` or `{"title", "error"}`."""
    calculations = blueprint.calculations
    if calculations is None:
        return {}
    names = list(calculations.fields)
    try:
        outputs = first_outputs((calculations.fields[name], entity) for name in names)
    except JqLimitError as exc:
        outputs = [ValueError(exc.message)] * len(names)
    results = {}
    for name, output in zip(names, outputs, strict=True):
        title = calculations.titles[name]
        if isinstance(output, StopIteration):
            results[name] = {"title": title, "value": None}
        elif isinstance(output, ValueError):
            results[name] = {"title": title, "error": str(output)}
        else:
            results[name] = {"title": title, "value": output}
    return results
