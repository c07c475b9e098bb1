"""The outbox table on SQLite and PostgreSQL: enqueue, coalescing, claiming, outcomes."""

import threading

import pytest
import sqlalchemy as sa

from app.port.outbox import Change
from tests.support.helpers import run_in_threads
from tests.support.port_helpers import enqueue
from tests.support.port_helpers import issue as plain_issue


def issue(identifier, version=1):
    return plain_issue(identifier, f"v{version}")


def counts(engine, outbox):
    with engine.connect() as conn:
        return {k: v for k, v in outbox.count_by_status(conn).items() if v}


def test_enqueue_rolls_back_with_the_caller(outbox_db):
    engine, outbox = outbox_db
    with pytest.raises(RuntimeError), engine.begin() as conn:
        outbox.enqueue(conn, [issue("PI-1")])
        raise RuntimeError("the entity change failed")

    assert counts(engine, outbox) == {}


def test_newest_change_of_an_entity_wins(outbox_db):
    engine, outbox = outbox_db
    for version in (1, 2, 3):
        enqueue(engine, outbox, issue("PI-1", version))
    enqueue(engine, outbox, issue("PI-2"))

    items = outbox.claim_batch(engine, limit=10)

    summaries = [(i.identifier, i.entity["properties"]["summary"]) for i in items]
    assert summaries == [("PI-1", "v3"), ("PI-2", "v1")]
    assert counts(engine, outbox) == {"inflight": 2, "superseded": 2}


def test_claimed_items_are_not_claimed_again(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"), issue("PI-2"), issue("PI-3"))

    first = outbox.claim_batch(engine, limit=2)
    second = outbox.claim_batch(engine, limit=10)

    assert [i.identifier for i in first] == ["PI-1", "PI-2"]
    assert [i.identifier for i in second] == ["PI-3"]
    assert outbox.claim_batch(engine, limit=10) == []


def test_change_during_flight_waits_for_the_older_one(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1", 1))
    [older] = outbox.claim_batch(engine, limit=10)
    enqueue(engine, outbox, issue("PI-1", 2))

    assert outbox.claim_batch(engine, limit=10) == []
    with engine.begin() as conn:
        outbox.mark_sent(conn, [older])
    [newer] = outbox.claim_batch(engine, limit=10)

    assert newer.entity["properties"]["summary"] == "v2"


def test_expired_lease_is_claimed_again(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"))
    [first] = outbox.claim_batch(engine, limit=10, lease_seconds=-1)

    [again] = outbox.claim_batch(engine, limit=10)

    assert (again.id, again.attempts) == (first.id, 2)


def test_retry_waits_and_dead_waits_for_requeue(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"), issue("PI-2"))
    late, broken = outbox.claim_batch(engine, limit=10)
    with engine.begin() as conn:
        outbox.mark_retry(conn, late, 3600, "Port answered 503")
        outbox.mark_dead(conn, broken, "Port answered 422: bad property")

    assert outbox.claim_batch(engine, limit=10) == []
    with engine.begin() as conn:
        [dead], _ = outbox.list_items(conn, status="dead")
        assert outbox.requeue_dead(conn) == 1
    assert dead["identifier"] == "PI-2" and "422" in dead["last_error"]
    assert [i.identifier for i in outbox.claim_batch(engine, limit=10)] == ["PI-2"]


def test_newer_change_supersedes_a_dead_one(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1", 1))
    [item] = outbox.claim_batch(engine, limit=10)
    with engine.begin() as conn:
        outbox.mark_dead(conn, item, "Port answered 422")
    enqueue(engine, outbox, issue("PI-1", 2))

    assert counts(engine, outbox) == {"pending": 1, "superseded": 1}


def test_delete_after_upsert_sends_only_the_delete(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"))
    enqueue(engine, outbox, Change.delete("jiraIssue", "PI-1", delete_dependents=True))

    [item] = outbox.claim_batch(engine, limit=10)

    assert (item.operation, item.delete_dependents, item.entity) == ("delete", True, None)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_claimers_never_share_an_item(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, *[issue(f"PI-{n}") for n in range(400)])
    claimed, start = [], threading.Barrier(4)

    def claim_all():
        start.wait()
        while batch := outbox.claim_batch(engine, limit=7):
            claimed.extend(item.id for item in batch)

    run_in_threads(claim_all, 4)

    assert len(claimed) == 400 and len(set(claimed)) == 400


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_claim_uses_skip_locked_on_postgresql(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"), issue("PI-2"))
    table = outbox.table
    with engine.begin() as conn:
        conn.execute(sa.select(table.c.id).where(table.c.identifier == "PI-1").with_for_update())
        # Another transaction holds PI-1: the claim skips it instead of waiting.
        items = outbox.claim_batch(engine, limit=10)

    assert [i.identifier for i in items] == ["PI-2"]


def test_prune_drops_only_old_delivered_items(outbox_db):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1", 1))
    enqueue(engine, outbox, issue("PI-1", 2), issue("PI-2"), issue("PI-3"))
    sent, dead, _ = outbox.claim_batch(engine, limit=10)
    with engine.begin() as conn:
        outbox.mark_sent(conn, [sent])
        outbox.mark_dead(conn, dead, "Port answered 422")
        assert outbox.prune(conn, older_than_seconds=3600) == 0
        assert outbox.prune(conn, older_than_seconds=-1) == 2

    assert counts(engine, outbox) == {"inflight": 1, "dead": 1}


def test_twenty_thousand_changes_are_queued_in_one_transaction(outbox_db):
    engine, outbox = outbox_db
    changes = [Change.upsert("jiraIssue", {"identifier": f"PI-{n}"}) for n in range(20_000)]
    enqueue(engine, outbox, *changes)
    enqueue(engine, outbox, *changes)
    with engine.connect() as conn:
        counts = outbox.count_by_status(conn)
    assert (counts["pending"], counts["superseded"]) == (20_000, 20_000)
