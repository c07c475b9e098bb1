"""Pruning the event log by age and count, on demand and on its schedule."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.catalog.tables import events
from app.ingest.retention import PruneSchedule, prune_events
from app.runtime import runtime_of
from tests.support.helpers import post_event, post_mix, seed_payload


def age_all_events(engine, days):
    with engine.begin() as conn:
        conn.execute(events.update().values(
            received_at=datetime.now(UTC) - timedelta(days=days)))


def statuses(client):
    return sorted(e["status"] for e in client.get("/v1/events").json["events"])


def test_prune_by_age_keeps_failed_events(client, engine):
    post_mix(client)
    assert prune_events(engine, days=30) == 0
    age_all_events(engine, 31)
    assert prune_events(engine, days=30) == 2
    assert statuses(client) == ["failed"]
    assert prune_events(engine, days=30, include_failed=True) == 1
    assert statuses(client) == []


def test_prune_by_count_keeps_the_newest(client, engine):
    for n in range(5):
        post_event(client, {"webhookEvent": "sprint_started", "n": n})
    assert prune_events(engine, days=30, max_events=2) == 3
    remaining = client.get("/v1/events").json["events"]
    assert len(remaining) == 2 and remaining[0]["id"] > remaining[1]["id"]


def test_pruning_removes_entity_links_but_not_entities(client, engine):
    post_event(client, seed_payload())
    age_all_events(engine, 40)
    prune_events(engine, days=30)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM event_entities")).scalar() == 0
    assert client.get("/v1/blueprints/jiraIssue/entities/PI-1").status_code == 200


def test_prune_cli_and_schedule(app, client, engine):
    post_mix(client)
    age_all_events(engine, 31)
    result = app.test_cli_runner().invoke(args=["prune-events"])
    assert "deleted 2 events" in result.output
    result = app.test_cli_runner().invoke(args=["prune-events", "--include-failed"])
    assert "deleted 1 events" in result.output
    post_event(client, {"webhookEvent": "sprint_started"})
    age_all_events(engine, 31)
    schedule = PruneSchedule(runtime_of(app).settings, engine, interval_seconds=3600)
    schedule.run_if_due()
    assert statuses(client) == []
    post_event(client, {"webhookEvent": "sprint_started"})
    age_all_events(engine, 31)
    schedule.run_if_due()
    assert statuses(client) == ["ignored"], "a second run within the interval does nothing"
