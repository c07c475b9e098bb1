"""A search rule tree (app.catalog.rules) as one SQL condition over the entities table.

SQLite reads the JSON columns with JSON1 (`json_type`, `json_extract`, `json_each`), PostgreSQL
with `jsonb` operators (the columns are `json`, cast to `jsonb`). A positive condition can be
NULL where the property is missing, which AND, OR and WHERE treat as false; a negated operator
(`!=`, `doesNotContains`, `notIn` ...) negates the positive one with NULL read as false, so it is
exactly the rows the positive one leaves out, entities without the property included. Positive
conditions stay bare so that the databases can match them with an index (0007_search_indexes).
Strings compare by code point on both databases (PostgreSQL with the "C" collation).
"""

import json
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import array as pg_array

from ..mapping.blueprints import Blueprint
from .rules import EQUALITY, ORDER, RANGE, TEXT_META, TIME_META, Comparison, Group, RelatedTo, time_text
from .tables import as_jsonb, entities

MILLISECOND = timedelta(milliseconds=1)
NEGATIONS = {"!=": "=", "doesNotContains": "contains", "doesNotBeginsWith": "beginsWith",
             "doesNotEndsWith": "endsWith", "notIn": "in", "notBetween": "between",
             "isNotEmpty": "isEmpty"}
COMPARE = {">": "__gt__", ">=": "__ge__", "<": "__lt__", "<=": "__le__", "=": "__eq__"}
META_COLUMNS = {"$identifier": "identifier", "$title": "title", "$blueprint": "blueprint",
                "$createdAt": "created_at", "$updatedAt": "updated_at"}


def condition(rule: Group | Comparison | RelatedTo, dialect: str,
              blueprints: dict[str, Blueprint], table: sa.Table = entities) -> sa.ColumnElement[bool]:
    """The WHERE condition of `rule` on `table` (the entities table or an alias of it)."""
    if isinstance(rule, Group):
        parts = [condition(r, dialect, blueprints, table) for r in rule.rules]
        if not parts:
            return sa.true()  # an empty group filters nothing out, whatever its combinator
        return sa.and_(*parts) if rule.combinator == "and" else sa.or_(*parts)
    if isinstance(rule, RelatedTo):
        return related_condition(rule, dialect, blueprints, table)
    if rule.operator in NEGATIONS:
        positive = Comparison(rule.property, NEGATIONS[rule.operator], rule.value, rule.relation)
        return sa.not_(sa.func.coalesce(comparison(positive, dialect, table), sa.false()))
    return comparison(rule, dialect, table)


def comparison(rule: Comparison, dialect: str, table: sa.Table) -> sa.ColumnElement[bool]:
    if rule.relation:
        return json_comparison(JsonValue(table.c.relations, rule.property, dialect), rule)
    if rule.property in TIME_META:
        return time_comparison(table.c[META_COLUMNS[rule.property]], rule)
    if rule.property in TEXT_META:
        return text_comparison(table.c[META_COLUMNS[rule.property]], rule, dialect)
    value = JsonValue(table.c.team, None, dialect) if rule.property == "$team" else \
        JsonValue(table.c.properties, rule.property, dialect)
    return json_comparison(value, rule)


def time_comparison(column: sa.ColumnElement, rule: Comparison) -> sa.ColumnElement[bool]:
    """Stored datetimes compare at the millisecond the API shows them with."""
    op, value = rule.operator, rule.value
    if op == "isEmpty":
        return sa.false()
    if op in RANGE:
        return sa.and_(column >= value[0], column < value[1] + MILLISECOND)
    if op == "=":
        return sa.and_(column >= value, column < value + MILLISECOND)
    if op in (">", "<="):
        bound = column >= value + MILLISECOND
        return bound if op == ">" else sa.not_(bound)
    return column >= value if op == ">=" else column < value


