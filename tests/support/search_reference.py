"""Port's search semantics evaluated in plain Python over entity dicts: what the SQL engine
(app.catalog.search) must agree with.

An entity here is a dict with blueprint, identifier, title, team, properties, relations,
created_at, updated_at (aware datetimes) and deleted.
"""

from datetime import UTC, datetime

from app.catalog.rules import RANGE, TIME_META, Comparison, Group, RelatedTo, time_text
from app.catalog.search_sql import NEGATIONS

MISSING = object()
META = {"$identifier": "identifier", "$title": "title", "$blueprint": "blueprint",
        "$team": "team", "$createdAt": "created_at", "$updatedAt": "updated_at"}


def matches(rule, entity: dict, everything: list[dict], blueprints: dict) -> bool:
    if isinstance(rule, Group):
        if not rule.rules:
            return True  # an empty group filters nothing out, whatever its combinator
        results = (matches(r, entity, everything, blueprints) for r in rule.rules)
        return all(results) if rule.combinator == "and" else any(results)
    if isinstance(rule, RelatedTo):
        return related(rule, entity, everything, blueprints)
    if rule.operator in NEGATIONS:
        return not compare(Comparison(rule.property, NEGATIONS[rule.operator], rule.value, rule.relation), entity)
    return compare(rule, entity)


def value_of(entity: dict, name: str, relation: bool = False) -> object:
    if relation:
        return entity["relations"].get(name, MISSING)
    if name in META:
        return entity[META[name]]
    return entity["properties"].get(name, MISSING)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare(rule: Comparison, entity: dict) -> bool:
    value = value_of(entity, rule.property, rule.relation)
    if rule.property in TIME_META and not rule.relation:
        return compare_time(value, rule)
    return compare_json(value, rule)


def compare_json(value: object, rule: Comparison) -> bool:
    op, operand = rule.operator, rule.value
    if op == "isEmpty":
        return value is MISSING or value is None
    if op == "=":
        return same(value, operand)
    if op in (">", ">=", "<", "<="):
        comparable = isinstance(value, str) if isinstance(operand, str) else is_number(value)
        return comparable and ordered(value, op, operand)
    if op in RANGE:
        return isinstance(value, str) and time_text(operand[0]) <= value <= time_text(operand[1])
    if op == "in":
        return (isinstance(value, str) and value in operand) or has_element(value, operand)
    if op == "containsAny":
        return has_element(value, operand)
    if not isinstance(value, str):
        return False
    if op == "contains":
        return operand in value
    return value.startswith(operand) if op == "beginsWith" else value.endswith(operand)


def same(value: object, operand: object) -> bool:
    if isinstance(operand, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(operand, bool) and value == operand
    if isinstance(operand, str):
        return isinstance(value, str) and value == operand
    return is_number(value) and value == operand


def has_element(value: object, operand: tuple) -> bool:
    return isinstance(value, list) and any(isinstance(v, str) and v in operand for v in value)


def ordered(value, op: str, operand) -> bool:
    return {">": value > operand, ">=": value >= operand, "<": value < operand,
            "<=": value <= operand}[op]


def compare_time(value: datetime, rule: Comparison) -> bool:
    """At millisecond precision, as the API shows datetimes."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    value = value.replace(microsecond=value.microsecond // 1000 * 1000)
    op, operand = rule.operator, rule.value
    if op == "isEmpty":
        return False
    if op in RANGE:
        return operand[0] <= value <= operand[1]
    if op == "=":
        return value == operand
    return ordered(value, op, operand)


def names(entity: dict, relation: str, identifier: str) -> bool:
    target = entity["relations"].get(relation)
    targets = target if isinstance(target, list) else [target]
    return identifier in [t for t in targets if isinstance(t, str)]


def related(rule: RelatedTo, entity: dict, everything: list[dict], blueprints: dict) -> bool:
    named = [e for e in everything if e["blueprint"] == rule.blueprint
             and e["identifier"] in rule.identifiers and not e["deleted"]]
    for source, blueprint in blueprints.items():
        for name, spec in blueprint.relations.items():
            if rule.required is not None and bool(spec.get("required", False)) != rule.required:
                continue
            if (source == rule.blueprint and rule.direction != "downstream"
                    and entity["blueprint"] == spec["target"]
                    and any(names(n, name, entity["identifier"]) for n in named)):
                return True
            if (spec["target"] == rule.blueprint and rule.direction != "upstream"
                    and entity["blueprint"] == source
                    and any(names(entity, name, n["identifier"]) for n in named)):
                return True
    return False


def search(rule, everything: list[dict], blueprints: dict, blueprint: str | None = None) -> list[tuple]:
    """(blueprint, identifier) of the live entities `rule` matches, sorted."""
    return sorted((e["blueprint"], e["identifier"]) for e in everything
                  if not e["deleted"] and (blueprint is None or e["blueprint"] == blueprint)
                  and matches(rule, e, everything, blueprints))
