"""scripts/backfill_history.py against a fake Jira and a recording endpoint, both real HTTP servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.ingest.versions import parse_jira_time
from scripts.backfill.cli import main
from scripts.backfill.config import DEFAULT_JQL
from scripts.backfill.preflight import PROBE_EVENT
from tests.support.fake_endpoint import FakeEndpoint
from tests.support.fake_jira import FakeJira, make_issues, make_projects, make_users
from tests.support.helpers import sign

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "backfill_history.py"
SECRET = "webhook-secret"
TOKEN = "jira-token-value"
CATALOG_TOKEN = "catalog-token-value"


@pytest.fixture
def endpoint():
    with FakeEndpoint(SECRET) as server:
        yield server


def run(jira: FakeJira, endpoint_url: str, tmp_path, *extra: str) -> int:
    """Run the backfill in-process against ``jira``, with a checkpoint under ``tmp_path``."""
    return main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", TOKEN,
                 "--endpoint", endpoint_url, "--secret", SECRET, "--checkpoint", str(tmp_path / "cp.json"),
                 "--page-size", "1000", "--concurrency", "4", "--retry-base", "0.01", "--catalog-token", CATALOG_TOKEN,
                 *extra])


def all_keys(issues) -> set[str]:
    """Keys of the issues the default JQL selects: every one."""
    return {i["key"] for i in issues}


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_every_matching_issue_is_posted_as_a_full_signed_event(mode, endpoint, tmp_path, capsys):
    issues = make_issues(250)
    with FakeJira(mode, issues, page_cap=40, token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path) == 0
    assert set(endpoint.entities["jiraIssue"]) == all_keys(issues)
    by_key = {i["key"]: i for i in issues}
    for event in endpoint.deliveries:
        source = by_key[event["issue"]["key"]]
        assert event["webhookEvent"] == "jira:issue_updated"
        assert event["issue_event_type_name"] == "issue_updated"
        assert event["issue"]["fields"] == source["fields"]
        assert event["timestamp"] == parse_jira_time(source["fields"]["updated"])
        assert event["user"] == source["fields"]["creator"]
    summary = capsys.readouterr().out
    assert f"posted={len(all_keys(issues))} " in summary and "failed=0" in summary
    assert not (tmp_path / "cp.json").exists()


def test_requests_are_signed_and_uniquely_identified(endpoint, tmp_path):
    with FakeJira("server", make_issues(30), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path) == 0
    posts = [r for r in endpoint.log if r.method == "POST"]
    lines = [json.loads(line) for request in posts for line in request.body.split(b"\n")]
    ids = [line["headers"]["X-Atlassian-Webhook-Identifier"] for line in lines]
    assert len(set(ids)) == len(lines) == len(all_keys(make_issues(30))) + 1  # and the probe before them
    assert all(i.startswith("backfill-") for i in ids)
    assert lines[0]["body"]["webhookEvent"] == PROBE_EVENT
    assert len(posts) == 2  # the probe's page, then the 30 issues in one page
    for request in posts:
        assert request.headers["Content-Type"] == "application/x-ndjson"
        assert request.headers["X-Hub-Signature"] == sign(request.body, SECRET)


def test_a_service_without_pages_gets_one_request_per_event(endpoint, tmp_path, capsys):
    endpoint.pages = False
    with FakeJira("server", make_issues(12), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path) == 0
    posts = [r for r in endpoint.log if r.method == "POST"]
    assert [r.headers["Content-Type"] for r in posts] == ["application/x-ndjson"] + ["application/json"] * 13
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(12))
    assert "does not take pages of events (HTTP 415" in capsys.readouterr().err


def test_single_posts_one_request_per_event_from_the_start(endpoint, tmp_path):
    with FakeJira("server", make_issues(12), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--single") == 0
    posts = [r for r in endpoint.log if r.method == "POST"]
    assert [r.headers["Content-Type"] for r in posts] == ["application/json"] * 13
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(12))


def test_search_asks_for_all_fields_and_the_largest_page(endpoint, tmp_path):
    with FakeJira("cloud", make_issues(120), page_cap=50, token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path) == 0
    searches = [r.json() for r in jira.log if r.path == "/rest/api/2/search/jql"]
    assert all(s["fields"] == ["*all"] and s["maxResults"] == 1000 and s["jql"] == DEFAULT_JQL for s in searches)
    assert len(searches) == 3  # 120 issues in pages of 50


def test_jira_cloud_refuses_an_unbounded_query_with_exit_2(endpoint, tmp_path, capsys):
    with FakeJira("cloud", make_issues(5), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--jql", "ORDER BY key") == 2
    assert "Unbounded JQL" in capsys.readouterr().err and endpoint.deliveries == []


def test_jira_rate_limits_are_waited_out(endpoint, tmp_path):
    reset = (datetime.now(UTC) + timedelta(milliseconds=200)).isoformat()
    with FakeJira("cloud", make_issues(60), page_cap=10, token=TOKEN) as jira:
        jira.inject(1, 429, {"Retry-After": "0"})
        jira.inject(1, 429, {"X-RateLimit-Reset": reset})
        jira.inject(1, 503)
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path) == 0
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(60))


def test_endpoint_errors_are_retried(endpoint, tmp_path):
    endpoint.inject(3, 503, {"Retry-After": "0"})
    with FakeJira("server", make_issues(20), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path) == 0
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(20))


def test_item_failing_past_the_budget_is_reported_and_exit_code_is_1(endpoint, tmp_path, capsys):
    endpoint.failing = {"PI-4"}
    with FakeJira("server", make_issues(20), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--retries", "2") == 1
    captured = capsys.readouterr()
    assert "failed=1" in captured.out
    assert "PI-4" in captured.err
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(20)) - {"PI-4"}


def test_many_failures_are_each_logged_counted_and_the_first_named_again(endpoint, tmp_path, capsys):
    endpoint.failing = {f"PI-{n}" for n in range(1, 31)}
    with FakeJira("server", make_issues(40), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--retries", "1") == 1
    captured = capsys.readouterr()
    assert "failed=30" in captured.out
    assert {line.split(":")[1].strip() for line in captured.err.splitlines()
            if line.startswith("failed: ")} == endpoint.failing
    recap = next(line for line in captured.err.splitlines() if "issues failed (each logged above)" in line)
    assert recap.startswith("30 issues failed") and recap.endswith(" and 10 more")


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_resume_continues_from_the_first_page_not_fully_posted(mode, endpoint, tmp_path):
    issues = make_issues(90)  # pages of 20: PI-1..PI-20, PI-21..PI-40, ...
    endpoint.failing = {"PI-34"}
    with FakeJira(mode, issues, page_cap=20, token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--retries", "1") == 1
        assert (tmp_path / "cp.json").exists()
        endpoint.failing = set()
        endpoint.deliveries.clear()
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--resume") == 0
    reposted = {e["issue"]["key"] for e in endpoint.deliveries}
    assert reposted == {f"PI-{n}" for n in range(21, 91)}  # the failed page and the ones after it
    assert set(endpoint.entities["jiraIssue"]) == all_keys(issues)
    assert not (tmp_path / "cp.json").exists()


def test_checkpoint_of_another_query_is_refused(endpoint, tmp_path, capsys):
    (tmp_path / "cp.json").write_text(json.dumps({"identity": {"url": "x", "kind": "issue", "jql": "y"},
                                                  "cursor": 40}))
    with FakeJira("server", make_issues(5), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--resume") == 2
    assert "another query" in capsys.readouterr().err


def test_bad_credentials_exit_2_without_printing_the_token(endpoint, tmp_path, capsys):
    with FakeJira("server", make_issues(5), token="the-real-token") as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path) == 2
    captured = capsys.readouterr()
    assert "credentials" in captured.err
    assert TOKEN not in captured.err + captured.out


def test_endpoint_rejecting_the_signature_exits_2(endpoint, tmp_path, capsys):
    with FakeJira("server", make_issues(5), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--secret", "wrong") == 2
    assert "signature" in capsys.readouterr().err


def test_missing_configuration_exits_2(monkeypatch, capsys):
    for name in ("JIRA_SERVER", "JIRA_URL", "PORT_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--jira-user", "u", "--jira-token", "t"]) == 2
    assert "Jira URL missing" in capsys.readouterr().err


def test_personal_access_token_is_sent_as_bearer(endpoint, tmp_path):
    with FakeJira("server", make_issues(10), pat="pat-value") as jira:
        code = main(["--jira-url", jira.url, "--jira-pat", "pat-value", "--endpoint", f"{endpoint.url}/webhooks/jira",
                     "--secret", SECRET, "--checkpoint", str(tmp_path / "cp.json")])
    assert code == 0
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(10))


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_projects_are_posted_as_project_updated_events(mode, endpoint, tmp_path):
    with FakeJira(mode, make_issues(10), projects=make_projects(120), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--kind", "project") == 0
    assert len(endpoint.deliveries) == 120
    event = endpoint.deliveries[0]
    assert event["webhookEvent"] == "project_updated" and isinstance(event["timestamp"], int)
    assert "insight" in event["project"] and event["project"]["projectLead"] == event["project"]["lead"]


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_users_are_posted_as_user_updated_events(mode, endpoint, tmp_path):
    users = make_users(130, cloud=True)
    with FakeJira(mode, users=users, token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--kind", "user", "--page-size", "50") == 0
    assert {e["user"]["accountId"] for e in endpoint.deliveries} == {u["accountId"] for u in users}
    assert all(e["webhookEvent"] == "user_updated" for e in endpoint.deliveries)


def test_prune_deletes_what_the_run_did_not_produce(endpoint, tmp_path, capsys):
    endpoint.entities["jiraIssue"].update({k: {"identifier": k} for k in ("OLD-1", "OLD-2")})
    with FakeJira("server", make_issues(30), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--prune") == 0
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(30))
    deletes = [e for e in endpoint.deliveries if e["webhookEvent"] == "jira:issue_deleted"]
    assert sorted(e["issue"]["key"] for e in deletes) == ["OLD-1", "OLD-2"]
    assert "pruned=2" in capsys.readouterr().out


def test_prune_reads_a_catalog_of_several_pages_and_deletes_the_stale_in_pages(endpoint, tmp_path, capsys):
    issues = make_issues(2400)
    endpoint.entities["jiraIssue"].update({f"OLD-{n}": {"identifier": f"OLD-{n}"} for n in range(150)})
    endpoint.entities["jiraIssue"].update({k: {"identifier": k} for k in all_keys(issues[:1000])})
    with FakeJira("server", issues, token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--prune", "--page-events", "100") == 0
    assert set(endpoint.entities["jiraIssue"]) == all_keys(issues)
    listed = [r for r in endpoint.log if r.path == "/v1/blueprints/jiraIssue/entities" and r.query["limit"] != "1"]
    assert [r.query["offset"] for r in listed] == ["0", "1000", "2000"]
    pages = [r for r in endpoint.log if r.method == "POST" and b"jira:issue_deleted" in r.body]
    assert [len(r.body.split(b"\n")) for r in pages] == [100, 50]
    assert "pruned=150 prune_failed=0" in capsys.readouterr().out


def test_a_failing_deletion_is_logged_and_fails_the_prune(endpoint, tmp_path, capsys):
    endpoint.entities["jiraIssue"].update({k: {"identifier": k} for k in ("OLD-1", "OLD-2")})
    endpoint.failing = {"OLD-2"}
    with FakeJira("server", make_issues(30), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--prune", "--retries", "1") == 1
    captured = capsys.readouterr()
    assert "pruned=1 prune_failed=1" in captured.out
    assert "prune failed: OLD-2: invalid_line: cannot store OLD-2" in captured.err
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(30)) | {"OLD-2"}


def test_prune_over_the_threshold_is_refused(endpoint, tmp_path, capsys):
    endpoint.entities["jiraIssue"].update({f"OLD-{n}": {"identifier": f"OLD-{n}"} for n in range(100)})
    with FakeJira("server", make_issues(3), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--prune", "--prune-threshold", "0.5") == 1
    assert "prune refused" in capsys.readouterr().err
    assert len(endpoint.entities["jiraIssue"]) == 103


def test_prune_is_skipped_after_an_incomplete_run(endpoint, tmp_path, capsys):
    endpoint.entities["jiraIssue"]["OLD-1"] = {"identifier": "OLD-1"}
    endpoint.failing = {"PI-1"}
    with FakeJira("server", make_issues(10), token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--prune", "--retries", "1") == 1
    assert "OLD-1" in endpoint.entities["jiraIssue"]
    assert "prune skipped" in capsys.readouterr().err


def script_env(jira: FakeJira, endpoint_url: str) -> dict:
    """The seed's environment variables for the entry point."""
    return {"PATH": os.environ["PATH"], "JIRA_SERVER": jira.url, "USERNAMES": jira.user, "API_TOKEN": TOKEN,
            "PORT_URL": endpoint_url, "JIRA_WEBHOOK_SECRET": SECRET}


