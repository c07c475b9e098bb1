"""The limit on failed token attempts: per client address, per window, in the database."""

from datetime import UTC, datetime

import sqlalchemy as sa

from app.access.limits import MAX_FAILURES, WINDOW, record_failure, window_start
from app.catalog.access import add_failure


def test_failures_over_the_limit_get_the_seconds_left_in_the_window(engine):
    waits = [record_failure(engine, "10.0.0.1") for _ in range(MAX_FAILURES + 1)]

    assert waits[:MAX_FAILURES] == [None] * MAX_FAILURES
    assert 1 <= waits[-1] <= WINDOW.total_seconds()
    assert record_failure(engine, "10.0.0.2") is None
    assert record_failure(engine, None) is None


def test_windows_are_fixed_and_aligned():
    now = datetime(2026, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)

    assert window_start(now) == datetime(2026, 5, 1, 12, 34, tzinfo=UTC)


def test_a_new_window_starts_from_zero_and_old_windows_are_deleted(engine):
    old, new = datetime(2026, 5, 1, 12, 0, tzinfo=UTC), datetime(2026, 5, 1, 12, 1, tzinfo=UTC)
    for _ in range(3):
        add_failure(engine, "10.0.0.1", old)
    add_failure(engine, "10.0.0.9", old)

    assert add_failure(engine, "10.0.0.1", new) == 1
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT client, failures FROM auth_failures")).all()
    assert [tuple(r) for r in rows] == [("10.0.0.1", 1)]


def test_long_client_addresses_are_cut_to_the_column(engine):
    assert record_failure(engine, "x" * 200) is None
