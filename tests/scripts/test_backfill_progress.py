"""The run's tallies (scripts/backfill/progress.py Stats): failures logged as they happen, counted, and
only the first few kept."""

from __future__ import annotations

from scripts.backfill.poster import Outcome
from scripts.backfill.progress import FAILURES_KEPT, Stats


def test_every_failure_is_logged_and_counted_but_only_the_first_are_kept(capsys):
    stats = Stats()
    count = FAILURES_KEPT * 5
    for n in range(count):
        assert stats.record(f"PI-{n}", Outcome("failed", [], f"reason {n}")) is False
    assert stats.record("PI-ok", Outcome("applied"))
    assert stats.failed == count and stats.posted == 1
    assert stats.failures == [(f"PI-{n}", f"reason {n}") for n in range(FAILURES_KEPT)]
    logged = capsys.readouterr().err.splitlines()
    assert logged == [f"failed: PI-{n}: reason {n}" for n in range(count)]
    assert stats.failures_line("issue") == (
        f"{count} issues failed (each logged above): "
        + ", ".join(f"PI-{n}" for n in range(FAILURES_KEPT)) + f" and {count - FAILURES_KEPT} more")


def test_the_failures_line_names_each_failure_when_few_failed_and_is_absent_when_none():
    stats = Stats(prefix="prune failed")
    assert stats.failures_line("issue") is None
    stats.record("OLD-1", Outcome("failed", [], "gone"))
    assert stats.failures_line("issue") == "1 issue failed (each logged above): OLD-1"
