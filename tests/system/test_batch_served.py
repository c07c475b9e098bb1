"""Pages of events under the Procfile's gunicorn (two workers), on SQLite and PostgreSQL: pages
posted at once by several clients land each event once, the newest version of each issue wins."""

import threading

import requests

from tests.support.clients import bearer
from tests.support.helpers import issue, page_body, page_line, sign
from tests.support.served import procfile_web

KEYS = 20


def page_of(client_number):
    """Every client pages the same issues, at versions of its own; client 3's are the newest."""
    return page_body([page_line(issue(f"PI-{k}", f"from client {client_number}",
                                      timestamp=1700000000000 + client_number), f"c{client_number}-{k}")
                      for k in range(KEYS)])


def post(base, body, signature=None):
    return requests.post(base + "/webhooks/jira", data=body, timeout=30, headers={
        "Content-Type": "application/x-ndjson", "X-Hub-Signature": signature or sign(body)})


def test_pages_posted_at_once_land_each_event_once_and_the_newest_wins(database_url, tmp_path):
    with procfile_web(database_url, 2, tmp_path / "served.log") as served:
        answers = {}

        def deliver(number):
            answers[number] = post(served.base, page_of(number))

        threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        again = post(served.base, page_of(3))
        tampered = post(served.base, page_of(2).replace(b"client 2", b"client 9"), sign(page_of(2)))
        auth = bearer(served.token())
        entities = requests.get(served.base + "/v1/blueprints/jiraIssue/entities?limit=100",
                                headers=auth, timeout=10).json()["entities"]
        events = requests.get(served.base + "/v1/events?limit=1", headers=auth, timeout=10).json()

    assert all(a.status_code == 202 for a in answers.values()), [a.text[:300] for a in answers.values()]
    assert all(len(a.json()["results"]) == KEYS for a in answers.values())
    assert {r["status"] for r in again.json()["results"]} == {"duplicate"}
    assert tampered.status_code == 401 and tampered.json()["reason"] == "invalid_signature"
    assert sorted(e["properties"]["summary"] for e in entities) == ["from client 3"] * KEYS
    assert events["total"] == 4 * KEYS
