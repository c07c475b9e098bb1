"""The store's newest-wins answer, as each database reports it."""

import copy

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
