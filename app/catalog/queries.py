"""Read-side queries of the catalog: entities and events as the API serves them."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..errors import BadRequest
from ..mapping.blueprints import Blueprint
from ..mapping.calculations import add_calculations
from .relations import live_rows, relation_targets
from .tables import entities, event_entities, events, webhook_refusals


def iso(moment: datetime | None) -> str | None:
    """An ISO 8601 UTC timestamp ending in Z (SQLite hands back naive datetimes)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entity_from_row(row: sa.Row) -> dict:
    """An entity in Port's read shape."""
    return {"identifier": row.identifier, "title": row.title, "icon": row.icon,
            "blueprint": row.blueprint, "team": row.team, "properties": row.properties,
            "relations": row.relations, "createdAt": iso(row.created_at),
            "updatedAt": iso(row.updated_at)}


def read_entity(row: sa.Row, blueprints: dict[str, Blueprint] | None = None) -> dict:
    """An entity in Port's read shape, with its calculation properties when `blueprints` is given."""
    entity = entity_from_row(row)
    if blueprints is None:
        return entity
    return add_calculations(blueprints.get(entity["blueprint"]), entity)


def get_entity(engine: sa.Engine, blueprint: str, identifier: str,
               blueprints: dict[str, Blueprint] | None = None) -> dict | None:
    """One live entity, or None (absent or deleted)."""
    query = sa.select(entities).where(entities.c.blueprint == blueprint,
                                      entities.c.identifier == identifier,
                                      entities.c.deleted.is_(False))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return read_entity(row, blueprints) if row else None


def natural_order(column: sa.ColumnElement[str]) -> tuple[sa.ColumnElement, ...]:
    """ORDER BY terms sorting a trailing number by value (OPS-2 before OPS-10), computed in SQL
    so the order holds across pages: the text without its trailing digits, then the length (a
    shorter run of digits is a smaller number), then the text. rtrim(text, characters) is the
    same function on SQLite and PostgreSQL."""
    return sa.func.rtrim(column, "0123456789"), sa.func.length(column), column


def list_entities(engine: sa.Engine, blueprint: str, limit: int, offset: int, search: str | None = None,
                  blueprints: dict[str, Blueprint] | None = None,
                  natural: bool = False) -> tuple[list[dict], int]:
    """A page of live entities of a blueprint ordered by identifier, and the total count.

    `search` keeps entities whose identifier or title contains it (case-insensitive);
    `blueprints` adds calculation properties; `natural` orders as `natural_order` does (for
    people; it sorts the blueprint's entities, where identifier order walks the index).
    """
    live = sa.and_(entities.c.blueprint == blueprint, entities.c.deleted.is_(False))
    if search:
        live = sa.and_(live, sa.or_(
            sa.func.lower(entities.c.identifier).contains(search.lower(), autoescape=True),
            sa.func.lower(entities.c.title).contains(search.lower(), autoescape=True)))
    order = natural_order(entities.c.identifier) if natural else (entities.c.identifier,)
    query = sa.select(entities).where(live).order_by(*order)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(entities).where(live)).scalar()
    return [read_entity(r, blueprints) for r in rows], total


def related_entities(engine: sa.Engine, blueprints: dict[str, Blueprint], entity: dict) -> dict:
    """The live entities `entity`'s relations name, by relation: an entity (or None) for a single
    relation, a list (missing targets left out) for a `many` one."""
    targets = list(relation_targets(blueprints, entity))
    wanted = {}
    for _name, target, identifiers in targets:
        wanted.setdefault(target, set()).update(identifiers)
    found = {}
    with engine.connect() as conn:
        for target, identifiers in wanted.items():
            found.update(((target, row.identifier), read_entity(row, blueprints))
                         for row in live_rows(conn, target, identifiers))
    related = {name: [] if isinstance(value, list) else None
               for name, value in (entity.get("relations") or {}).items()}
    for name, target, identifiers in targets:
        hits = [found[(target, i)] for i in identifiers if (target, i) in found]
        related[name] = hits if isinstance(entity["relations"][name], list) else \
            (hits[0] if hits else None)
    return related


def count_entities(engine: sa.Engine) -> dict[str, int]:
    """Live entity counts per blueprint."""
    query = (sa.select(entities.c.blueprint, sa.func.count()).where(entities.c.deleted.is_(False))
             .group_by(entities.c.blueprint))
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def event_from_row(row: sa.Row, with_body: bool = False,
                   hidden_headers: frozenset[str] = frozenset()) -> dict:
    """An event log entry as the API serves it; `hidden_headers` (lower-case names) are left out
    of its headers."""
    entry = {"id": row.id, "receivedAt": iso(row.received_at), "webhook": row.webhook,
             "deliveryId": row.delivery_id, "eventType": row.event_type, "status": row.status,
             "reason": row.reason, "detail": row.detail, "entities": row.entities,
             "version": row.version, "processedAt": iso(row.processed_at)}
    if with_body:
        headers = {k: v for k, v in (row.headers or {}).items() if k.lower() not in hidden_headers}
        entry.update(headers=headers, query=row.query, body=row.body)
    return entry


# The statuses a stored event can have (a duplicate delivery is answered, never stored).
EVENT_STATUSES = ("applied", "stale", "ignored", "failed")


