"""The backfill's pages of events (`application/x-ndjson`) into the real app served over HTTP, on SQLite
and PostgreSQL: every issue lands once, a bad line fails alone, a page answered 503 after it was stored
lands once when sent again, and an interrupted run resumes."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from scripts.backfill.cli import main
from tests.support.fake_http import DROP, JsonServer, Request
from tests.support.fake_jira import FakeJira, make_issues
from tests.support.helpers import SECRET

CATALOG_TOKEN = "backfill-pages-catalog-token"
PAGE_TYPE = "application/x-ndjson"


@pytest.fixture
def app_limits() -> dict:
    """Page limits of the served app beyond its defaults (a test parametrizes them)."""
    return {}


@pytest.fixture
def settings_overrides(database_url, app_limits):
    """The served app with a known API token."""
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET, "CATALOG_API_TOKEN": CATALOG_TOKEN,
            **app_limits}


class Relay(JsonServer):
    """Passes requests on to the app; can answer 503 to pages the app has stored (``fail_stored``) or
    drop the connection of every page after the first ``pages_through`` (an endpoint gone away)."""

    def __init__(self, target: str):
        super().__init__()
        self.target = target
        self.fail_stored = 0
        self.pages_through: int | None = None
        self.pages = 0

    def route(self, request: Request):
        """Forward, then answer as told."""
        paged = request.headers.get("Content-Type") == PAGE_TYPE and request.method == "POST"
        if paged and self.pages_through is not None and self.pages >= self.pages_through:
            return DROP
        headers = {name: request.headers[name] for name in ("Content-Type", "X-Hub-Signature")
                   if name in request.headers}
        response = requests.request(request.method, f"{self.target}{request.path}", data=request.body,
                                    headers=headers, timeout=30)
        if paged:
            with self.lock:
                self.pages += 1
                if self.fail_stored and self.pages > 1:  # the probe's page passes
                    self.fail_stored -= 1
                    return 503, {"ok": False, "reason": "injected", "message": "answer lost"}, {}
        return response.status_code, response.json(), {}


def backfill(jira: FakeJira, base_url: str, tmp_path, *extra: str) -> int:
    """Run the backfill against ``jira`` into the webhook at ``base_url``."""
    return main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", jira.token,
                 "--endpoint", f"{base_url}/webhooks/jira", "--secret", SECRET, "--concurrency", "3",
                 "--retries", "2", "--retry-base", "0.01", "--checkpoint", str(tmp_path / "cp.json"), *extra])


def api(base_url: str, path: str) -> dict:
    """A read of the app's API with its token."""
    return requests.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {CATALOG_TOKEN}"},
                        timeout=10).json()


def issue_keys(base_url: str) -> set[str]:
    """The identifiers of the catalog's jiraIssue entities."""
    return {e["identifier"] for e in api(base_url, "/v1/blueprints/jiraIssue/entities?limit=1000")["entities"]}


def applied_per_issue(base_url: str) -> Counter:
    """How many applied events the event log holds per issue."""
    counts: Counter = Counter()
    for offset in range(0, 2000, 1000):
        for event in api(base_url, f"/v1/events?status=applied&limit=1000&offset={offset}")["events"]:
            counts.update(e["identifier"] for e in event.get("entities", []) if e.get("blueprint") == "jiraIssue")
    return counts


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_every_issue_lands_once_in_pages(mode, live_server, tmp_path, capsys):
    issues = make_issues(230)
    with FakeJira(mode, issues, page_cap=100) as jira:
        assert backfill(jira, live_server, tmp_path, "--page-events", "40") == 0
    assert "posted=230 applied=230 " in capsys.readouterr().out
    assert issue_keys(live_server) == {i["key"] for i in issues}
    assert set(applied_per_issue(live_server).values()) == {1}
    assert not (tmp_path / "cp.json").exists()


def test_a_line_the_service_refuses_fails_alone_and_is_named(live_server, tmp_path, capsys):
    issues = make_issues(30)
    nested: dict = {}
    for _ in range(100):  # deeper than the service's MAX_JSON_DEPTH
        nested = {"deeper": nested}
    issues[6]["fields"]["customfield_10999"] = nested
    with FakeJira("server", issues) as jira:
        assert backfill(jira, live_server, tmp_path) == 1
    captured = capsys.readouterr()
    assert "posted=29 " in captured.out and "failed=1 " in captured.out
    assert "failed: PI-7: invalid_line" in captured.err
    assert issue_keys(live_server) == {i["key"] for i in issues} - {"PI-7"}


@pytest.mark.parametrize("app_limits", [{"MAX_EVENTS_PER_REQUEST": 7}, {"MAX_ENTITIES_PER_REQUEST": 9}],
                         ids=["split past the line limit", "lines past the entity budget sent again"])
def test_pages_past_the_services_limits_land_every_issue_once(live_server, tmp_path, capsys):
    issues = make_issues(40)
    with FakeJira("server", issues) as jira:
        assert backfill(jira, live_server, tmp_path, "--page-events", "40") == 0
    assert "posted=40 applied=40 " in capsys.readouterr().out
    assert issue_keys(live_server) == {i["key"] for i in issues}
    assert set(applied_per_issue(live_server).values()) == {1}


def test_a_page_stored_but_answered_503_is_sent_again_and_lands_once(live_server, tmp_path, capsys):
    issues = make_issues(50)
    with Relay(live_server) as relay, FakeJira("server", issues) as jira:
        relay.fail_stored = 1
        assert backfill(jira, relay.url, tmp_path, "--page-events", "25", "--concurrency", "1") == 0
    out = capsys.readouterr().out
    assert "posted=50 " in out and "failed=0 " in out and "ignored=25 " in out  # the resent page: duplicates
    assert issue_keys(live_server) == {i["key"] for i in issues}
    assert set(applied_per_issue(live_server).values()) == {1}


def test_an_interrupted_run_resumes_from_its_checkpoint(live_server, tmp_path, capsys):
    issues = make_issues(120)  # Jira pages of 20, posted in pages of 10
    with FakeJira("cloud", issues, page_cap=20) as jira:
        with Relay(live_server) as relay:
            relay.pages_through = 3  # the probe and two pages: PI-1..PI-20
            assert backfill(jira, relay.url, tmp_path, "--page-events", "10", "--concurrency", "1") == 1
        assert "5 deliveries in a row were given up" in capsys.readouterr().err
        assert issue_keys(live_server) == {f"PI-{n}" for n in range(1, 21)}
        assert (tmp_path / "cp.json").exists()
        assert backfill(jira, live_server, tmp_path, "--page-events", "10", "--resume") == 0
    assert "fetched=100 posted=100 " in capsys.readouterr().out
    assert issue_keys(live_server) == {i["key"] for i in issues}
    assert set(applied_per_issue(live_server).values()) == {1}
