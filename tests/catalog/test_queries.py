"""Read-side queries the UI uses: event filters, counts by status, entity history, search."""

from datetime import UTC, datetime, timedelta

from app.catalog import queries
from app.catalog.tables import events
from tests.support.helpers import issue, post_event


def age_event(engine, event_id, hours):
    """Pretend an event arrived `hours` ago."""
    with engine.begin() as conn:
        conn.execute(events.update().where(events.c.id == event_id).values(
            received_at=datetime.now(UTC) - timedelta(hours=hours)))


def test_counts_by_status_since_a_time(client, engine):
    post_event(client, issue("PI-1"))
    old = post_event(client, issue("PI-2")).json["eventId"]
    post_event(client, {"webhookEvent": "sprint_started"})
    age_event(engine, old, 5)
    now = datetime.now(UTC)
    assert queries.count_events_by_status(engine, now - timedelta(hours=1)) == \
        {"jira": {"applied": 1, "ignored": 1}}
    [row] = queries.pipeline_overview(engine, {"jira": None, "idle": None}, now)[1:]
    assert row["webhook"] == "jira" and row["day"] == {"applied": 2, "ignored": 1}
    assert row["lastEventAt"].endswith("Z")


def test_events_filter_by_type_and_time_window(client, engine):
    first = post_event(client, issue("PI-1")).json["eventId"]
    post_event(client, {"webhookEvent": "sprint_started"})
    age_event(engine, first, 30)
    now = datetime.now(UTC)
    recent, total = queries.list_events(engine, 10, 0, since=now - timedelta(hours=1))
    assert total == 1 and recent[0]["eventType"] == "sprint_started"
    older, total = queries.list_events(engine, 10, 0, until=now - timedelta(hours=1))
    assert total == 1 and older[0]["id"] == first
    typed, total = queries.list_events(engine, 10, 0, event_type="jira:issue_created")
    assert total == 1 and typed[0]["id"] == first
    assert queries.event_types(engine) == ["jira:issue_created", "sprint_started"]


def test_entity_history_is_exact_and_newest_first(client, engine):
    first = post_event(client, issue("PI-1", timestamp=1)).json["eventId"]
    post_event(client, issue("PI-10", timestamp=2))
    post_event(client, issue("PI_1", timestamp=3))
    stale = post_event(client, issue("PI-1", timestamp=0)).json["eventId"]
    history = queries.entity_history(engine, "jiraIssue", "PI-1")
    assert [h["id"] for h in history] == [stale, first]
    assert [h["change"]["result"] for h in history] == ["stale", "applied"]
    assert queries.entity_history(engine, "otherBlueprint", "PI-1") == []


def test_entity_history_finds_identifiers_with_escapes_and_unicode(client, engine):
    for identifier in ("Ä-1", "a\\b", "a_b"):
        event_id = post_event(client, issue(identifier)).json["eventId"]
        history = queries.entity_history(engine, "jiraIssue", identifier)
        assert [h["id"] for h in history] == [event_id], identifier


def test_entity_search_matches_identifier_or_title_without_wildcards(client, engine):
    post_event(client, issue("PI-1", summary="Payments outage"))
    post_event(client, issue("PI-2", summary="100% done"))
    post_event(client, issue("PI-3", summary="1000 done"))
    found, total = queries.list_entities(engine, "jiraIssue", 10, 0, search="PAYMENTS")
    assert total == 1 and found[0]["identifier"] == "PI-1"
    found, total = queries.list_entities(engine, "jiraIssue", 10, 0, search="100%")
    assert [e["identifier"] for e in found] == ["PI-2"]
    assert queries.list_entities(engine, "jiraIssue", 10, 0, search="pi-")[1] == 3


def test_entities_are_listed_in_natural_identifier_order_across_pages(client, engine):
    keys = ["OPS-10", "OPS-2", "OPS-144", "OPS-1", "ABC-20", "OPS-9", "ABC-3", "OPS-100"]
    for key in keys:
        post_event(client, issue(key))
    pages = [queries.list_entities(engine, "jiraIssue", 3, offset, natural=True)[0] for offset in (0, 3, 6)]
    assert [e["identifier"] for page in pages for e in page] == \
        ["ABC-3", "ABC-20", "OPS-1", "OPS-2", "OPS-9", "OPS-10", "OPS-100", "OPS-144"]
