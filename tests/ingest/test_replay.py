"""Replay: selecting stored events, and the events it cannot replay."""

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import NotFound
from app.ingest.replay import replay_event, select_event_ids
from app.runtime import runtime_of
from tests.support.helpers import post_event, post_mix, seed_payload


def test_select_event_ids_filters(client, engine):
    post_mix(client)
    assert len(select_event_ids(engine)) == 3
    assert len(select_event_ids(engine, status="failed")) == 1
    future = datetime.now(UTC) + timedelta(days=1)
    assert select_event_ids(engine, since=future) == []
    assert select_event_ids(engine, webhook="jira", event_ids=[1]) == [1]


def test_replaying_an_event_that_does_not_exist_is_not_found(app):
    state = runtime_of(app)

    with pytest.raises(NotFound) as caught:
        replay_event(state.store, state.configs, 424242)

    assert caught.value.reason == "event_not_found"


def test_replaying_an_event_whose_webhook_lost_its_configuration_is_not_found(app, client):
    event_id = post_event(client, seed_payload()).json["eventId"]

    with pytest.raises(NotFound) as caught:
        replay_event(runtime_of(app).store, {}, event_id)

    assert caught.value.reason == "unknown_webhook" and "'jira'" in caught.value.message
