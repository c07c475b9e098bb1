"""JSON values as libjq gives them, and plain paths read with jq's semantics, in Python."""

import math

MAX_DOUBLE = 1.7976931348623157e308
EXACT_INT = 2 ** 53


class PathError(ValueError):
    """A plain path indexed something jq cannot index (a string, number, boolean, or wrong kind)."""


def lookup(steps: tuple[str | int, ...], document: object) -> object:
    """A plain path's value with jq's semantics, shaped as libjq returns it."""
    return as_jq_value(walk(steps, document))


def walk(steps: tuple[str | int, ...], value: object) -> object:
    """The raw value at a plain path: null through missing keys and null, PathError else."""
    for step in steps:
        if value is None:
            return None
        if type(step) is str:
            if type(value) is not dict:
                raise PathError(f"cannot index {type(value).__name__} with a key")
            value = value.get(step)
        else:
            if type(value) is not list:
                raise PathError(f"cannot index {type(value).__name__} with a number")
            index = step + len(value) if step < 0 else step
            value = value[index] if 0 <= index < len(value) else None
    return value


def walk_keys(keys: tuple[str, ...], document: object) -> object:
    """walk() for a path made of object keys only, the common case, in fewer steps: of JSON's
    values only objects have `get`, so anything else along the way is left to walk()."""
    value = document
    try:
        for key in keys:
            value = value.get(key)
    except AttributeError:
        return walk(keys, document)
    return value


def as_jq_value(value: object) -> object:
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


def as_jq_number(number: int | float) -> int | float | None:
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