def check_event_filters(engine: sa.Engine, webhooks: Iterable[str], status: str | None = None,
                        webhook: str | None = None) -> None:
    """BadRequest naming what is allowed when `status` is not an event status, or `webhook` is
    neither configured (`webhooks`) nor in the event log: a filter that can match nothing."""
    if status and status not in EVENT_STATUSES:
        raise BadRequest(f"status {status[:64]!r} is not an event status; use one of "
                         f"{', '.join(EVENT_STATUSES)}", "invalid_status")
    known = sorted(webhooks)
    if webhook and webhook not in known and not has_events(engine, webhook):
        raise BadRequest(f"webhook {webhook[:64]!r} is neither configured nor in the event log; "
                         f"configured: {', '.join(known) or 'none'}", "invalid_webhook")


def has_events(engine: sa.Engine, webhook: str) -> bool:
    """Whether the event log holds any event of `webhook`."""
    with engine.connect() as conn:
        return conn.execute(sa.select(events.c.id).where(events.c.webhook == webhook)
                            .limit(1)).first() is not None


def event_conditions(status: str | None = None, webhook: str | None = None, event_type: str | None = None,
                     since: datetime | None = None, until: datetime | None = None) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for the event log's filters; `since`/`until` are aware datetimes."""
    wanted = {"status": status, "webhook": webhook, "event_type": event_type}
    conditions = [events.c[name] == value for name, value in wanted.items() if value]
    if since is not None:
        conditions.append(events.c.received_at >= since)
    if until is not None:
        conditions.append(events.c.received_at < until)
    return conditions


def list_events(engine: sa.Engine, limit: int, offset: int, **filters) -> tuple[list[dict], int]:
    """A page of events, newest first, filtered as `event_conditions` reads `filters`."""
    conditions = event_conditions(**filters)
    columns = [c for c in events.c if c.name not in {"body", "headers", "query"}]
    query = sa.select(*columns).where(*conditions).order_by(events.c.id.desc())
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(events)
                             .where(*conditions)).scalar()
    return [event_from_row(r) for r in rows], total


def count_events_by_status(engine: sa.Engine, since: datetime) -> dict[str, dict[str, int]]:
    """Events received since `since`, as {webhook: {status: count}}."""
    query = (sa.select(events.c.webhook, events.c.status, sa.func.count())
             .where(events.c.received_at >= since).group_by(events.c.webhook, events.c.status))
    counts = {}
    with engine.connect() as conn:
        for webhook, status, count in conn.execute(query):
            counts.setdefault(webhook, {})[status] = count
    return counts


def last_event_times(engine: sa.Engine) -> dict[str, str | None]:
    """When each webhook last received an event, as {webhook: ISO time}."""
    query = sa.select(events.c.webhook, sa.func.max(events.c.received_at)).group_by(events.c.webhook)
    with engine.connect() as conn:
        return {webhook: iso(moment) for webhook, moment in conn.execute(query)}


def pipeline_overview(engine: sa.Engine, webhooks: Iterable[str], now: datetime) -> list[dict]:
    """Per webhook: events by status in the last hour and day, and when it last received one."""
    hour = count_events_by_status(engine, now - timedelta(hours=1))
    day = count_events_by_status(engine, now - timedelta(days=1))
    last = last_event_times(engine)
    names = sorted(set(webhooks) | set(day) | set(last))
    return [{"webhook": name, "hour": hour.get(name, {}), "day": day.get(name, {}),
             "lastEventAt": last.get(name)} for name in names]


def event_types(engine: sa.Engine, limit: int = 200) -> list[str]:
    """The distinct event types in the log, alphabetically (for filter choices)."""
    query = (sa.select(events.c.event_type).where(events.c.event_type.is_not(None)).distinct()
             .order_by(events.c.event_type).limit(limit))
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def entity_history(engine: sa.Engine, blueprint: str, identifier: str, limit: int = 50) -> list[dict]:
    """The events that touched an entity, newest first, each with what it did to it."""
    columns = [c for c in events.c if c.name not in {"body", "headers", "query"}]
    query = (sa.select(*columns, event_entities.c.operation, event_entities.c.result)
             .join(event_entities, event_entities.c.event_id == events.c.id)
             .where(event_entities.c.blueprint == blueprint,
                    event_entities.c.identifier == identifier)
             .order_by(events.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [{**event_from_row(row), "change": {"operation": row.operation,
                                                   "result": row.result}}
                for row in conn.execute(query)]


def get_event(engine: sa.Engine, event_id: int,
              hidden_headers: frozenset[str] = frozenset()) -> dict | None:
    """One event with its raw body and headers (without `hidden_headers`), or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(events).where(events.c.id == event_id)).first()
    return event_from_row(row, True, hidden_headers) if row else None


def list_refusals(engine: sa.Engine) -> list[dict]:
    """Every refusal counter: webhook, reason, count and the first and last refusal's times,
    most recently refused first."""
    query = sa.select(webhook_refusals).order_by(webhook_refusals.c.last_at.desc(),
                                                 webhook_refusals.c.webhook, webhook_refusals.c.reason)
    with engine.connect() as conn:
        return [{"webhook": row.webhook, "reason": row.reason, "count": row.count,
                 "firstAt": iso(row.first_at), "lastAt": iso(row.last_at)}
                for row in conn.execute(query)]
