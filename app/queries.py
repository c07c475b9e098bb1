"""Read-side queries of the catalog: entities and events as the API serves them."""

from datetime import timezone

import sqlalchemy as sa

from .schema import entities, events


def iso(moment):
    """An ISO 8601 UTC timestamp ending in Z (SQLite hands back naive datetimes)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entity_from_row(row):
    """An entity in Port's read shape."""
    return {"identifier": row.identifier, "title": row.title, "icon": row.icon,
            "blueprint": row.blueprint, "team": row.team, "properties": row.properties,
            "relations": row.relations, "createdAt": iso(row.created_at),
            "updatedAt": iso(row.updated_at)}


def get_entity(engine, blueprint, identifier):
    """One live entity, or None (absent or deleted)."""
    query = sa.select(entities).where(entities.c.blueprint == blueprint,
                                      entities.c.identifier == identifier,
                                      entities.c.deleted.is_(False))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return entity_from_row(row) if row else None


def list_entities(engine, blueprint, limit, offset):
    """A page of live entities of a blueprint, ordered by identifier, and the total count."""
    live = sa.and_(entities.c.blueprint == blueprint, entities.c.deleted.is_(False))
    query = sa.select(entities).where(live).order_by(entities.c.identifier)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(entities).where(live)).scalar()
    return [entity_from_row(r) for r in rows], total


def count_entities(engine):
    """Live entity counts per blueprint."""
    query = (sa.select(entities.c.blueprint, sa.func.count()).where(entities.c.deleted.is_(False))
             .group_by(entities.c.blueprint))
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def event_from_row(row, with_body=False):
    """An event log entry as the API serves it."""
    entry = {"id": row.id, "receivedAt": iso(row.received_at), "webhook": row.webhook,
             "deliveryId": row.delivery_id, "eventType": row.event_type, "status": row.status,
             "reason": row.reason, "detail": row.detail, "entities": row.entities,
             "version": row.version, "processedAt": iso(row.processed_at)}
    if with_body:
        entry.update(headers=row.headers, query=row.query, body=row.body)
    return entry


def list_events(engine, limit, offset, status=None, webhook=None):
    """A page of events, newest first, optionally filtered by status and webhook."""
    conditions = []
    if status:
        conditions.append(events.c.status == status)
    if webhook:
        conditions.append(events.c.webhook == webhook)
    columns = [c for c in events.c if c.name not in {"body", "headers", "query"}]
    query = sa.select(*columns).where(*conditions).order_by(events.c.id.desc())
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(events)
                             .where(*conditions)).scalar()
    return [event_from_row(r) for r in rows], total


def get_event(engine, event_id):
    """One event with its raw body and headers, or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(events).where(events.c.id == event_id)).first()
    return event_from_row(row, with_body=True) if row else None
