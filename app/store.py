"""The catalog store: entities with newest-wins versions, and the event log, in one database."""

import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from . import statements
from .groupcommit import GroupCommitter
from .migrate import upgrade_schema
from .schema import event_entities, events, service_keys
from .writelock import write_lock_for, writing


@dataclass(frozen=True)
class IncomingEvent:
    """A verified, parsed request as the event log keeps it."""

    webhook: str
    body: str
    headers: dict
    query: dict
    delivery_id: str | None = None
    event_type: str | None = None
    version: int | None = None


@dataclass
class EventOutcome:
    """What processing an event did: its id, status and the entities it touched."""

    event_id: int | None
    status: str
    entities: list = field(default_factory=list)
    reason: str | None = None
    detail: dict | None = None


def utcnow():
    return datetime.now(timezone.utc)


def storable_text(text):
    """`text` as every database stores it: PostgreSQL refuses NUL, UTF-8 refuses lone surrogates."""
    if text is None:
        return None
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def create_db_engine(url, sqlite_synchronous="FULL"):
    """An engine for `url`; SQLite gets WAL, a busy timeout and the chosen synchronous level."""
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        enable_wal(cursor)
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def enable_wal(cursor, timeout=30.0):
    """Switch the file to WAL, retrying while another connection holds it.

    Changing the journal mode needs the file to itself, and SQLite answers "database is locked"
    at once, without its busy handler, when another connection is opening the same new file: two
    gunicorn workers starting on a fresh database do exactly that.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def dialect_insert(conn, table):
    """The INSERT construct with ON CONFLICT support for the connection's database."""
    return statements.dialect_module(conn.dialect.name).insert(table)


def event_status(translation, results):
    """failed / ignored / applied / stale, from a translation and the per-entity results."""
    if translation.failure:
        return "failed"
    if not results:
        return "ignored"
    return "applied" if any(r["result"] == "applied" for r in results) else "stale"


class Store:
    """Every read and write of the catalog goes through here."""

    def __init__(self, engine):
        self.engine = engine
        self.write_lock = write_lock_for(engine)
        self.committer = GroupCommitter(engine, self.write_lock)
        self.change_listeners = []

    def create_schema(self):
        """Create or upgrade the tables to the newest revision."""
        upgrade_schema(self.engine)

    def close(self):
        """Close the connections: the group committer's kept one, then the pool's."""
        self.committer.close()
        self.engine.dispose()

    def ping(self):
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def shared_key(self, name):
        """A random key stored under `name`: created by the first caller, then read by all."""
        with self.engine.begin() as conn:
            stmt = dialect_insert(conn, service_keys).values(name=name,
                                                             value=secrets.token_urlsafe(32))
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
            return conn.execute(sa.select(service_keys.c.value)
                                .where(service_keys.c.name == name)).scalar_one()

    def ingest(self, event, translation):
        """Record a new event and apply its changes, committed before this returns (in a
        transaction shared with concurrent requests); duplicates change nothing."""
        expected = expected_outcome(translation)

        def record(conn):
            event_id = insert_event(conn, event, expected, utcnow())
            if event_id is None:
                return EventOutcome(find_event_id(conn, event), "duplicate")
            return self.apply_translation(conn, event_id, event.version, translation, expected)

        return self.committer.run(record)

    def reprocess(self, event_id, version, translation):
        """Re-apply a stored event with a fresh translation (replay), newest-wins still holding."""
        with writing(self.engine, self.write_lock) as conn:
            conn.execute(event_entities.delete().where(event_entities.c.event_id == event_id))
            return self.apply_translation(conn, event_id, version, translation)

    def load_event(self, event_id):
        """The stored event row (raw body, headers, query, version), or None."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(events).where(events.c.id == event_id)).first()

    def apply_translation(self, conn, event_id, version, translation, recorded=None):
        """Apply changes, notify listeners with what was applied, and settle the event's row
        unless it already holds this outcome (`recorded`, written with the row)."""
        now = utcnow()
        results, applied = [], []
        for change in translation.changes:
            result = apply_change(conn, change, version, event_id, now)
            results.append(change_result(change, result))
            if result == "applied":
                applied.append(change)
        record_links(conn, event_id, results)
        for listener in self.change_listeners:
            listener(conn, applied, event_id)
        outcome = make_outcome(event_id, translation, results)
        if recorded is None or outcome.entities != recorded.entities:
            statements.run(conn, statements.event_settle(), {
                "settled_id": event_id, "status": outcome.status, "reason": outcome.reason,
                "detail": outcome.detail, "entities": results, "processed_at": now})
        return outcome


def change_result(change, result):
    """What an event did to one entity, as the event log and the answer list it."""
    return {"blueprint": change.blueprint, "identifier": change.identifier,
            "operation": change.operation, "result": result}


def make_outcome(event_id, translation, results):
    """The EventOutcome of a translation whose changes had these results."""
    failure = translation.failure.as_dict() if translation.failure else None
    return EventOutcome(event_id, event_status(translation, results), results,
                        failure["reason"] if failure else None, failure)


def expected_outcome(translation):
    """The outcome when every change applies: what a new event's row is written with, so that
    the common case needs no second statement to settle it."""
    return make_outcome(None, translation,
                        [change_result(change, "applied") for change in translation.changes])


def record_links(conn, event_id, results):
    """Link the event to the entities it touched."""
    if results:
        statements.run_many(conn, statements.event_link_insert(),
                            [{"event_id": event_id, "position": i, **r}
                             for i, r in enumerate(results)])


def insert_event(conn, event, outcome, now):
    """Insert the raw event with its expected outcome; None when its delivery id was already
    recorded for this webhook."""
    row = statements.run(conn, statements.event_insert(conn.dialect.name), {
        "received_at": now, "webhook": event.webhook, "delivery_id": event.delivery_id,
        "event_type": event.event_type, "headers": event.headers, "query": event.query,
        "body": event.body, "version": event.version, "status": outcome.status,
        "reason": outcome.reason, "detail": outcome.detail, "entities": outcome.entities,
        "processed_at": now}).fetchone()
    return None if row is None else row[0]


def find_event_id(conn, event):
    """The id of the event that first carried this delivery id."""
    return conn.execute(sa.select(events.c.id).where(
        events.c.webhook == event.webhook, events.c.delivery_id == event.delivery_id)).scalar()


def apply_change(conn, change, version, event_id, now):
    """Upsert or tombstone one entity unless the stored state is newer; 'applied' or 'stale'."""
    deleting = change.operation == "delete"
    entity = change.entity
    row = {"blueprint": change.blueprint, "identifier": change.identifier,
           "title": storable_text(entity.get("title")), "icon": storable_text(entity.get("icon")),
           "team": entity.get("team"),
           "properties": {} if deleting else entity["properties"],
           "relations": {} if deleting else entity["relations"],
           "version": version, "deleted": deleting, "created_at": now, "updated_at": now,
           "event_id": event_id}
    stmt = statements.entity_upsert(conn.dialect.name, deleting)
    # RETURNING, not rowcount: psycopg reports 1 even when the WHERE clause skipped the update.
    touched = statements.run(conn, stmt, row).fetchone()
    return "applied" if touched is not None else "stale"
