"""The record of passes on each database: the watermark comes from successful passes only, the drift
flag from the latest finished ones."""

from app.reconcile.passes import (
    DRIFT_PASSES,
    Counts,
    finish_pass,
    last_success,
    last_watermark,
    list_passes,
    start_pass,
    webhooks_missing_changes,
)


def test_the_watermark_is_the_largest_a_successful_pass_saw(engine):
    assert last_watermark(engine, "jira-catalog") is None and last_success(engine, "jira-catalog") is None
    finish_pass(engine, start_pass(engine, "incremental", "jira-catalog"), Counts(), 2_000)
    finish_pass(engine, start_pass(engine, "incremental", "jira-catalog"), Counts(), 1_000, "Jira unreachable")
    finish_pass(engine, start_pass(engine, "incremental", "jira"), Counts(), 9_000)
    running = start_pass(engine, "full", "jira-catalog")

    assert last_watermark(engine, "jira-catalog") == 2_000
    assert last_success(engine, "jira-catalog").watermark == 2_000
    passes, total = list_passes(engine, 2)
    assert total == 4 and [p["id"] for p in passes] == [running, running - 1]
    assert passes[0]["status"] == "running" and passes[0]["finishedAt"] is None


def test_drift_needs_every_one_of_the_latest_passes_to_have_missed_changes(engine):
    for _ in range(DRIFT_PASSES - 1):
        finish_pass(engine, start_pass(engine, "incremental", "jira-catalog"), Counts(missed=1), None)
    assert not webhooks_missing_changes(engine)
    finish_pass(engine, start_pass(engine, "incremental", "jira-catalog"), Counts(missed=3), None)
    assert webhooks_missing_changes(engine)
    start_pass(engine, "incremental", "jira-catalog")  # still running: not counted
    assert webhooks_missing_changes(engine)
