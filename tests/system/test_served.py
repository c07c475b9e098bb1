"""The Procfile's web line under real gunicorn, posted to over real HTTP."""

import json
import os
import subprocess
import sys

import requests

from tests.support.clients import bearer
from tests.support.helpers import ROOT, load_fixture, seed_payload, signed_headers


def test_procfile_web_process_serves_the_webhook(served):
    raw = json.dumps(seed_payload()).encode()
    response = requests.post(served.base + "/webhooks/jira", data=raw,
                             headers=signed_headers(raw), timeout=10)
    assert response.status_code == 202 and response.json()["status"] == "applied"
    entity = requests.get(served.base + "/v1/blueprints/jiraIssue/entities/PI-1", timeout=10,
                          headers=bearer(served.token())).json()["entity"]
    expected = load_fixture("seed-issue-created.expected-entity.json")
    assert {k: entity[k] for k in expected} == expected
    unsigned = requests.post(served.base + "/webhooks/jira", data=raw, timeout=10,
                             headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["reason"] == "missing_signature"


def test_the_threads_setting_is_checked_before_gunicorn_starts(tmp_path):
    env = {**os.environ, "WEB_THREADS": "0", "DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    checked = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "app:create_app()"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert checked.returncode != 0
    assert "setting WEB_THREADS" in checked.stderr
