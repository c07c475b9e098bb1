"""The delivery loop: sends the outbox to Port, in order per entity, in bulk where it can.

It runs in the Procfile's `worker:` process (`app.worker`), or inside the web process with
`RUN_WORKER_IN_WEB=true` (see `app.port.forwarding`). While Port's rate limit pauses the client
(a 429), no batch is claimed and a batch under way hands its unsent items back.
"""

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from types import ModuleType

import sqlalchemy as sa

from ..config import PortSettings
from .client import BulkResult, PortClient, PortError, PortPermanentError, PortRetryableError, entity_body
from .outbox import Item, Outbox

log = logging.getLogger("jira_catalog_bridge.port")


@dataclass
class DeliveryStats:
    """What one pass of the loop did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0


@dataclass(frozen=True)
class Retry:
    """Outcome: try again after `delay` seconds."""

    delay: float
    error: str


@dataclass(frozen=True)
class Dead:
    """Outcome: Port refused the item for good."""

    error: str


SENT = "sent"
PRUNE_INTERVAL = 3600.0
# Past this many doublings every backoff step is PORT_BACKOFF_MAX_SECONDS; capping the exponent
# keeps an item retried for days from overflowing the float.
MAX_DOUBLINGS = 32


def backoff_delay(attempts: int, settings: PortSettings, retry_after: float | None = None,
                  rng: random.Random | ModuleType = random) -> float:
    """Exponential backoff with jitter (50-100% of the step), never shorter than `retry_after`."""
    doublings = min(MAX_DOUBLINGS, max(0, attempts - 1))
    step = min(settings.backoff_max, settings.backoff_base * 2 ** doublings)
    delay = step * (0.5 + rng.random() / 2)
    return max(delay, retry_after or 0.0)


def outcome_of_error(item: Item, exc: PortError, settings: PortSettings,
                     rng: random.Random | ModuleType = random) -> Retry | Dead:
    """Retry or Dead for a failed request about `item`."""
    if isinstance(exc, PortRetryableError):
        return Retry(backoff_delay(item.attempts, settings, exc.retry_after, rng), str(exc))
    return Dead(str(exc))


def send_delete(client: PortClient, item: Item, settings: PortSettings,
                rng: random.Random | ModuleType = random) -> Retry | Dead | str:
    """Delete one entity in Port (already gone counts as done)."""
    try:
        client.delete(item.blueprint, item.identifier, item.delete_dependents)
    except (PortRetryableError, PortPermanentError) as exc:
        return outcome_of_error(item, exc, settings, rng)
    return SENT


def send_upsert(client: PortClient, item: Item, settings: PortSettings,
                rng: random.Random | ModuleType = random) -> Retry | Dead | str:
    """Upsert one entity in Port."""
    try:
        client.upsert(item.blueprint, item.entity, settings.merge,
                      settings.create_missing_related_entities)
    except (PortRetryableError, PortPermanentError) as exc:
        return outcome_of_error(item, exc, settings, rng)
    return SENT


def send_bulk(client: PortClient, blueprint: str, chunk: list[Item], settings: PortSettings,
              rng: random.Random | ModuleType = random) -> list[Retry | Dead | str]:
    """Upsert a chunk with one bulk request; outcomes in chunk order."""
    if len(chunk) == 1:
        return [send_upsert(client, chunk[0], settings, rng)]
    try:
        results = client.bulk_upsert(blueprint, [item.entity for item in chunk], settings.merge,
                                     settings.create_missing_related_entities)
    except PortRetryableError as exc:
        return [outcome_of_error(item, exc, settings, rng) for item in chunk]
    except PortPermanentError:
        # Port refused the request as a whole: one by one, only the culprits end up dead.
        return [send_upsert(client, item, settings, rng) for item in chunk]
    return [outcome_of_bulk_result(item, result, settings, rng)
            for item, result in zip(chunk, results)]


def outcome_of_bulk_result(item: Item, result: BulkResult, settings: PortSettings,
                           rng: random.Random | ModuleType = random) -> Retry | Dead | str:
    """Outcome for one entity of a bulk answer."""
    if result.ok:
        return SENT
    message = f"Port answered {result.status} for this entity: {result.error}"
    if result.status in (408, 429) or result.status >= 500:
        return Retry(backoff_delay(item.attempts, settings, None, rng), message)
    return Dead(message)


def chunk_upserts(items: list[Item], settings: PortSettings) -> list[list[Item]]:
    """Split one blueprint's upserts into chunks of at most N entities and M bytes of JSON."""
    chunks, current, size = [], [], 0
    for item in items:
        item_size = len(json.dumps(entity_body(item.entity), ensure_ascii=False).encode()) + 1
        if current and (len(current) >= settings.bulk_max_entities
                        or size + item_size > settings.bulk_max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += item_size
    return chunks + ([current] if current else [])


def plan_requests(items: list[Item], settings: PortSettings) -> list[tuple[str, str, list[Item]]]:
    """Group claimed items into requests `(kind, blueprint, items)`; kind: delete/bulk/single."""
    upserts_by_blueprint = {}
    plan = []
    for item in items:
        if item.operation == "delete":
            plan.append(("delete", item.blueprint, [item]))
        else:
            upserts_by_blueprint.setdefault(item.blueprint, []).append(item)
    for blueprint, upserts in upserts_by_blueprint.items():
        if settings.bulk:
            plan.extend(("bulk", blueprint, chunk) for chunk in chunk_upserts(upserts, settings))
        else:
            plan.extend(("single", blueprint, [item]) for item in upserts)
    return plan


def send_request(client: PortClient, kind: str, blueprint: str, items: list[Item], settings: PortSettings,
                 rng: random.Random | ModuleType = random) -> list[Retry | Dead | str]:
    """Send one planned request; outcomes in item order."""
    if kind == "delete":
        return [send_delete(client, items[0], settings, rng)]
    if kind == "single":
        return [send_upsert(client, items[0], settings, rng)]
    return send_bulk(client, blueprint, items, settings, rng)


def record_outcomes(engine: sa.Engine, outbox: Outbox, items: list[Item], outcomes: list[Retry | Dead | str],
                    stats: DeliveryStats) -> None:
    """Write the outcomes of one request in one transaction and count them."""
    sent = [item for item, outcome in zip(items, outcomes) if outcome == SENT]
    with engine.begin() as conn:
        if sent:
            outbox.mark_sent(conn, sent)
        for item, outcome in zip(items, outcomes):
            if isinstance(outcome, Retry):
                outbox.mark_retry(conn, item, outcome.delay, outcome.error)
            elif isinstance(outcome, Dead):
                log.warning("outbox item %s (%s/%s) is dead: %s", item.id, item.blueprint,
                            item.identifier, outcome.error)
                outbox.mark_dead(conn, item, outcome.error)
    stats.sent += len(sent)
    stats.retried += sum(isinstance(o, Retry) for o in outcomes)
    stats.dead += sum(isinstance(o, Dead) for o in outcomes)


def deliver_once(engine: sa.Engine, outbox: Outbox, client: PortClient, settings: PortSettings,
                 rng: random.Random | ModuleType = random) -> DeliveryStats:
    """Claim one batch of due items, send it to Port and record every outcome.

    Items not sent within half their lease are handed back, so that a slow Port never lets a
    lease expire while this worker still holds the item (another worker could then send it too).
    So are the items not yet sent when Port's rate limit pauses the client; nothing is claimed
    while it does.
    """
    started = time.monotonic()
    if client.rate_limit.remaining() > 0:
        return DeliveryStats()
    items = outbox.claim_batch(engine, settings.batch_size, settings.lease_seconds)
    stats = DeliveryStats(claimed=len(items))
    plan = plan_requests(items, settings)
    for position, (kind, blueprint, request_items) in enumerate(plan):
        if (time.monotonic() - started > settings.lease_seconds / 2
                or client.rate_limit.remaining() > 0):
            unsent = [item for _, _, planned in plan[position:] for item in planned]
            with engine.begin() as conn:
                outbox.release(conn, unsent)
            stats.released = len(unsent)
            break
        outcomes = send_request(client, kind, blueprint, request_items, settings, rng)
        record_outcomes(engine, outbox, request_items, outcomes, stats)
    return stats


def prune_delivered(engine: sa.Engine, outbox: Outbox, settings: PortSettings) -> None:
    """Drop sent and superseded items older than the retention period."""
    with engine.begin() as conn:
        removed = outbox.prune(conn, settings.retention_days * 86400)
    if removed:
        log.info("pruned %d delivered outbox item(s)", removed)


def run_forever(engine: sa.Engine, outbox: Outbox, client: PortClient, settings: PortSettings,
                stop_event: threading.Event) -> None:
    """Deliver until `stop_event` is set, idling `poll_interval` when nothing is due and for as
    long as Port's rate limit pauses the client."""
    next_prune = 0.0
    while not stop_event.is_set():
        try:
            if time.monotonic() >= next_prune:
                prune_delivered(engine, outbox, settings)
                next_prune = time.monotonic() + PRUNE_INTERVAL
            stats = deliver_once(engine, outbox, client, settings)
        except Exception:  # noqa: BLE001 - the loop must outlive any one bad pass
            # E.g. the database restarting: claimed items return once their lease expires.
            log.exception("outbox delivery pass failed")
            stats = DeliveryStats()
        idle = max(client.rate_limit.remaining(),
                   settings.poll_interval if stats.claimed == 0 else 0.0)
        if idle > 0:
            stop_event.wait(idle)
