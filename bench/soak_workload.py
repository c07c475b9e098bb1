"""The soak's workload: issue histories as signed Jira deliveries, and the catalog they must leave.

Each issue gets a timeline of events with strictly increasing `timestamp`s: it is created, updated,
sometimes deleted and re-created later. The deliveries are then shuffled and some are repeated
with the same delivery id, so the service sees them out of order and more than once.
"""

import copy
import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "jira-payloads" / "seed-issue-created.json"
STATUSES = ("To Do", "In Progress", "In Review", "Done")
DELETE_CHANCE = 0.08
EVENT_NAMES = {"created": ("jira:issue_created", "issue_created"),
               "updated": ("jira:issue_updated", "issue_generic"),
               "deleted": ("jira:issue_deleted", "issue_deleted")}


@dataclass(frozen=True)
class Delivery:
    """One event as Jira would deliver it: raw body and delivery id, plus what it should do."""

    delivery_id: str
    body: bytes
    key: str
    timestamp: int
    kind: str
    summary: str
    status: str


def make_payload(seed, key, kind, timestamp, summary, status):
    """The seed payload turned into event `kind` of issue `key` at `timestamp`."""
    payload = copy.deepcopy(seed)
    payload["webhookEvent"], payload["issue_event_type_name"] = EVENT_NAMES[kind]
    payload["timestamp"] = timestamp
    issue = payload["issue"]
    issue["key"], issue["id"] = key, key.split("-")[1]
    issue["fields"]["summary"] = summary
    issue["fields"]["status"]["name"] = status
    return payload


def next_kind(rng, alive):
    """The next event of an issue: a deleted one is re-created, a live one updated or deleted."""
    if not alive:
        return "created"
    return "deleted" if rng.random() < DELETE_CHANCE else "updated"


def issue_history(rng, seed, key, length, start):
    """`length` deliveries for issue `key`, timestamps increasing from `start`."""
    deliveries, alive, stamp = [], False, start
    for revision in range(length):
        kind = next_kind(rng, alive)
        alive = kind != "deleted"
        stamp += rng.randint(1, 60_000)
        summary, status = f"{key} revision {revision}", rng.choice(STATUSES)
        body = json.dumps(make_payload(seed, key, kind, stamp, summary, status)).encode("utf-8")
        deliveries.append(Delivery(str(uuid.UUID(int=rng.getrandbits(128))), body, key, stamp,
                                   kind, summary, status))
    return deliveries


def history_lengths(rng, events, issues):
    """How many events each issue gets: at least one each, `events` in all."""
    lengths = [1] * issues
    for _ in range(events - issues):
        lengths[rng.randrange(issues)] += 1
    return lengths


def build_workload(events, issues, duplicates, seed_number):
    """(unique deliveries, shuffled sends including `duplicates` repeats of earlier deliveries)."""
    rng = random.Random(seed_number)
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    issues = min(issues, events)
    unique = []
    for number, length in enumerate(history_lengths(rng, events, issues), start=1):
        unique.extend(issue_history(rng, seed, f"SOAK-{number}", length, 1_700_000_000_000))
    sends = unique + [rng.choice(unique) for _ in range(duplicates)]
    rng.shuffle(sends)
    return unique, sends


def expected_catalog(unique):
    """Per issue key, the newest delivery, for the issues whose newest event is not a delete."""
    newest = {}
    for delivery in unique:
        if delivery.key not in newest or newest[delivery.key].timestamp < delivery.timestamp:
            newest[delivery.key] = delivery
    return {key: d for key, d in newest.items() if d.kind != "deleted"}


def entity_differs(entity, delivery):
    """Whether a served entity is not what `delivery` (the issue's newest event) describes."""
    properties = entity.get("properties") or {}
    wanted = {"summary": delivery.summary, "status": delivery.status,
              "lastChangeType": EVENT_NAMES[delivery.kind][1]}
    return ({k: properties.get(k) for k in wanted} != wanted or
            entity.get("title") != f"{delivery.key} - {delivery.summary}")


def count_wrong(entities, expected):
    """Entities missing, extra, or differing from the expected newest state."""
    served = {e["identifier"]: e for e in entities}
    wrong = len(set(served) ^ set(expected))
    return wrong + sum(1 for key, delivery in expected.items()
                       if key in served and entity_differs(served[key], delivery))
