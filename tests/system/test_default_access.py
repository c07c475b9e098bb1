"""The quick start's configuration (no CATALOG_API_TOKEN) under real gunicorn and Chromium: nothing
is open to anonymous requests, and the token the server printed signs in."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.clients import bearer
from tests.support.helpers import ROOT, seed_payload, signed_headers
from tests.support.served import procfile_web
from tests.support.ui_helpers import browser_page, chromium, copy_mappings  # noqa: F401  (the fixtures)


@pytest.fixture
def quick_start(tmp_path):
    """The Procfile's web process on a fresh SQLite file with its own mappings copy."""
    mappings = Path(copy_mappings(tmp_path))
    database_url = f"sqlite:///{tmp_path}/quick.db"
    with procfile_web(database_url, 2, tmp_path / "served.log", MAPPINGS_DIR=str(mappings)) as served:
        yield served, mappings, database_url


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def deliver(base):
    body = json.dumps(seed_payload()).encode()
    answer = requests.post(base + "/webhooks/jira", data=body, headers=signed_headers(body), timeout=10)
    assert answer.status_code == 202
    return answer.json()["eventId"]


def test_anonymous_requests_are_refused_and_change_nothing(quick_start):
    served, mappings, _url = quick_start
    base, token = served.base, served.token()
    event_id = deliver(base)
    event_before = requests.get(f"{base}/v1/events/{event_id}", headers=bearer(token), timeout=10).json()
    saved_before = digest(mappings / "jira.yaml")

    for path in ("/v1/blueprints", "/v1/events", "/v1/outbox", "/metrics"):
        answer = requests.get(base + path, timeout=10)
        assert answer.status_code == 401 and answer.json()["reason"] in (
            "invalid_api_token", "invalid_metrics_token"), path
    replay = requests.post(f"{base}/v1/events/{event_id}/replay", timeout=10,
                           data={"anything": "x"}, headers={"Origin": "http://evil.example"})
    assert replay.status_code == 401
    for path in ("/", "/playground", f"/events/{event_id}"):
        answer = requests.get(base + path, timeout=10, allow_redirects=False)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login"), path
    save = requests.post(base + "/playground", timeout=10, allow_redirects=False,
                         data={"action": "save", "config_text": "resources: []"})
    assert save.status_code == 302 and save.headers["Location"].startswith("/login")

    assert digest(mappings / "jira.yaml") == saved_before
    assert requests.get(f"{base}/v1/events/{event_id}", headers=bearer(token),
                        timeout=10).json() == event_before
    assert requests.get(base + "/metrics", headers=bearer(token), timeout=10).status_code == 200
    assert requests.get(base + "/healthz", timeout=10).status_code == 200
    assert len(served.printed_tokens()) == 1


def test_the_printed_token_signs_in_and_api_token_prints_it_again(quick_start, page):
    served, _mappings, database_url = quick_start
    token = served.token()
    page.goto(served.base + "/playground")
    assert "/login" in page.url
    page.fill("#token", token)
    page.click("button[type=submit]")
    assert page.url == served.base + "/playground"
    assert page.locator("button", has_text="Sign out").count() == 1

    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("CATALOG_API_TOKEN", None)
    printed = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "api-token"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0 and printed.stdout.strip() == token


def test_the_ui_session_does_not_open_the_api_from_another_site(quick_start, page):
    served, _mappings, _url = quick_start
    event_id = deliver(served.base)
    page.goto(served.base + "/login")
    page.fill("#token", served.token())
    page.click("button[type=submit]")
    same_site = page.evaluate(f"fetch('/v1/events/{event_id}/replay', {{method: 'POST'}})"
                              ".then(r => r.status)")
    assert same_site == 401
    page.set_content(f'<form method="post" action="{served.base}/v1/events/{event_id}/replay">'
                     '<input name="x" value="1"><button>go</button></form>')
    with page.expect_navigation():
        page.click("button")
    assert json.loads(page.inner_text("body"))["reason"] == "invalid_api_token"


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example"])
def test_a_next_with_control_characters_goes_to_the_overview(quick_start, page, target):
    served, _mappings, _url = quick_start
    page.goto(f"{served.base}/login?next={target}")
    page.fill("#token", served.token())
    page.click("button[type=submit]")

    assert page.url == served.base + "/"
    assert "Overview" in page.content()
