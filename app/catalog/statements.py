"""The write path's SQL: its statements, built and compiled once per database dialect, and the
row writes that run them (an event, its links, an entity's upsert or tombstone).

Building an INSERT ... ON CONFLICT with `.values(...)` on every request cost more than executing it,
and SQLAlchemy's per-execution bookkeeping about as much again; these statements are compiled once to
SQL text with SQLAlchemy's own type conversions, then run on the transaction's DBAPI cursor. The
drivers prepare them: sqlite3 caches prepared statements by SQL text, psycopg prepares a statement
after five executions.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from itertools import groupby
from types import ModuleType
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPICursor

from ..mapping.translate import EntityChange
from .tables import entities, event_entities, events, webhook_refusals

if TYPE_CHECKING:
    from .store import EventOutcome, IncomingEvent

EVENT_COLUMNS = ("received_at", "webhook", "delivery_id", "event_type", "headers", "query", "body",
                 "body_digest", "version", "status", "reason", "detail", "entities", "processed_at")
ENTITY_COLUMNS = ("blueprint", "identifier", "title", "icon", "team", "properties", "relations",
                  "version", "deleted", "created_at", "updated_at", "event_id")
UPSERT_KEPT = ("title", "icon", "team", "properties", "relations", "deleted", "updated_at",
               "event_id")
TOMBSTONE_KEPT = ("version", "deleted", "updated_at", "event_id")


def dialect_module(name: str) -> ModuleType:
    """SQLAlchemy's dialect package (for its ON CONFLICT insert) of a database by name."""
    return postgresql if name == "postgresql" else sqlite


@cache
def event_insert(dialect_name: str) -> sa.Insert:
    """INSERT an event unless its (webhook, delivery id) or its (webhook, body digest) exists;
    RETURNING its id."""
    stmt = dialect_module(dialect_name).insert(events).values(
        {name: sa.bindparam(name, type_=events.c[name].type) for name in EVENT_COLUMNS})
    # No conflict target: either unique constraint makes the event a duplicate.
    stmt = stmt.on_conflict_do_nothing()
    return stmt.returning(events.c.id)


@cache
def entity_upsert(dialect_name: str, deleting: bool) -> sa.Insert:
    """Upsert (or tombstone) an entity unless the stored version is newer."""
    stmt = dialect_module(dialect_name).insert(entities).values(
        {name: sa.bindparam(name, type_=entities.c[name].type) for name in ENTITY_COLUMNS})
    new = stmt.excluded
    updates = {name: getattr(new, name) for name in (TOMBSTONE_KEPT if deleting else UPSERT_KEPT)}
    updates["version"] = sa.func.coalesce(new.version, entities.c.version)
    updates["created_at"] = sa.case((entities.c.deleted, new.created_at),
                                    else_=entities.c.created_at)
    return stmt.on_conflict_do_update(
        index_elements=["blueprint", "identifier"], set_=updates,
        where=sa.or_(entities.c.version.is_(None), new.version.is_(None),
                     entities.c.version <= new.version)).returning(entities.c.identifier)


@cache
def event_link_insert() -> sa.Insert:
    """INSERT one (event, entity) link."""
    return event_entities.insert().values(
        {column.name: sa.bindparam(column.name, type_=column.type) for column in event_entities.c})


@cache
def event_settle() -> sa.Update:
    """UPDATE an event's outcome once its changes are applied."""
    return events.update().where(events.c.id == sa.bindparam("settled_id")).values(
        {name: sa.bindparam(name, type_=events.c[name].type)
         for name in ("status", "reason", "detail", "entities", "processed_at")})


@cache
def refusal_upsert(dialect_name: str) -> sa.Insert:
    """Count refused deliveries: their (webhook, reason) row is created or incremented."""
    stmt = dialect_module(dialect_name).insert(webhook_refusals).values(
        webhook=sa.bindparam("webhook", type_=webhook_refusals.c.webhook.type),
        reason=sa.bindparam("reason", type_=webhook_refusals.c.reason.type),
        count=sa.bindparam("count", type_=webhook_refusals.c.count.type),
        first_at=sa.bindparam("now", type_=webhook_refusals.c.first_at.type),
        last_at=sa.bindparam("now", type_=webhook_refusals.c.last_at.type))
    return stmt.on_conflict_do_update(
        index_elements=["webhook", "reason"],
        set_={"count": webhook_refusals.c.count + stmt.excluded.count, "last_at": stmt.excluded.last_at})


