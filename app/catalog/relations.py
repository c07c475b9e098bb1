"""Relations between entities: the targets they name, and placeholders for missing ones."""

from collections.abc import Callable, Iterable, Iterator

import sqlalchemy as sa

from ..mapping.blueprints import Blueprint
from ..mapping.translate import EntityChange
from .engine import dialect_insert, in_chunks, utcnow
from .tables import entities


def relation_targets(blueprints: dict[str, Blueprint], entity: dict) -> Iterator[tuple[str, str, list]]:
    """(relation name, target blueprint, [identifiers]) for each relation `entity` sets."""
    specs = blueprints[entity["blueprint"]].relations
    for name, value in (entity.get("relations") or {}).items():
        if value is None or name not in specs:
            continue
        identifiers = value if isinstance(value, list) else [value]
        yield name, specs[name]["target"], identifiers


def placeholder_creator(blueprints: dict[str, Blueprint]) -> Callable[[sa.Connection, list[EntityChange], int], None]:
    """A store change listener that gives every relation target missing from the catalog a bare
    entity (identifier only) in the same transaction, as Port's createMissingRelatedEntities does.
    A tombstoned target is left deleted: the tombstone still guards against older events."""

    def create_placeholders(conn: sa.Connection, applied: list[EntityChange], event_id: int) -> None:
        wanted = set()
        for change in applied:
            if change.operation == "upsert":
                for _name, target, identifiers in relation_targets(blueprints, change.entity):
                    wanted.update((target, identifier) for identifier in identifiers)
        now = utcnow()
        for target, identifier in sorted(wanted):
            conn.execute(dialect_insert(conn, entities).values(
                blueprint=target, identifier=identifier, properties={}, relations={},
                version=None, deleted=False, created_at=now, updated_at=now, event_id=event_id,
            ).on_conflict_do_nothing(index_elements=["blueprint", "identifier"]))

    return create_placeholders


def live_rows(conn: sa.Connection, blueprint: str, identifiers: Iterable[str]) -> list[sa.Row]:
    """The live entity rows of `blueprint` among `identifiers`, asked a chunk at a time."""
    rows = []
    for chunk in in_chunks(sorted(identifiers)):
        rows.extend(conn.execute(sa.select(entities).where(
            entities.c.blueprint == blueprint, entities.c.identifier.in_(chunk),
            entities.c.deleted.is_(False))).all())
    return rows