def text_comparison(column: sa.ColumnElement, rule: Comparison, dialect: str) -> sa.ColumnElement[bool]:
    op, value = rule.operator, rule.value
    ordered = column.collate("C") if dialect == "postgresql" else column
    if op == "isEmpty":
        return column.is_(None)
    if op == "in":
        return column.in_(value)
    if op == "containsAny" or (op in EQUALITY + ORDER and not isinstance(value, str)):
        return sa.false()
    if op in ORDER or op == "=":
        return sa.and_(column.is_not(None), getattr(ordered, COMPARE[op])(value))
    if op == "between":
        low, high = time_text(value[0]), time_text(value[1])
        return sa.and_(column.is_not(None), ordered >= low, ordered <= high)
    return sa.and_(column.is_not(None), text_match(column, op, value, dialect))


def text_match(text: sa.ColumnElement, op: str, value: str, dialect: str) -> sa.ColumnElement[bool]:
    """contains / beginsWith / endsWith, case-sensitive (SQLite's LIKE is not)."""
    if op == "contains":
        find = sa.func.strpos if dialect == "postgresql" else sa.func.instr
        return find(text, value) > 0
    if op == "beginsWith":
        return sa.func.substr(text, 1, len(value)) == value
    return sa.and_(sa.func.length(text) >= len(value),
                   sa.func.substr(text, sa.func.length(text) - len(value) + 1) == value)


def json_comparison(value: "JsonValue", rule: Comparison) -> sa.ColumnElement[bool]:
    op, operand = rule.operator, rule.value
    if op == "isEmpty":
        return sa.or_(value.type.is_(None), value.type == value.names["null"])
    if op == "=":
        return value.equals(operand)
    if op in ORDER:
        if isinstance(operand, str):
            return sa.and_(value.is_string(), getattr(value.ordered_text(), COMPARE[op])(operand))
        return value.compare_number(op, operand)
    if op == "between":
        low, high = time_text(operand[0]), time_text(operand[1])
        return sa.and_(value.is_string(), value.ordered_text() >= low, value.ordered_text() <= high)
    if op == "in":
        return value.has_element(operand, arrays_only=False)
    if op == "containsAny":
        return value.has_element(operand, arrays_only=True)
    return sa.and_(value.is_string(), text_match(value.text(), op, operand, value.dialect))


def literal_text(text: str) -> sa.ColumnElement:
    """A checked name (app.catalog.rules.PROPERTY_NAME) inlined into the SQL, so that the
    expression is the one an expression index was built on."""
    return sa.literal_column("'" + text.replace("'", "''") + "'")


class JsonValue:
    """One JSON value of an entity: a property (`name`) of the properties column, or a whole
    column (`name` None), with the type tests and reads each database needs."""

    SQLITE_TYPES = {"string": "text", "null": "null", "array": "array", "object": "object"}
    PG_TYPES = {"string": "string", "null": "null", "array": "array", "object": "object"}

    def __init__(self, column: sa.ColumnElement, name: str | None, dialect: str):
        self.column, self.name, self.dialect = column, name, dialect
        if dialect == "postgresql":
            self.document = as_jsonb(column)
            self.json = self.document if name is None else self.document.op("->")(literal_text(name))
            self.type = sa.func.jsonb_typeof(self.json)
            self.names = self.PG_TYPES
        else:
            self.path = literal_text("$" if name is None else f'$."{name}"')
            self.type = sa.func.json_type(column, self.path)
            self.names = self.SQLITE_TYPES

    def is_string(self) -> sa.ColumnElement[bool]:
        return self.type == self.names["string"]

    def text(self) -> sa.ColumnElement[str]:
        if self.dialect == "postgresql":
            return self.json.op("#>>", return_type=sa.Text)(sa.literal_column("'{}'"))
        return sa.func.json_extract(self.column, self.path)

    def ordered_text(self) -> sa.ColumnElement[str]:
        text = self.text()
        return text.collate("C") if self.dialect == "postgresql" else text

    def equals(self, operand: object) -> sa.ColumnElement[bool]:
        if self.dialect == "postgresql":
            return sa.and_(self.type == pg_type(operand), self.contains_json(operand))
        if isinstance(operand, bool):
            return self.type == ("true" if operand else "false")
        if isinstance(operand, str):
            return sa.and_(self.type == "text", self.text() == operand)
        return sa.and_(self.type.in_(("integer", "real")), self.text() == operand)

    def contains_json(self, operand: object) -> sa.ColumnElement[bool]:
        """`@>` on the whole document, which a GIN index on it serves."""
        wanted = operand if self.name is None else {self.name: operand}
        return self.document.op("@>")(sa.cast(sa.literal(json.dumps(wanted)), JSONB))

    def compare_number(self, op: str, operand: float) -> sa.ColumnElement[bool]:
        if self.dialect == "postgresql":
            number = sa.cast(sa.literal(json.dumps(operand)), JSONB)
            return sa.and_(self.type == "number", getattr(self.json, COMPARE[op])(number))
        return sa.and_(self.type.in_(("integer", "real")), getattr(self.text(), COMPARE[op])(operand))

    def has_element(self, values: tuple[str, ...], arrays_only: bool) -> sa.ColumnElement[bool]:
        """A string in `values`, or (`arrays_only`: only) an array with a string element in it."""
        if not values:
            return sa.false()
        kinds = ("array",) if arrays_only else ("string", "array")
        kind = self.type.in_([self.names[k] for k in kinds])
        if self.dialect == "postgresql":
            return sa.and_(kind, self.json.op("?|")(pg_array(list(values), type_=sa.Text)))
        elements = sa.func.json_each(self.column, self.path).table_valued("value", "type")
        return sa.and_(kind, sa.exists().where(elements.c.type == "text", elements.c.value.in_(values))
                       .correlate_except(elements))