@dataclass(frozen=True)
class Compiled:
    """A statement's SQL for one dialect, its positional parameter order (None when named), and the
    bind-value conversions SQLAlchemy would apply: `steps` pairs each parameter of the positional
    order with its conversion (None: passed as is), or, when named, each converted parameter with its
    conversion."""

    sql: str
    order: tuple | None
    steps: tuple


@cache
def compile_for(statement: sa.Insert | sa.Update, dialect: sa.Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    converters = {}
    for name, bind in compiled.binds.items():
        converter = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if converter is not None:
            converters[name] = converter
    order = tuple(compiled.positiontup) if compiled.positiontup else None
    steps = tuple(converters.items()) if order is None else tuple((name, converters.get(name)) for name in order)
    return Compiled(compiled.string, order, steps)


def run(conn: sa.Connection, statement: sa.Insert | sa.Update, params: dict) -> DBAPICursor:
    """Execute a prebuilt statement inside `conn`'s transaction; returns the DBAPI cursor."""
    compiled = compile_for(statement, conn.dialect)
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(compiled.sql, driver_values(compiled.order, compiled.steps, params))
    return cursor


def run_many(conn: sa.Connection, statement: sa.Insert | sa.Update, rows: list[dict]) -> DBAPICursor:
    """Execute a prebuilt statement once per parameter set, in one driver call."""
    compiled = compile_for(statement, conn.dialect)
    cursor = conn.connection.driver_connection.cursor()
    cursor.executemany(compiled.sql, driver_rows(compiled, rows))
    return cursor


def run_each(conn: sa.Connection, statement: sa.Insert, rows: list[dict]) -> list[tuple | None]:
    """Execute a prebuilt statement with RETURNING once per parameter set, in order; the row each
    returned (None when it returned none). PostgreSQL gets them in one pipelined driver call (one
    round trip instead of one each); sqlite3's executemany returns no rows, and SQLite runs in the
    process, so there they run one by one (and so does a single statement, which a pipeline would
    only slow down)."""
    compiled = compile_for(statement, conn.dialect)
    cursor = conn.connection.driver_connection.cursor()
    values = driver_rows(compiled, rows)
    if conn.dialect.name != "postgresql" or len(values) < 2:
        return [cursor.execute(compiled.sql, value).fetchone() for value in values]
    cursor.executemany(compiled.sql, values, returning=True)
    returned = [cursor.fetchone()]
    while cursor.nextset():
        returned.append(cursor.fetchone())
    return returned


def driver_rows(compiled: Compiled, rows: list[dict]) -> list[dict | list]:
    """Each row's parameters as driver_values gives them; a value that is the same object in every
    row (the batch's timestamp) is converted once for all of them."""
    steps = compiled.steps
    if len(rows) > 1:
        first = rows[0]
        steps = tuple((name, convert) if convert is None or name not in first
                      or any(row[name] is not first[name] for row in rows)
                      else (name, partial(converted, convert(first[name]))) for name, convert in steps)
    return [driver_values(compiled.order, steps, row) for row in rows]


def converted(value: object, _original: object) -> object:
    """A value converted beforehand, whatever the original."""
    return value


def driver_values(order: tuple | None, steps: tuple, params: dict) -> dict | list:
    """Parameters converted as SQLAlchemy would (`steps`: Compiled.steps), in the driver's paramstyle:
    a list in `order`, or a dict when it is None."""
    if order is not None:
        return [params[name] if convert is None else convert(params[name]) for name, convert in steps]
    values = dict(params)
    for name, convert in steps:
        if name in values:
            values[name] = convert(values[name])
    return values


def insert_events(conn: sa.Connection, events: list[tuple["IncomingEvent", "EventOutcome"]],
                  now: datetime) -> list[int | None]:
    """Insert raw events, each with its expected outcome, in order; each one's id, None for one
    whose delivery id or body was already recorded for its webhook (earlier in `events` too)."""
    rows = [{"received_at": now, "webhook": event.webhook, "delivery_id": event.delivery_id,
             "event_type": event.event_type, "headers": event.headers, "query": event.query,
             "body": event.body, "body_digest": event.body_digest, "version": event.version,
             "status": outcome.status, "reason": outcome.reason, "detail": outcome.detail,
             "entities": outcome.entities, "processed_at": now} for event, outcome in events]
    return [None if row is None else row[0] for row in run_each(conn, event_insert(conn.dialect.name), rows)]


def find_original(conn: sa.Connection, event: "IncomingEvent") -> sa.Row | None:
    """The (id, entities) of the event that first carried this delivery id or this body."""
    by_delivery, by_digest = event.delivery_id is not None, event.body_digest is not None
    return conn.execute(original_select(by_delivery, by_digest), {
        "webhook": event.webhook, "delivery_id": event.delivery_id, "body_digest": event.body_digest}).first()


@cache
def original_select(by_delivery: bool, by_digest: bool) -> sa.Select:
    """SELECT the (id, entities) of a webhook's first event with the delivery id (`by_delivery`) or
    the body digest (`by_digest`) bound."""
    same = [events.c.delivery_id == sa.bindparam("delivery_id")] if by_delivery else []
    if by_digest:
        same.append(events.c.body_digest == sa.bindparam("body_digest"))
    return sa.select(events.c.id, events.c.entities).where(
        events.c.webhook == sa.bindparam("webhook"), sa.or_(*same)).order_by(events.c.id).limit(1)


def settle_events(conn: sa.Connection, settled: list[tuple[int, "EventOutcome"]], now: datetime) -> None:
    """Write events' final outcomes over the ones their rows were inserted with."""
    if settled:
        run_many(conn, event_settle(), [
            {"settled_id": event_id, "status": outcome.status, "reason": outcome.reason,
             "detail": outcome.detail, "entities": outcome.entities, "processed_at": now}
            for event_id, outcome in settled])


def record_links(conn: sa.Connection, links: list[tuple[int, list[dict]]]) -> None:
    """Link events to the entities they touched: (event id, its per-entity results) pairs."""
    rows = [{"event_id": event_id, "position": i, **r} for event_id, results in links
            for i, r in enumerate(results)]
    if rows:
        run_many(conn, event_link_insert(), rows)


def apply_changes(conn: sa.Connection, changes: list[tuple[EntityChange, int | None, int]], now: datetime) -> list[str]:
    """Upsert or tombstone entities in order, each unless the stored state is newer: (change, its
    event's version, its event id) triples; 'applied' or 'stale' for each. A change sees the ones
    before it, so the newest of two changes to one entity wins in either order."""
    results = []
    for deleting, run_of in groupby(changes, key=lambda item: item[0].operation == "delete"):
        rows = [change_row(change, version, event_id, now) for change, version, event_id in run_of]
        # RETURNING, not rowcount: psycopg reports 1 even when the WHERE clause skipped the update.
        touched = run_each(conn, entity_upsert(conn.dialect.name, deleting), rows)
        results += ["applied" if row is not None else "stale" for row in touched]
    return results


def change_row(change: EntityChange, version: int | None, event_id: int, now: datetime) -> dict:
    """The entities row of one change (a tombstone keeps no properties or relations)."""
    deleting = change.operation == "delete"
    entity = change.entity
    return {"blueprint": change.blueprint, "identifier": change.identifier,
            "title": storable_text(entity.get("title")), "icon": storable_text(entity.get("icon")),
            "team": entity.get("team"),
            "properties": {} if deleting else entity["properties"],
            "relations": {} if deleting else entity["relations"],
            "version": version, "deleted": deleting, "created_at": now, "updated_at": now,
            "event_id": event_id}


def count_refusal(conn: sa.Connection, webhook: str, reason: str, now: datetime, count: int = 1) -> None:
    """Add `count` to the refusals of `webhook` for `reason`."""
    run(conn, refusal_upsert(conn.dialect.name), {"webhook": webhook, "reason": reason, "now": now,
                                                  "count": count})


def storable_text(text: str | None) -> str | None:
    """`text` as every database stores it: PostgreSQL refuses NUL, UTF-8 refuses lone surrogates."""
    if text is None:
        return None
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
