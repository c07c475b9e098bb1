"""Concurrent deliveries over real HTTP: threads, gunicorn workers and two app instances.

Whatever the interleaving, an entity ends in its newest state and one delivery id is applied once.
"""

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from app import create_app
from app.runtime import runtime_of
from tests.support.clients import app_api_token, bearer
from tests.support.helpers import SECRET, seed_payload, serve_http, signed_headers
from tests.support.served import procfile_web

REVISIONS = 12


def issue_payload(key, status, timestamp, event="jira:issue_updated"):
    """The seed payload as event `event` of issue `key` at `timestamp`, in status `status`."""
    payload = json.loads(json.dumps(seed_payload(webhookEvent=event, timestamp=timestamp)))
    payload["issue"]["key"] = key
    payload["issue"]["fields"]["status"]["name"] = status
    return payload


def post_signed(base, payload, delivery_id=None):
    body = json.dumps(payload).encode("utf-8")
    return requests.post(base + "/webhooks/jira", data=body, timeout=60,
                         headers=signed_headers(body, delivery_id=delivery_id))


def post_together(jobs):
    """POST every (base URL, payload, delivery id) from its own thread, released at once."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=30)
        return post_signed(*job)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def entity_status(base, key, headers):
    """The entity's `status` property, or None when it is absent (or deleted)."""
    response = requests.get(f"{base}/v1/blueprints/jiraIssue/entities/{key}", timeout=30,
                            headers=headers)
    return response.json()["entity"]["properties"]["status"] if response.ok else None


def history(key, deleted_last):
    """REVISIONS events of issue `key` with increasing timestamps; the last may be a delete."""
    events = [issue_payload(key, f"state {n}", 1_000 + n) for n in range(1, REVISIONS + 1)]
    if deleted_last:
        events[-1] = issue_payload(key, "gone", 1_000 + REVISIONS, "jira:issue_deleted")
    return events


def check_shuffled_events_end_newest(bases, headers):
    """Two issues' histories posted at once in shuffled order: newest wins, a newest delete too."""
    kept, deleted = history("CC-1", False), history("CC-2", True)
    payloads = kept + deleted
    random.Random(3).shuffle(payloads)
    jobs = [(bases[i % len(bases)], payload, None) for i, payload in enumerate(payloads)]
    answers = {id(p): r for p, r in zip(payloads, post_together(jobs))}
    assert all(r.status_code == 202 for r in answers.values()), [r.text for r in answers.values()]
    assert {r.json()["status"] for r in answers.values()} <= {"applied", "stale"}
    assert answers[id(kept[-1])].json()["status"] == "applied"
    assert answers[id(deleted[-1])].json()["status"] == "applied"
    for base in bases:
        assert entity_status(base, "CC-1", headers) == f"state {REVISIONS}"
        assert entity_status(base, "CC-2", headers) is None


def check_one_delivery_applied_once(bases, headers, copies=8):
    """The same delivery id posted at once, spread over `bases`: one applied, the rest duplicate."""
    payload = issue_payload("CC-3", "once", 5_000)
    jobs = [(bases[i % len(bases)], payload, "one-delivery") for i in range(copies)]
    answers = [r.json() for r in post_together(jobs)]
    assert sorted(a["status"] for a in answers) == ["applied"] + ["duplicate"] * (copies - 1)
    assert len({a["eventId"] for a in answers}) == 1
    logged = requests.get(bases[0] + "/v1/events?limit=1000", timeout=30,
                          headers=headers).json()["events"]
    assert [e["deliveryId"] for e in logged].count("one-delivery") == 1
    assert entity_status(bases[-1], "CC-3", headers) == "once"


def test_threads_against_one_server_keep_newest_wins(live_server, app):
    check_shuffled_events_end_newest([live_server], bearer(app_api_token(app)))


def test_threads_against_one_server_apply_a_delivery_once(live_server, app):
    check_one_delivery_applied_once([live_server], bearer(app_api_token(app)))


@pytest.fixture
def two_instances(postgres_url):
    """Two independently created apps on one PostgreSQL schema, each on its own HTTP server:
    their base URLs and the credentials of their (shared) API token."""
    overrides = {"DATABASE_URL": postgres_url, "JIRA_WEBHOOK_SECRET": SECRET}
    apps = [create_app(overrides), create_app(overrides)]
    with serve_http(apps[0]) as first, serve_http(apps[1]) as second:
        yield [first, second], bearer(app_api_token(apps[1]))
    for application in apps:
        runtime_of(application).store.close()


def test_two_instances_on_one_database_keep_newest_wins(two_instances):
    check_shuffled_events_end_newest(*two_instances)


def test_two_instances_apply_a_delivery_once(two_instances):
    check_one_delivery_applied_once(*two_instances)


def test_gunicorn_workers_keep_newest_wins_and_apply_a_delivery_once(database_url, tmp_path):
    with procfile_web(database_url, 3, tmp_path / "served.log") as served:
        check_shuffled_events_end_newest([served.base], bearer(served.token()))
        check_one_delivery_applied_once([served.base], bearer(served.token()))
