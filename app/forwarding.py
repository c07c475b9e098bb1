"""Port forwarding wired into the app: outbox writes, the delivery worker, blueprint setup.

`install_forwarding(app, source)` is called by `create_app`. When `PORT_CLIENT_ID` and
`PORT_CLIENT_SECRET` are set, every entity change the store applies is written to the outbox in
the same transaction, and (with `RUN_WORKER_IN_WEB=true`) a delivery thread runs in the web
process; otherwise `python -m app.worker` delivers. The outbox API and CLI are always registered.
"""

import logging
import random
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa

from .config import parse_bool
from .delivery import backoff_delay, run_forever
from .outbox import Change, Outbox
from .port_client import PortPermanentError, PortRetryableError
from .port_setup import (build_client, ensure_blueprints, initialize_resources_enabled,
                         load_delivery_settings, port_enabled)
from .schema import entities
from .schema import outbox as outbox_table

log = logging.getLogger("jira_catalog_bridge.port")


@dataclass
class Forwarding:
    """Everything delivery needs; `client` is None when forwarding is off."""

    engine: object
    outbox: Outbox
    client: object
    settings: object
    blueprints: list
    initialize: bool
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def record_changes(self, conn, applied, _event_id):
        """Store listener: queue the applied changes in the store's transaction."""
        self.outbox.enqueue(conn, [as_change(change) for change in applied])

    def run(self):
        """Create missing blueprints (if configured), then deliver until `stop_event` is set."""
        if self.initialize:
            initialize_blueprints(self)
        run_forever(self.engine, self.outbox, self.client, self.settings, self.stop_event)

    def start_thread(self):
        """Run delivery in a daemon thread of this process."""
        self.thread = threading.Thread(target=self.run, name="port-outbox-worker", daemon=True)
        self.thread.start()

    def stop(self, timeout=None):
        """Ask the delivery loop to stop and wait for its thread, if any."""
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)


def as_change(change):
    """The outbox's Change from one of the store's applied entity changes."""
    if change.operation == "delete":
        return Change.delete(change.blueprint, change.identifier, change.delete_dependents)
    return Change.upsert(change.blueprint, change.entity)


def queue_whole_catalog(engine, outbox, chunk=500):
    """Queue an upsert of every live entity (after turning forwarding on); returns how many."""
    query = sa.select(entities).where(entities.c.deleted.is_(False)).order_by(
        entities.c.blueprint, entities.c.identifier)
    queued = 0
    with engine.begin() as conn:
        for rows in conn.execute(query).mappings().partitions(chunk):
            outbox.enqueue(conn, [Change.upsert(row["blueprint"], entity_of(row)) for row in rows])
            queued += len(rows)
    return queued


def entity_of(row):
    """A stored entity as Port's upsert takes it (unset title, icon and team left out)."""
    entity = {"identifier": row["identifier"], "properties": row["properties"],
              "relations": row["relations"]}
    entity.update({key: row[key] for key in ("title", "icon", "team") if row[key] is not None})
    return entity


def initialize_blueprints(forwarding):
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


def build_forwarding(engine, source, blueprint_definitions):
    """A Forwarding from raw settings in `source` (the environment merged with overrides)."""
    settings = load_delivery_settings(source)
    client = build_client(source, settings) if port_enabled(source) else None
    return Forwarding(engine, Outbox(outbox_table), client, settings, blueprint_definitions,
                      initialize_resources_enabled(source))


def install_forwarding(app, source):
    """Attach forwarding to the app built by create_app; see the module docstring."""
    from .views import outbox as outbox_views

    run_in_web = parse_bool("RUN_WORKER_IN_WEB", source.get("RUN_WORKER_IN_WEB", "false"))
    runtime = app.extensions["bridge"]
    definitions = [b.definition for b in runtime.blueprints.values()]
    forwarding = build_forwarding(runtime.store.engine, source, definitions)
    app.extensions["port_forwarding"] = forwarding
    app.register_blueprint(outbox_views.bp)
    app.cli.add_command(outbox_views.cli)
    if forwarding.client is None:
        return forwarding
    runtime.store.change_listeners.append(forwarding.record_changes)
    if run_in_web:
        forwarding.start_thread()
    return forwarding
