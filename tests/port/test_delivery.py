"""The delivery loop end to end: outbox in a real database, fake Port over real HTTP."""

import random
import threading
from contextlib import ExitStack
from dataclasses import replace

import pytest
import sqlalchemy as sa

from app.port.client import PortClient
from app.port.delivery import backoff_delay, chunk_upserts, deliver_once
from app.port.outbox import Change
from app.port.ratelimit import RETRY_AFTER_CEILING
from tests.support.port_helpers import (
    accepted_writes,
    drain,
    enqueue,
    issue,
    running_loop,
    settled,
    stored_summaries,
    wait_for,
)


def test_seed_entity_arrives(outbox_db, port_client, fake_port, fast_settings, seed_entity):
    engine, outbox = outbox_db
    enqueue(engine, outbox, Change.upsert("jiraIssue", seed_entity))

    stats = deliver_once(engine, outbox, port_client, fast_settings)

    assert (stats.claimed, stats.sent) == (1, 1)
    stored = fake_port.entity("jiraIssue", "PI-1")
    assert {k: stored[k] for k in seed_entity} == seed_entity


def test_delete_arrives(outbox_db, port_client, fake_port, fast_settings, seed_entity):
    engine, outbox = outbox_db
    enqueue(engine, outbox, Change.upsert("jiraIssue", seed_entity))
    deliver_once(engine, outbox, port_client, fast_settings)
    enqueue(engine, outbox, Change.delete("jiraIssue", "PI-1", delete_dependents=True))

    stats = deliver_once(engine, outbox, port_client, fast_settings)

    assert stats.sent == 1
    assert fake_port.entity("jiraIssue", "PI-1") is None
    assert fake_port.requests("DELETE")[0].query == {"delete_dependents": ["true"]}


def test_delete_of_entity_port_never_had_is_done(outbox_db, port_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, Change.delete("jiraIssue", "PI-404"))

    assert deliver_once(engine, outbox, port_client, fast_settings).sent == 1


def test_port_down_then_back_delivers_newest_once(outbox_db, port_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, *[issue(f"PI-{n}", "v1") for n in range(30)])
    deliver_once(engine, outbox, port_client, fast_settings)
    fake_port.set_down(True)
    enqueue(engine, outbox, *[issue(f"PI-{n}", "v2") for n in range(0, 30, 2)])
    enqueue(engine, outbox, *[issue(f"PI-{n}", "v3") for n in range(0, 30, 4)])
    enqueue(engine, outbox, Change.delete("jiraIssue", "PI-29"))
    stats = deliver_once(engine, outbox, port_client, fast_settings)
    assert stats.sent == 0 and stats.retried == stats.claimed > 0

    fake_port.set_down(False)
    drain(engine, outbox, port_client, fast_settings)

    with engine.connect() as conn:
        assert outbox.count_by_status(conn)["dead"] == 0
    expected = {f"PI-{n}": "v3" if n % 4 == 0 else "v2" if n % 2 == 0 else "v1" for n in range(29)}
    assert stored_summaries(fake_port) == expected
    writes = accepted_writes(fake_port)
    assert len(writes) == len(set(writes)), "an entity version was accepted twice"
    assert not any(summary == "v2" and int(i[3:]) % 4 == 0 for i, summary in writes)


