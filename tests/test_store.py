"""The store's newest-wins answer and shared keys, on each database."""

import copy

import sqlalchemy as sa

from app.store import Store

from tests.helpers import post_event, seed_payload


def issue(key, timestamp):
    payload = seed_payload(timestamp=timestamp)
    payload["issue"] = copy.deepcopy(payload["issue"])
    payload["issue"]["key"] = key
    return payload


def test_an_older_event_is_reported_stale_on_every_database(client):
    assert post_event(client, issue("PI-1", 5)).json["status"] == "applied"
    older = post_event(client, issue("PI-1", 3)).json
    assert older["status"] == "stale" and older["entities"][0]["result"] == "stale"
    assert post_event(client, issue("PI-1", 7)).json["status"] == "applied"


def test_a_shared_key_is_made_once_and_then_read_by_every_store(engine):
    first = Store(engine).shared_key("ui_session_key")
    other = Store(sa.create_engine(engine.url))
    assert len(first) >= 32 and other.shared_key("ui_session_key") == first
    assert Store(engine).shared_key("another") != first
    other.engine.dispose()
