"""A page's limits: MAX_EVENTS_PER_REQUEST and MAX_ENTITIES_PER_REQUEST (both databases)."""

import pytest

from tests.ingest.test_batch import entity, event_count, statuses
from tests.support.helpers import SECRET, issue, post_page


@pytest.fixture
def settings_overrides(database_url):
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
            "MAX_EVENTS_PER_REQUEST": "3", "MAX_ENTITIES_PER_REQUEST": "2"}


def test_a_page_over_max_events_per_request_is_413_and_stores_nothing(client, engine):
    response = post_page(client, [{"webhookEvent": "sprint_started", "n": n} for n in range(4)])

    assert response.status_code == 413 and response.json["reason"] == "too_many_events"
    assert "MAX_EVENTS_PER_REQUEST (3)" in response.json["message"]
    assert event_count(engine) == 0


def test_lines_past_the_entity_budget_are_sent_back_unrecorded(client, engine):
    response = post_page(client, [issue("PI-1"), issue("PI-2"), issue("PI-3")])

    assert statuses(response) == [(1, "applied"), (2, "applied"), (3, "too_many_entities_in_request")]
    assert "MAX_ENTITIES_PER_REQUEST (2)" in response.json["results"][2]["message"]
    assert entity(client, "PI-3") is None and event_count(engine) == 2
    assert statuses(post_page(client, [issue("PI-3")])) == [(1, "applied")]


