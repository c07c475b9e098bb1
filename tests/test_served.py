"""The Procfile's web line under real gunicorn, posted to over real HTTP."""

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import SECRET, load_fixture, seed_payload, signed_headers

ROOT = Path(__file__).parents[1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command(process):
    """The Procfile line for `process`, as a shell command."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.match(rf"^{process}:\s*(.+)$", line)
        if match:
            return match.group(1)
    raise AssertionError(f"no {process}: line in the Procfile")


def wait_until_healthy(base, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn exited: " + process.stderr.read().decode())
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not become healthy")


@contextlib.contextmanager
def procfile_web(database_url, workers):
    """The Procfile's web line with `workers` workers on `database_url`; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": database_url,
           "JIRA_WEBHOOK_SECRET": SECRET, "WEB_CONCURRENCY": str(workers),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    process = subprocess.Popen(procfile_command("web"), shell=True, cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, seconds=60)
        yield base
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


@pytest.fixture
def gunicorn_server(tmp_path):
    with procfile_web(f"sqlite:///{tmp_path}/served.db", workers=2) as base:
        yield base


def test_procfile_web_process_serves_the_webhook(gunicorn_server):
    raw = json.dumps(seed_payload()).encode()
    response = requests.post(gunicorn_server + "/webhooks/jira", data=raw,
                             headers=signed_headers(raw), timeout=10)
    assert response.status_code == 202 and response.json()["status"] == "applied"
    entity = requests.get(gunicorn_server + "/v1/blueprints/jiraIssue/entities/PI-1",
                          timeout=10).json()["entity"]
    expected = load_fixture("seed-issue-created.expected-entity.json")
    assert {k: entity[k] for k in expected} == expected
    unsigned = requests.post(gunicorn_server + "/webhooks/jira", data=raw, timeout=10,
                             headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["reason"] == "missing_signature"


def test_the_threads_setting_is_checked_before_gunicorn_starts(tmp_path):
    env = {**os.environ, "WEB_THREADS": "0", "DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    checked = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "app:create_app()"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert checked.returncode != 0
    assert "setting WEB_THREADS" in checked.stderr
