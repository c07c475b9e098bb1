"""Port forwarding wired to the store: outbox writes, the delivery worker, blueprint setup.

`install_forwarding` is called by the app factory. When `PORT_CLIENT_ID` and `PORT_CLIENT_SECRET`
are set, every entity change the store applies is written to the outbox in the same transaction,
and (with `RUN_WORKER_IN_WEB=true`) a delivery thread runs in the web process; otherwise
`python -m app.worker` delivers. The outbox can be read and re-queued either way.
"""

import logging
import random
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..catalog.store import Store
from ..catalog.tables import entities
from ..catalog.tables import outbox as outbox_table
from ..config import PortSettings
from ..mapping.translate import EntityChange
from .client import PortClient, PortPermanentError, PortRetryableError
from .delivery import backoff_delay, run_forever
from .outbox import Change, Outbox
from .setup import build_client, ensure_blueprints

log = logging.getLogger("jira_catalog_bridge.port")


@dataclass
class Forwarding:
    """Everything delivery needs; `client` is None when forwarding is off."""

    engine: sa.Engine
    outbox: Outbox
    client: PortClient | None
    settings: PortSettings
    blueprints: list
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        """Whether Port credentials are set, so applied changes are queued for Port."""
        return self.client is not None

    def counts(self) -> dict[str, int]:
        """The outbox's `{status: count}`, zeros included."""
        with self.engine.connect() as conn:
            return self.outbox.count_by_status(conn)

    def list_items(self, status: str | None, limit: int, offset: int) -> tuple[list, int]:
        """`(rows, total)`: a page of outbox items, oldest first, optionally of one status."""
        with self.engine.connect() as conn:
            return self.outbox.list_items(conn, status, limit, offset)

    def requeue_dead(self) -> int:
        """Make every dead item due again; returns how many."""
        with self.engine.begin() as conn:
            return self.outbox.requeue_dead(conn)

    def resync(self) -> int:
        """Queue an upsert of every live entity (after turning forwarding on); returns how many."""
        return queue_whole_catalog(self.engine, self.outbox)

    def record_changes(self, conn: sa.Connection, applied: list[EntityChange], _event_id: int) -> None:
        """Store listener: queue the applied changes in the store's transaction."""
        self.outbox.enqueue(conn, [as_change(change) for change in applied])

    def run(self) -> None:
        """Create missing blueprints (if configured), then deliver until `stop_event` is set."""
        if self.settings.initialize_resources:
            initialize_blueprints(self)
        run_forever(self.engine, self.outbox, self.client, self.settings, self.stop_event)

    def start_thread(self) -> None:
        """Run delivery in a daemon thread of this process."""
        self.thread = threading.Thread(target=self.run, name="port-outbox-worker", daemon=True)
        self.thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the delivery loop to stop and wait for its thread, if any."""
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)


def as_change(change: EntityChange) -> Change:
    """The outbox's Change from one of the store's applied entity changes."""
    if change.operation == "delete":
        return Change.delete(change.blueprint, change.identifier, change.delete_dependents)
    return Change.upsert(change.blueprint, change.entity)


def queue_whole_catalog(engine: sa.Engine, outbox: Outbox, chunk: int = 500) -> int:
    """Queue an upsert of every live entity (after turning forwarding on); returns how many."""
    query = sa.select(entities).where(entities.c.deleted.is_(False)).order_by(
        entities.c.blueprint, entities.c.identifier)
    queued = 0
    with engine.begin() as conn:
        for rows in conn.execute(query).mappings().partitions(chunk):
            outbox.enqueue(conn, [Change.upsert(row["blueprint"], entity_of(row)) for row in rows])
            queued += len(rows)
    return queued


def entity_of(row: sa.RowMapping) -> dict:
    """A stored entity as Port's upsert takes it (unset title, icon and team left out)."""
    entity = {"identifier": row["identifier"], "properties": row["properties"],
              "relations": row["relations"]}
    entity.update({key: row[key] for key in ("title", "icon", "team") if row[key] is not None})
    return entity


def initialize_blueprints(forwarding: Forwarding) -> None:
    """ensure_blueprints, retried with backoff while Port is unreachable."""
    definitions = forwarding.blueprints
    attempt = 0
    while not forwarding.stop_event.is_set():
        attempt += 1
        try:
            ensure_blueprints(forwarding.client, definitions)
            return
        except PortPermanentError as exc:
            log.error("could not create the shipped blueprints in Port: %s", exc)
            return
        except PortRetryableError as exc:
            delay = backoff_delay(attempt, forwarding.settings, exc.retry_after, random)
            log.warning("Port unavailable for blueprint setup (%s); retrying in %.1fs", exc, delay)
            forwarding.stop_event.wait(delay)


def install_forwarding(store: Store, settings: PortSettings, blueprints: list[dict]) -> Forwarding:
    """Forwarding for `store`: queues its applied changes when Port credentials are set, and
    starts the delivery thread when RUN_WORKER_IN_WEB is set too; see the module docstring."""
    forwarding = Forwarding(store.engine, Outbox(outbox_table), build_client(settings), settings,
                            blueprints)
    if forwarding.client is None:
        return forwarding
    store.change_listeners.append(forwarding.record_changes)
    if settings.run_in_web:
        forwarding.start_thread()
    return forwarding
