"""Under real gunicorn: runaway playground runs answer an error naming the limit, and /healthz and
signed webhooks keep answering while they run."""

import json
import re
import threading
import time

import requests

from tests.support.helpers import seed_payload, signed_headers
from tests.support.served import procfile_web

TOKEN = "served-playground-token-0123456789"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
RUNAWAY = """identifier: runaway
mappings:
  - blueprint: jiraIssue
    entity:
      identifier: 'def f: f; f'
"""


def logged_in(base):
    """A session signed in to the UI, and its CSRF token."""
    session = requests.Session()
    csrf = CSRF_FIELD.search(session.get(base + "/login", timeout=10).text).group(1)
    session.post(base + "/login", data={"csrf_token": csrf, "token": TOKEN, "next": "/"},
                 timeout=10)
    page = session.get(base + "/playground", timeout=10)
    assert page.status_code == 200, page.text[:300]
    return session, CSRF_FIELD.search(page.text).group(1)


def run_runaway(base, answers):
    session, csrf = logged_in(base)
    answers.append(session.post(base + "/playground", timeout=60, data={
        "csrf_token": csrf, "config_text": RUNAWAY, "action": "run", "source": "paste",
        "payload": json.dumps(seed_payload())}))


def test_runaway_runs_leave_health_and_webhooks_answering(sqlite_url, tmp_path):
    with procfile_web(sqlite_url, 2, tmp_path / "served.log", CATALOG_API_TOKEN=TOKEN,
                      JQ_TIMEOUT_SECONDS="5", PLAYGROUND_CONCURRENCY="2") as server:
        base = server.base
        answers = []
        runs = [threading.Thread(target=run_runaway, args=(base, answers)) for _ in range(4)]
        for run in runs:
            run.start()
        time.sleep(1.5)

        assert requests.get(base + "/healthz", timeout=10).status_code == 200
        body = json.dumps(seed_payload()).encode()
        webhook = requests.post(base + "/webhooks/jira", data=body, timeout=10,
                                headers=signed_headers(body))
        assert webhook.status_code == 202 and webhook.json()["status"] == "applied"
        assert any(run.is_alive() for run in runs), "the runaway runs ended before the checks"

        for run in runs:
            run.join()
    assert len(answers) == 4
    timed_out = [a for a in answers if a.status_code == 200]
    assert timed_out and all("jq_timeout" in a.text and "JQ_TIMEOUT_SECONDS" in a.text
                             for a in timed_out)
    assert all(a.status_code == 429 and "PLAYGROUND_CONCURRENCY" in a.text
               for a in answers if a.status_code != 200)
