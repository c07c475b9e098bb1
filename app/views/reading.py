"""What the entity reads and searches accept beside their query: Port's shaping options
(`exclude_calculated_properties`, `attach_title_to_relation`, `include`, `exclude`), read from
the query string or a search body, and the shaping applied to the entities answered."""

from dataclasses import dataclass

from flask import request

from ..catalog.queries import read_entity
from ..catalog.shaping import attach_titles, check_fields, project
from ..errors import BadRequest
from ..runtime import current_runtime


@dataclass(frozen=True)
class ReadOptions:
    calculated: bool = True
    titles: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def flag(name: str) -> bool:
    """A `true`/`false` query argument (absent: false); 400 `invalid_flag` otherwise."""
    raw = request.args.get(name, "false").strip().lower()
    if raw not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false", "invalid_flag")
    return raw == "true"


def query_fields(name: str) -> list[str]:
    """`?include=a&include=b` or `?include=a,b`."""
    return [part for value in request.args.getlist(name) for part in value.split(",") if part]


def read_options(body: dict | None = None) -> ReadOptions:
    """The shaping options of this request; a search body's `include`/`exclude` count too."""
    body = body or {}
    include = query_fields("include") + list(check_fields(body.get("include", []), "include"))
    exclude = query_fields("exclude") + list(check_fields(body.get("exclude", []), "exclude"))
    return ReadOptions(calculated=not flag("exclude_calculated_properties"),
                       titles=flag("attach_title_to_relation"),
                       include=check_fields(include, "include"), exclude=check_fields(exclude, "exclude"))


def shape(items: list[dict], options: ReadOptions) -> list[dict]:
    """Entities (Port's read shape) with relation titles attached and fields chosen as asked."""
    if options.titles:
        state = current_runtime()
        items = attach_titles(state.store.engine, state.blueprints, items)
    return [project(entity, options.include, options.exclude) for entity in items]


def shape_rows(rows: list, options: ReadOptions) -> list[dict]:
    """Entity rows read (with calculation properties unless excluded) and shaped."""
    blueprints = current_runtime().blueprints if options.calculated else None
    return shape([read_entity(row, blueprints) for row in rows], options)
