"""The catalog's side of a reconcile pass: the stored versions of entities, the live identifiers
of a blueprint, and whether a stored entity already says what a translation would."""

from collections.abc import Iterable

import sqlalchemy as sa

from ..catalog.engine import in_chunks
from ..catalog.tables import entities
from ..mapping.translate import EntityChange


def stored_versions(engine: sa.Engine, blueprints: Iterable[str], identifiers: list[str]) -> dict[str, int | None]:
    """{identifier: the newest version any of `blueprints` stores for it}, tombstones included (an
    identifier absent from the answer is not in the catalog)."""
    found: dict[str, int | None] = {}
    blueprints = list(blueprints)
    with engine.connect() as conn:
        for chunk in in_chunks(identifiers):
            for identifier, version in conn.execute(sa.select(entities.c.identifier, entities.c.version).where(
                    entities.c.blueprint.in_(blueprints), entities.c.identifier.in_(chunk))):
                known = found.get(identifier)
                found[identifier] = version if known is None or (version or 0) > known else known
    return found


def live_identifiers(engine: sa.Engine, blueprint: str) -> set[str]:
    """Identifiers of the blueprint's entities that are not tombstones."""
    with engine.connect() as conn:
        return set(conn.execute(sa.select(entities.c.identifier).where(
            entities.c.blueprint == blueprint, entities.c.deleted.is_(False))).scalars())


def unchanged(engine: sa.Engine, changes: list[EntityChange]) -> bool:
    """Whether every change is an upsert the catalog already holds, as it is (for objects without a
    version, projects and users, which are sent again only when they differ)."""
    with engine.connect() as conn:
        for change in changes:
            row = conn.execute(sa.select(entities).where(
                entities.c.blueprint == change.blueprint, entities.c.identifier == change.identifier)).first()
            if change.operation == "delete" or row is None or row.deleted:
                return False
            entity = change.entity
            if (row.title, row.properties, row.relations) != (
                    entity.get("title"), entity["properties"], entity["relations"]):
                return False
    return True
