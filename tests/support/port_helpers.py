"""Helpers the Port forwarding tests share: queueing changes, running and draining the loop."""

import json
import threading
from contextlib import contextmanager

from app.config import PROJECT_ROOT
from app.port.delivery import deliver_once, run_forever
from app.port.outbox import Change
from tests.support.helpers import SECRET, wait_for

PORT_SETTINGS = {"PORT_CLIENT_ID": "test-client", "PORT_CLIENT_SECRET": "test-secret",
                 "PORT_BACKOFF_BASE_SECONDS": "0.01", "PORT_BACKOFF_MAX_SECONDS": "0.05",
                 "PORT_WORKER_POLL_SECONDS": "0.01", "INITIALIZE_PORT_RESOURCES": "false"}


def shipped_blueprint(identifier):
    """A blueprint definition from mappings/blueprints/."""
    path = PROJECT_ROOT / "mappings" / "blueprints" / f"{identifier}.json"
    return json.loads(path.read_text())


def forwarding_overrides(database_url, fake_port):
    """Settings overrides of an app that forwards to `fake_port` with short backoffs (a test
    module's `settings_overrides` fixture returns them to make its `app` forward)."""
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
            "PORT_BASE_URL": fake_port.base_url, **PORT_SETTINGS}


def deliver(forwarding):
    """One delivery pass of an app's forwarding."""
    return deliver_once(forwarding.engine, forwarding.outbox, forwarding.client,
                        forwarding.settings)


def enqueue(engine, outbox, *changes):
    """Queue changes in their own transaction, as the store would."""
    with engine.begin() as conn:
        outbox.enqueue(conn, list(changes))


def issue(identifier, summary="v1"):
    """An upsert of a small jiraIssue entity."""
    return Change.upsert("jiraIssue", {"identifier": identifier, "title": identifier,
                                       "properties": {"summary": summary}, "relations": {}})


def settled(engine, outbox):
    """Whether nothing is pending or in flight."""
    with engine.connect() as conn:
        status = outbox.count_by_status(conn)
    return status["pending"] == status["inflight"] == 0


def drain(engine, outbox, client, settings, seconds=10):
    """Run passes until nothing is pending or in flight (items in backoff become due quickly)."""
    def passed():
        deliver_once(engine, outbox, client, settings)
        return settled(engine, outbox)
    wait_for(passed, seconds)


@contextmanager
def running_loop(engine, outbox, client, settings):
    """run_forever in a thread for the duration of the block."""
    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(engine, outbox, client, settings, stop))
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()


def stored_summaries(fake_port):
    """`{identifier: summary}` of the entities the fake Port holds."""
    return {key[1]: e["properties"].get("summary") for key, e in fake_port.state.entities.items()}


def accepted_writes(fake_port):
    """(identifier, summary) of every entity Port accepted, one per acceptance."""
    writes = []
    for request in fake_port.requests("POST", "/v1/blueprints/jiraIssue/entities"):
        if request.status in (200, 201, 207):
            entities = request.body["entities"] if "entities" in request.body else [request.body]
            writes += [(e["identifier"], e["properties"].get("summary")) for e in entities]
    return writes
