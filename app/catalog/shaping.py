"""An entity's answer shaped as Port's read and search routes allow: `include` / `exclude`
(fields of the entity JSON, `properties.<name>` and `relations.<name>` too) and
`attach_title_to_relation` (each relation target as `{identifier, title}`)."""

from collections.abc import Iterable

import sqlalchemy as sa

from ..errors import BadRequest
from ..mapping.blueprints import Blueprint
from .relations import live_rows, relation_targets

ENTITY_FIELDS = ("identifier", "title", "icon", "blueprint", "team", "properties", "relations",
                 "createdAt", "updatedAt")
NESTED = ("properties", "relations")
MAX_FIELDS = 100


def check_fields(fields: object, name: str) -> tuple[str, ...]:
    """`fields` as a tuple of entity JSON paths; BadRequest `invalid_<name>` naming the bad one."""
    reason = f"invalid_{name}"
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        raise BadRequest(f"{name} must be an array of at most {MAX_FIELDS} entity fields", reason)
    for field in fields:
        if not isinstance(field, str) or not is_field(field):
            raise BadRequest(f"{name}: {str(field)[:64]!r} is not an entity field; use one of "
                             f"{', '.join(ENTITY_FIELDS)}, properties.<name> or relations.<name>",
                             reason)
    return tuple(fields)


def is_field(field: str) -> bool:
    top, dot, rest = field.partition(".")
    return (field in ENTITY_FIELDS) or (top in NESTED and dot == "." and 0 < len(rest) <= 255)


def project(entity: dict, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> dict:
    """`entity` with only the `include`d fields (all when empty), then without the `exclude`d."""
    shaped = entity
    if include:
        shaped = {}
        for field in include:
            top, _, rest = field.partition(".")
            if not rest:
                shaped[top] = entity.get(top)
            elif rest in (entity.get(top) or {}):
                shaped.setdefault(top, {})[rest] = entity[top][rest]
    else:
        shaped = {**entity, **{k: dict(entity[k] or {}) for k in NESTED if k in entity}}
    for field in exclude:
        top, _, rest = field.partition(".")
        if not rest:
            shaped.pop(top, None)
        elif isinstance(shaped.get(top), dict):
            shaped[top].pop(rest, None)
    return shaped


def attach_titles(engine: sa.Engine, blueprints: dict[str, Blueprint], items: Iterable[dict]) -> list[dict]:
    """`items` with each relation target as `{identifier, title}` (title None when the target is
    not in the catalog), as Port's attach_title_to_relation answers."""
    items = list(items)
    wanted: dict[str, set[str]] = {}
    for entity in items:
        if entity.get("blueprint") not in blueprints:
            continue
        for _name, target, identifiers in relation_targets(blueprints, entity):
            wanted.setdefault(target, set()).update(i for i in identifiers if isinstance(i, str))
    titles = {}
    with engine.connect() as conn:
        for target, identifiers in wanted.items():
            titles.update(((target, row.identifier), row.title)
                          for row in live_rows(conn, target, identifiers))
    return [with_titles(blueprints, entity, titles) for entity in items]


def with_titles(blueprints: dict[str, Blueprint], entity: dict, titles: dict) -> dict:
    if entity.get("blueprint") not in blueprints:
        return entity
    relations = dict(entity.get("relations") or {})
    for name, target, identifiers in relation_targets(blueprints, entity):
        attached = [{"identifier": i, "title": titles.get((target, i))} for i in identifiers]
        relations[name] = attached if isinstance(relations[name], list) else attached[0]
    return {**entity, "relations": relations}
