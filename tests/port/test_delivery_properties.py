"""Property: whatever mix of changes, failures and outages, Port ends with the newest state of
every entity, and no version of an entity is accepted twice."""

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.catalog.tables import define_outbox_table
from app.config import PortSettings
from app.port.client import PortClient
from app.port.delivery import deliver_once
from app.port.outbox import Change, Outbox
from app.port.ratelimit import RateLimitPause
from tests.support.fake_port import FakePort
from tests.support.port_helpers import accepted_writes, drain, issue, shipped_blueprint, stored_summaries

IDENTIFIERS = ["PI-1", "PI-2", "PI-3"]
FAST = PortSettings(backoff_base=0.001, backoff_max=0.005, batch_size=2, bulk_max_entities=2)

step = st.one_of(
    st.tuples(st.just("upsert"), st.sampled_from(IDENTIFIERS)),
    st.tuples(st.just("delete"), st.sampled_from(IDENTIFIERS)),
    st.tuples(st.just("deliver"), st.none()),
    st.tuples(st.just("fail"), st.sampled_from([429, 500, 503])),
    st.tuples(st.just("down"), st.booleans()),
)


def apply_step(kind, arg, env, expected, counter):
    """Run one step against the outbox/fake and update the expected final state."""
    engine, outbox, client, fake = env
    if kind in ("upsert", "delete"):
        counter[0] += 1
        change = (issue(arg, f"v{counter[0]}") if kind == "upsert"
                  else Change.delete("jiraIssue", arg))
        with engine.begin() as conn:
            outbox.enqueue(conn, [change])
        expected[arg] = f"v{counter[0]}" if kind == "upsert" else None
    elif kind == "deliver":
        deliver_once(engine, outbox, client, FAST)
    elif kind == "fail":
        fake.fail_next(1, arg)
    else:
        fake.set_down(arg)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=25))
def test_newest_state_arrives_exactly_once(steps):
    fake = FakePort().start()
    fake.add_blueprint(shipped_blueprint("jiraIssue"))
    # One in-memory database per example: the property is about ordering, not durability.
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    metadata = sa.MetaData()
    outbox = Outbox(define_outbox_table(metadata))
    metadata.create_all(engine)
    client = PortClient(fake.base_url, "test-client", "test-secret", timeout=2.0,
                        rate_limit=RateLimitPause(default_wait=0.001))
    expected, counter = {}, [0]
    try:
        for kind, arg in steps:
            apply_step(kind, arg, (engine, outbox, client, fake), expected, counter)
        fake.set_down(False)
        drain(engine, outbox, client, FAST)
    finally:
        fake.stop()
        engine.dispose()
    assert stored_summaries(fake) == {i: v for i, v in expected.items() if v is not None}
    writes = accepted_writes(fake)
    assert len(writes) == len(set(writes))