def test_overload_backs_off_then_delivers(outbox_db, port_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"), Change.delete("jiraIssue", "PI-9"))
    fake_port.fail_next(2, 503)

    first = deliver_once(engine, outbox, port_client, fast_settings)
    drain(engine, outbox, port_client, fast_settings)

    assert first.retried == 2
    with engine.connect() as conn:
        assert outbox.count_by_status(conn)["sent"] == 2
    assert fake_port.entity("jiraIssue", "PI-1") is not None


def test_retry_after_is_honoured(outbox_db, limited_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"))
    fake_port.fail_next(1, 429, retry_after=3600)

    deliver_once(engine, outbox, limited_client, fast_settings)

    with engine.connect() as conn:
        [item], _ = outbox.list_items(conn, status="pending")
        due, updated = conn.execute(sa.select(outbox.table.c.next_attempt_at,
                                              outbox.table.c.updated_at)).one()
    assert "429" in item["last_error"]
    assert (due - updated).total_seconds() >= 3600
    assert deliver_once(engine, outbox, limited_client, fast_settings).claimed == 0


@pytest.mark.parametrize("raw", ["1e300", "inf", "nan", "-5", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_bogus_retry_after_is_bounded_in_delivery(outbox_db, limited_client, fake_port,
                                                  fast_settings, raw):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"))
    fake_port.fail_next(1, 429, retry_after=raw)

    stats = deliver_once(engine, outbox, limited_client, fast_settings)

    assert stats.retried == 1
    with engine.connect() as conn:
        due, updated = conn.execute(sa.select(outbox.table.c.next_attempt_at,
                                              outbox.table.c.updated_at)).one()
    assert 0 <= (due - updated).total_seconds() <= RETRY_AFTER_CEILING + 1


def test_backoff_of_an_item_retried_for_days_stays_bounded(fast_settings):
    settings = replace(fast_settings, backoff_base=1.0, backoff_max=300.0)

    assert 150 <= backoff_delay(5000, settings) <= 300


def test_a_429_pauses_every_send_of_the_process_until_it_expires(outbox_db, fake_port,
                                                                  fast_settings):
    engine, outbox = outbox_db
    # Two clients of the same credentials, as two delivery threads of one process have.
    first = PortClient(fake_port.base_url, "test-client", "test-secret", timeout=2.0)
    second = PortClient(fake_port.base_url, "test-client", "test-secret", timeout=2.0)
    first.access_token(), second.access_token()
    enqueue(engine, outbox, *[issue(f"PI-{n}") for n in range(30)],
            *[Change.delete("jiraIssue", f"PI-{n}") for n in range(40, 43)])
    fake_port.fail_next(1, 429, retry_after=2)

    stats = deliver_once(engine, outbox, first, fast_settings)
    [limited] = [r for r in fake_port.requests() if r.status == 429]
    assert (stats.sent, stats.retried, stats.released) == (0, 1, 32)
    with running_loop(engine, outbox, first, replace(fast_settings, bulk=False)), \
            running_loop(engine, outbox, second, fast_settings):
        wait_for(lambda: settled(engine, outbox))

    later = [r for r in fake_port.requests() if r.at > limited.at]
    assert later and min(r.at for r in later) >= limited.answered_at + 2
    with engine.connect() as conn:
        assert outbox.count_by_status(conn)["dead"] == 0
    assert stored_summaries(fake_port) == {f"PI-{n}": "v1" for n in range(30)}
    assert sorted(r.status for r in fake_port.requests("DELETE")) == [404, 404, 404, 429]


def test_token_expiry_mid_run_is_refreshed(outbox_db, port_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, issue("PI-1"))
    deliver_once(engine, outbox, port_client, fast_settings)
    fake_port.revoke_tokens()
    enqueue(engine, outbox, issue("PI-1", "v2"))

    stats = deliver_once(engine, outbox, port_client, fast_settings)

    assert stats.sent == 1
    assert fake_port.entity("jiraIssue", "PI-1")["properties"]["summary"] == "v2"
    assert len(fake_port.requests("POST", "/v1/auth/access_token")) == 2


def test_schema_mismatch_parks_dead_and_requeue_resends(outbox_db, port_client, fake_port,
                                                        fast_settings, issue_blueprint):
    engine, outbox = outbox_db
    bad = Change.upsert("jiraIssue", {"identifier": "PI-7", "properties": {"velocity": 3}})
    enqueue(engine, outbox, issue("PI-1"), bad, issue("PI-2"))

    stats = deliver_once(engine, outbox, port_client, fast_settings)

    assert (stats.sent, stats.dead) == (2, 1)
    with engine.begin() as conn:
        [dead], _ = outbox.list_items(conn, status="dead")
    assert dead["identifier"] == "PI-7" and "velocity" in dead["last_error"]
    issue_blueprint["schema"]["properties"]["velocity"] = {"type": "number"}
    fake_port.add_blueprint(issue_blueprint)
    with engine.begin() as conn:
        outbox.requeue_dead(conn)
    assert deliver_once(engine, outbox, port_client, fast_settings).sent == 1
    assert fake_port.entity("jiraIssue", "PI-7")["properties"] == {"velocity": 3}


def test_unknown_blueprint_parks_dead(outbox_db, port_client, fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, Change.upsert("jiraSprint", {"identifier": "S-1"}),
            Change.delete("jiraSprint", "S-2"))

    stats = deliver_once(engine, outbox, port_client, fast_settings)

    assert stats.dead == 2


def test_upserts_go_in_bulk_of_twenty(outbox_db, port_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, *[issue(f"PI-{n}") for n in range(45)])

    assert deliver_once(engine, outbox, port_client, fast_settings).sent == 45

    bulks = fake_port.requests("POST", "/v1/blueprints/jiraIssue/entities/bulk")
    sizes = [len(r.body["entities"]) for r in bulks]
    assert sizes == [20, 20, 5]


def test_one_by_one_when_bulk_is_off(outbox_db, port_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, *[issue(f"PI-{n}") for n in range(3)])

    deliver_once(engine, outbox, port_client, replace(fast_settings, bulk=False))

    assert len(fake_port.requests("POST", "/v1/blueprints/jiraIssue/entities")) == 3
    assert fake_port.requests("POST", "/v1/blueprints/jiraIssue/entities/bulk") == []


def test_chunks_stay_under_the_byte_limit(fast_settings):
    class Item:
        def __init__(self, n):
            self.entity = {"identifier": f"PI-{n}", "properties": {"description": "x" * 300_000}}

    chunks = chunk_upserts([Item(n) for n in range(7)], fast_settings)

    assert [len(c) for c in chunks] == [3, 3, 1]


def test_backoff_grows_with_jitter_and_respects_retry_after(fast_settings):
    settings = replace(fast_settings, backoff_base=1.0, backoff_max=60.0)
    rng = random.Random(1)

    delays = [backoff_delay(n, settings, rng=rng) for n in (1, 2, 3, 10)]

    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2 and 2 <= delays[2] <= 4
    assert 30 <= delays[3] <= 60
    assert backoff_delay(1, settings, retry_after=120, rng=rng) == 120


def test_run_forever_delivers_until_stopped(outbox_db, port_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    with running_loop(engine, outbox, port_client, fast_settings):
        enqueue(engine, outbox, issue("PI-1"))
        wait_for(lambda: fake_port.entity("jiraIssue", "PI-1") is not None)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_workers_deliver_newest_state_once(outbox_db, fake_port, fast_settings):
    engine, outbox = outbox_db
    settings = replace(fast_settings, batch_size=5, bulk_max_entities=3)
    with ExitStack() as workers:
        for _ in range(3):
            client = PortClient(fake_port.base_url, "test-client", "test-secret")
            workers.enter_context(running_loop(engine, outbox, client, settings))
        for version in range(5):
            enqueue(engine, outbox, *[issue(f"PI-{n}", f"v{version}") for n in range(20)])
        wait_for(lambda: settled(engine, outbox))

    with engine.connect() as conn:
        assert outbox.count_by_status(conn)["dead"] == 0
    assert stored_summaries(fake_port) == {f"PI-{n}": "v4" for n in range(20)}
    writes = accepted_writes(fake_port)
    assert len(writes) == len(set(writes))


def test_slow_port_hands_back_items_before_their_lease_ends(outbox_db, port_client, fake_port,
                                                            fast_settings):
    engine, outbox = outbox_db
    enqueue(engine, outbox, *[Change.delete("jiraIssue", f"PI-{n}") for n in range(3)])
    port_client.access_token()
    # Each request outlasts half the lease, by far more than claiming takes.
    fake_port.state.latency = 0.6

    stats = deliver_once(engine, outbox, port_client, replace(fast_settings, lease_seconds=1.0))

    assert (stats.claimed, stats.sent, stats.released) == (3, 1, 2)
    with engine.connect() as conn:
        rows, _ = outbox.list_items(conn, status="pending")
    assert [(r["identifier"], r["attempts"]) for r in rows] == [("PI-1", 0), ("PI-2", 0)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_loop_survives_a_failing_pass(outbox_db, port_client, fake_port, fast_settings):
    engine, outbox = outbox_db
    outbox.table.drop(engine)
    with running_loop(engine, outbox, port_client, fast_settings):
        threading.Event().wait(0.05)  # passes fail meanwhile: the table is missing
        outbox.table.create(engine)
        enqueue(engine, outbox, issue("PI-1"))
        wait_for(lambda: fake_port.entity("jiraIssue", "PI-1") is not None)