def test_entry_point_reads_the_seeds_environment_variables(endpoint, tmp_path):
    with FakeJira("cloud", make_issues(30), token=TOKEN) as jira:
        result = subprocess.run([sys.executable, str(SCRIPT), "--checkpoint", str(tmp_path / "cp.json")],
                                env=script_env(jira, f"{endpoint.url}/webhooks/jira"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert set(endpoint.entities["jiraIssue"]) == all_keys(make_issues(30))
    assert "progress: 30/30 issues" in result.stderr  # plain lines: stderr is not a terminal


def test_an_endpoint_that_does_not_answer_exits_2_before_paging_jira(tmp_path):
    with FakeJira("server", make_issues(3), token=TOKEN) as jira:
        env = script_env(jira, "http://127.0.0.1:9/webhooks/jira")
        result = subprocess.run([sys.executable, str(SCRIPT), "--retries", "2", "--retry-base", "0.01",
                                 "--checkpoint", str(tmp_path / "cp.json")], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "the endpoint does not answer: GET http://127.0.0.1:9/healthz" in result.stderr
    assert "--endpoint (env PORT_URL)" in result.stderr and "Traceback" not in result.stderr
    assert not [r for r in jira.log if "search" in r.path]
    assert TOKEN not in result.stdout + result.stderr and SECRET not in result.stdout + result.stderr
