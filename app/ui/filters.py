"""The entity list's filters as a search query (app.catalog.rules), and the exports of a result.

Each filter field is a property or relation of the blueprint: a value keeps the entities whose
property equals it (an array property or a many relation: holds it), `-` keeps those where it is
not set. An advanced query in Port's JSON is ANDed with the fields.
"""

import csv
import io
import json
from collections.abc import Iterator

from werkzeug.datastructures import MultiDict

from ..errors import BadRequest
from ..mapping.blueprints import Blueprint
from .present import list_columns

UNSET = "-"
# Where a spreadsheet would read a cell as a formula (a Jira summary is anyone's text).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def filter_fields(blueprint: Blueprint) -> list[dict]:
    """The list columns, then the blueprint's other relations: the fields the filter form shows."""
    fields = list_columns(blueprint)
    named = {f["name"] for f in fields}
    fields += [{"name": name, "title": spec.get("title") or name, "target": spec["target"]}
               for name, spec in blueprint.relations.items() if name not in named]
    return fields


def given_filters(blueprint: Blueprint, args: MultiDict) -> dict[str, str]:
    """The filled-in fields, by name, as typed."""
    given = {f["name"]: args.get(f"f.{f['name']}", "").strip() for f in filter_fields(blueprint)}
    return {name: value for name, value in given.items() if value}


def field_rule(blueprint: Blueprint, name: str, value: str) -> dict:
    key = {"relation": name} if name in blueprint.relations else {"property": name}
    if value == UNSET:
        return {**key, "operator": "isEmpty"}
    kind = (blueprint.properties.get(name) or {}).get("type", "string")
    if kind == "boolean" and value.lower() in ("true", "false"):
        return {**key, "operator": "=", "value": value.lower() == "true"}
    if kind == "number":
        try:
            return {**key, "operator": "=", "value": float(value)}
        except ValueError:
            raise BadRequest(f"{name}: {value[:64]!r} is not a number", "invalid_query") from None
    return {**key, "operator": "in", "value": [value]}


def advanced_query(text: str) -> dict | None:
    """The advanced query box: Port's `{combinator, rules}` as JSON, or None when empty."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadRequest(f"query: not valid JSON ({exc})", "invalid_query") from None


def filter_query(blueprint: Blueprint, args: MultiDict) -> dict | None:
    """The query the page's filters make, or None when none is filled in."""
    rules = [field_rule(blueprint, name, value) for name, value in given_filters(blueprint, args).items()]
    advanced = advanced_query(args.get("query", ""))
    if advanced is not None:
        rules.append(advanced)
    return {"combinator": "and", "rules": rules} if rules else None


def export_columns(blueprint: Blueprint) -> list[str]:
    return (["identifier", "title"] + [f"properties.{n}" for n in blueprint.properties]
            + [f"relations.{n}" for n in blueprint.relations] + ["createdAt", "updatedAt"])


def cell(value: object) -> str:
    """A CSV cell: text as is (a leading formula character quoted away), others as JSON."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(blueprint: Blueprint, pages: Iterator[list[dict]]) -> Iterator[str]:
    """The result as CSV, a header line first, written a page at a time."""
    columns = export_columns(blueprint)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for page in pages:
        for entity in page:
            writer.writerow([cell(lookup(entity, column)) for column in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def lookup(entity: dict, column: str) -> object:
    top, _, rest = column.partition(".")
    return (entity.get(top) or {}).get(rest) if rest else entity.get(top)


def json_chunks(pages: Iterator[list[dict]]) -> Iterator[str]:
    """The result as one JSON array, written a page at a time."""
    yield "["
    first = True
    for page in pages:
        for entity in page:
            yield ("" if first else ",\n") + json.dumps(entity, ensure_ascii=False)
            first = False
    yield "]\n"
