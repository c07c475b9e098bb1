"""Calculation properties (Port's `calculationProperties`): JQ over the entity, computed on read."""

import json

from .errors import ConfigError
from .jqexpr import JqCompileError, compile_expression, compile_program, rewrite_single_quotes

CALCULATION_TYPES = {"string", "number", "boolean", "object", "array"}


def compile_calculations(source, blueprint):
    """One jq program computing every calculation property of a blueprint definition, or None.

    Each property is wrapped in `try`, so one failing calculation yields null for itself only.
    """
    specs = blueprint.get("calculationProperties") or {}
    if not specs:
        return None
    properties = (blueprint.get("schema") or {}).get("properties") or {}
    parts = []
    for name, spec in specs.items():
        check_calculation(source, name, spec, properties)
        body = rewrite_single_quotes(spec["calculation"])
        parts.append(f"{json.dumps(name)}: ([try ({body})][0])")
    return compile_program("{" + ", ".join(parts) + "}")


def check_calculation(source, name, spec, properties):
    """A calculation property needs a compiling `calculation`, a known type and its own name."""
    where = f"{source}: calculation property {name!r}"
    if not isinstance(spec, dict) or not isinstance(spec.get("calculation"), str):
        raise ConfigError(f"{where}: needs a string 'calculation'")
    if spec.get("type", "string") not in CALCULATION_TYPES:
        raise ConfigError(f"{where}: unknown type {spec.get('type')!r}")
    if name in properties:
        raise ConfigError(f"{where}: a schema property has the same name")
    try:
        compile_expression(spec["calculation"])
    except JqCompileError as exc:
        raise ConfigError(f"{where}: JQ does not compile: {exc}") from None


def add_calculations(blueprint, entity):
    """`entity` (read shape) with its blueprint's calculation properties among its properties.

    A calculation yielding null (or failing) is left out, so an entity whose inputs are missing
    reads exactly as its mapping produced it.
    """
    program = getattr(blueprint, "calculations", None)
    if program is None:
        return entity
    values = program.input_value(entity).first()
    computed = {name: value for name, value in values.items() if value is not None}
    return {**entity, "properties": {**entity["properties"], **computed}}
