"""The metrics module: backfill events counted apart, the outbox gauge, one sum across gunicorn workers."""

import json

import requests

from app.metrics import REGISTRY, set_outbox_depth
from tests.support.clients import bearer
from tests.support.helpers import post_event, samples, seed_payload, signed_headers


def test_events_from_the_backfill_are_counted_apart(client):
    def backfilled():
        return REGISTRY.get_sample_value("bridge_backfill_events_total",
                                         {"webhook": "jira", "status": "applied"}) or 0
    before = backfilled()
    post_event(client, seed_payload(), delivery_id="backfill-123")
    post_event(client, seed_payload(timestamp=1686916266117), delivery_id="jira-456")
    assert backfilled() == before + 1


def test_workers_under_gunicorn_report_one_sum(served):
    for number in range(12):
        raw = json.dumps(seed_payload(timestamp=1686916266117 + number)).encode()
        assert requests.post(served.base + "/webhooks/jira", data=raw, timeout=10,
                             headers=signed_headers(raw)).status_code == 202
    exposed = samples(requests.get(served.base + "/metrics", timeout=10,
                                   headers=bearer(served.token())).text)
    assert exposed[("bridge_events_total", (("status", "applied"), ("webhook", "jira")))] == 12
    assert exposed[("bridge_translation_seconds_count", (("webhook", "jira"),))] == 12


def test_refusals_under_gunicorn_are_the_database_total_in_every_worker(served):
    raw = json.dumps(seed_payload()).encode()
    for _ in range(8):
        assert requests.post(served.base + "/webhooks/jira", data=raw, timeout=10,
                             headers=signed_headers(raw, "a-wrong-secret")).status_code == 401
    key = ("bridge_webhook_refusals_total", (("reason", "invalid_signature"), ("webhook", "jira")))
    for _ in range(4):  # new connections, answered by either worker
        assert samples(requests.get(served.base + "/metrics", timeout=10,
                                    headers=bearer(served.token())).text)[key] == 8


def test_the_outbox_gauge_counts_changes_pending_or_in_flight():
    set_outbox_depth({"pending": 2, "inflight": 3, "sent": 40, "dead": 1, "superseded": 7})

    assert REGISTRY.get_sample_value("bridge_outbox_depth") == 5