def pg_type(operand: object) -> str:
    if isinstance(operand, bool):
        return "boolean"
    return "string" if isinstance(operand, str) else "number"


def names_identifier(dialect: str, relations: sa.ColumnElement, name: str,
                     identifier: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Whether relation `name` of a relations column names `identifier` (one target or many)."""
    if dialect == "postgresql":
        target = as_jsonb(relations).op("->")(sa.literal(name))
        return target.op("@>")(sa.func.to_jsonb(sa.cast(identifier, sa.Text)))
    path = sa.literal('$."' + name.replace('"', "") + '"')
    elements = sa.func.json_each(relations, path).table_valued("value", "type")
    # Every other table is the enclosing queries': left to itself, SQLAlchemy would add the
    # entities table two levels up to this FROM, an uncorrelated join that matches any entity.
    return sa.exists().where(elements.c.type == "text", elements.c.value == identifier).correlate_except(elements)


def relation_links(rule: RelatedTo, blueprints: dict[str, Blueprint]) -> tuple[list, list]:
    """(upstream, downstream) links as (source blueprint, relation name, target blueprint):
    upstream ones leave the rule's blueprint, downstream ones arrive at it."""
    upstream, downstream = [], []
    for source, blueprint in sorted(blueprints.items()):
        for name, spec in sorted(blueprint.relations.items()):
            if rule.required is not None and bool(spec.get("required", False)) != rule.required:
                continue
            if source == rule.blueprint and rule.direction != "downstream":
                upstream.append((source, name, spec["target"]))
            if spec["target"] == rule.blueprint and rule.direction != "upstream":
                downstream.append((source, name, spec["target"]))
    return upstream, downstream


def related_condition(rule: RelatedTo, dialect: str, blueprints: dict[str, Blueprint],
                      table: sa.Table) -> sa.ColumnElement[bool]:
    """Entities one relation away from a live entity among `rule.identifiers` of `rule.blueprint`."""
    other = entities.alias("related")
    named = sa.and_(other.c.blueprint == rule.blueprint, other.c.identifier.in_(rule.identifiers),
                    other.c.deleted.is_(False))
    upstream, downstream = relation_links(rule, blueprints)
    parts = []
    for _source, name, target in upstream:
        link = names_identifier(dialect, other.c.relations, name, table.c.identifier)
        parts.append(sa.and_(table.c.blueprint == target, sa.exists().where(named, link).correlate_except(other)))
    for source, name, _target in downstream:
        link = names_identifier(dialect, table.c.relations, name, other.c.identifier)
        parts.append(sa.and_(table.c.blueprint == source, sa.exists().where(named, link).correlate_except(other)))
    return sa.or_(*parts) if parts else sa.false()
