"""Prebuilt statements run on the DBAPI cursor convert values exactly as SQLAlchemy does."""

from datetime import UTC, datetime

import sqlalchemy as sa

from app.catalog import statements
from app.catalog.tables import entities, events


def event_row(delivery_id):
    return {"received_at": datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC),
            "webhook": "jira", "delivery_id": delivery_id, "event_type": "jira:issue_created",
            "headers": {"x-a": "é"}, "query": {}, "body": '{"a": 1}', "body_digest": None, "version": 2 ** 62,
            "status": "applied", "reason": None, "detail": None,
            "entities": [{"identifier": "PI-1"}], "processed_at": None}


def test_an_inserted_event_reads_back_through_sqlalchemy(engine):
    with engine.begin() as conn:
        (event_id,) = statements.run(conn, statements.event_insert(conn.dialect.name),
                                     event_row("d-1")).fetchone()
        again = statements.run(conn, statements.event_insert(conn.dialect.name),
                               event_row("d-1")).fetchone()
    assert again is None
    with engine.connect() as conn:
        stored = conn.execute(sa.select(events).where(events.c.id == event_id)).mappings().one()
    expected = event_row("d-1")
    assert {k: stored[k] for k in ("headers", "entities", "version", "event_type")} == {
        k: expected[k] for k in ("headers", "entities", "version", "event_type")}
    assert stored["received_at"].replace(tzinfo=UTC) == expected["received_at"]


def entity_row(version, title):
    now = datetime.now(UTC)
    return {"blueprint": "jiraIssue", "identifier": "PI-1", "title": title, "icon": None,
            "team": None, "properties": {"n": [1, 2]}, "relations": {}, "version": version,
            "deleted": False, "created_at": now, "updated_at": now, "event_id": None}


def test_upsert_returns_a_row_only_when_newer_or_equal(engine):
    with engine.begin() as conn:
        upsert = statements.entity_upsert(conn.dialect.name, False)
        assert statements.run(conn, upsert, entity_row(5, "new")).fetchone() is not None
        assert statements.run(conn, upsert, entity_row(4, "old")).fetchone() is None
    with engine.connect() as conn:
        row = conn.execute(sa.select(entities)).mappings().one()
    assert (row["title"], row["version"], row["properties"], row["deleted"]) == (
        "new", 5, {"n": [1, 2]}, False)
