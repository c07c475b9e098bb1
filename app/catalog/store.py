"""The catalog store: entities with newest-wins versions and the event log, written in commits that
concurrent requests share (the group committer, app/catalog/committer.py).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..mapping.translate import EntityChange, Translation
from . import statements
from .access import create_key
from .committer import GroupCommitter
from .engine import utcnow
from .jira_state import FieldIds
from .migrate import upgrade_schema
from .tables import event_entities, events
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
    body_digest: str | None = None


@dataclass
class EventOutcome:
    """What processing an event did: its id, status and the entities it touched."""

    event_id: int | None
    status: str
    entities: list = field(default_factory=list)
    reason: str | None = None
    detail: dict | None = None


# An event to apply: its id, version, translation, and the outcome its row holds (None: unknown).
Applying = tuple[int, int | None, Translation, "EventOutcome | None"]


def event_status(translation: Translation, results: list[dict]) -> str:
    """failed / ignored / applied / stale, from a translation and the per-entity results."""
    if translation.failure:
        return "failed"
    if not results:
        return "ignored"
    return "applied" if any(r["result"] == "applied" for r in results) else "stale"


class Store:
    """Every read and write of the catalog goes through here."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.write_lock = write_lock_for(engine)
        self.committer = GroupCommitter(engine, self.write_lock)
        self.change_listeners: list[Callable[[sa.Connection, list[EntityChange], int], None]] = []
        self.field_ids = FieldIds(engine)

    def jira_context(self) -> dict:
        """What mappings read of Jira under ``jira`` in their input: the custom field ids by role."""
        return {"fields": self.field_ids.get()}

    def create_schema(self) -> None:
        """Create or upgrade the tables to the newest revision."""
        upgrade_schema(self.engine)

    def close(self) -> None:
        """Close the connections: the group committer's kept one, then the pool's."""
        self.committer.close()
        self.engine.dispose()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def shared_key(self, name: str) -> str:
        """A random key stored under `name`: created by the first caller, then read by all."""
        return create_key(self.engine, name)[0]

    def ingest(self, event: IncomingEvent, translation: Translation) -> EventOutcome:
        """Record a new event and apply its changes, committed before this returns (in a
        transaction shared with concurrent requests); a duplicate (same delivery id or same body)
        changes nothing and answers the entities its first delivery touched."""
        return self.ingest_many([(event, translation)])[0]

    def ingest_many(self, items: list[tuple[IncomingEvent, Translation]]) -> list[EventOutcome]:
        """Record several events in order, each as `ingest` does, all in one transaction: either
        every one of them is committed or none is. An event may repeat or supersede an earlier one
        of the same list (a duplicate, or newest wins)."""
        return self.committer.run(lambda conn: self.record(conn, items))

    def record(self, conn: sa.Connection, items: list[tuple[IncomingEvent, Translation]]) -> list[EventOutcome]:
        """Insert the events with their expected outcomes, then apply the changes of those whose
        delivery id or body was not recorded before; each statement runs once for all the events
        (statements.run_each). Inserting first changes nothing: an event's row depends on the event
        log only, its changes on the entities only."""
        expected = [expected_outcome(translation) for _, translation in items]
        event_ids = statements.insert_events(conn, [(event, outcome) for (event, _), outcome
                                                    in zip(items, expected)], utcnow())
        new = [(event_id, event.version, translation, outcome) for event_id, (event, translation), outcome
               in zip(event_ids, items, expected) if event_id is not None]
        applied = iter(self.apply_translations(conn, new))
        return [next(applied) if event_id is not None else self.original_of(conn, event)
                for event_id, (event, _) in zip(event_ids, items)]

    @staticmethod
    def original_of(conn: sa.Connection, event: IncomingEvent) -> EventOutcome:
        """A duplicate's outcome: the entities the event it repeats touched."""
        original = statements.find_original(conn, event)
        if original is None:  # pruned by retention meanwhile
            return EventOutcome(None, "duplicate")
        return EventOutcome(original.id, "duplicate", original.entities or [])

    def count_refusal(self, webhook: str, reason: str, count: int = 1) -> None:
        """Count `count` refused deliveries (a counter row per webhook and reason, never a body),
        committed with concurrent requests' writes."""
        now = utcnow()
        self.committer.run(lambda conn: statements.count_refusal(conn, webhook, reason, now, count))

    def reprocess(self, event_id: int, version: int | None, translation: Translation) -> EventOutcome:
        """Re-apply a stored event with a fresh translation (replay), newest-wins still holding."""
        with writing(self.engine, self.write_lock) as conn:
            conn.execute(event_entities.delete().where(event_entities.c.event_id == event_id))
            return self.apply_translation(conn, event_id, version, translation)

    def load_event(self, event_id: int) -> sa.Row | None:
        """The stored event row (raw body, headers, query, version), or None."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(events).where(events.c.id == event_id)).first()

    def apply_translation(self, conn: sa.Connection, event_id: int, version: int | None,
                          translation: Translation) -> EventOutcome:
        """Apply one stored event's changes and settle its row (a replay)."""
        return self.apply_translations(conn, [(event_id, version, translation, None)])[0]

    def apply_translations(self, conn: sa.Connection, events: list[Applying]) -> list[EventOutcome]:
        """Apply the changes of events (id, version, translation, the outcome its row holds or
        None) in order, notify listeners with what each applied, and settle each event's row
        unless it already holds its outcome."""
        now = utcnow()
        changes = [(change, version, event_id) for event_id, version, translation, _ in events
                   for change in translation.changes]
        results = iter(statements.apply_changes(conn, changes, now))
        outcomes, settled = [], []
        for event_id, _, translation, recorded in events:
            entities = [change_result(change, next(results)) for change in translation.changes]
            outcome = make_outcome(event_id, translation, entities)
            outcomes.append(outcome)
            if recorded is None or outcome.entities != recorded.entities:
                settled.append((event_id, outcome))
        statements.record_links(conn, [(outcome.event_id, outcome.entities) for outcome in outcomes])
        for listener in self.change_listeners:
            for (event_id, _, translation, _), outcome in zip(events, outcomes):
                applied = [change for change, result in zip(translation.changes, outcome.entities)
                           if result["result"] == "applied"]
                listener(conn, applied, event_id)
        statements.settle_events(conn, settled, now)
        return outcomes


def change_result(change: EntityChange, result: str) -> dict[str, str]:
    """What an event did to one entity, as the event log and the answer list it."""
    return {"blueprint": change.blueprint, "identifier": change.identifier,
            "operation": change.operation, "result": result}


def make_outcome(event_id: int | None, translation: Translation, results: list[dict]) -> EventOutcome:
    """The EventOutcome of a translation whose changes had these results; a failed or an ignored
    event's detail says why."""
    why = translation.failure or (translation.ignored if not results else None)
    failure = why.as_dict() if why else None
    return EventOutcome(event_id, event_status(translation, results), results,
                        failure["reason"] if failure else None, failure)


def expected_outcome(translation: Translation) -> EventOutcome:
    """The outcome when every change applies: what a new event's row is written with, so that
    the common case needs no second statement to settle it."""
    return make_outcome(None, translation,
                        [change_result(change, "applied") for change in translation.changes])
