"""scripts/backfill_history.py paging an issue query in slices: the checkpoint keeps each slice's place,
so a run that Jira stopped in the middle of several slices resumes each where it stood; other kinds keep
one cursor; near Jira's rate limit the searches go one at a time."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.jira.test_slices import cloud_issues
from tests.scripts.test_backfill import SECRET, TOKEN, run
from tests.support.fake_endpoint import FakeEndpoint
from tests.support.fake_jira import FakeJira, make_projects, make_users


@pytest.fixture
def endpoint():
    with FakeEndpoint(SECRET) as server:
        yield server


def delivered(endpoint: FakeEndpoint, name: str, field: str) -> Counter:
    return Counter(event[name][field] for event in endpoint.deliveries if name in event)


def test_a_run_stopped_in_the_middle_of_slices_resumes_each_slice_where_it_stood(endpoint, tmp_path, capsys):
    issues = cloud_issues()
    with FakeJira("cloud", issues, projects=make_projects(4), page_cap=20, token=TOKEN) as jira:
        jira.fails_from = 40  # every slice's third page answers 503
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--retries", "1", "--page-events", "20",
                   "--fetch-concurrency", "4") == 1
        assert "paging 8 slices of the query, 4 at once" in capsys.readouterr().err
        plan = json.loads((tmp_path / "cp.json").read_text())["cursor"]
        slices = plan["slices"]
        first = delivered(endpoint, "issue", "key")
        endpoint.deliveries.clear()
        jira.fails_from = None
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--resume") == 0
    err = capsys.readouterr().err
    assert "resuming issue import at " in err
    assert plan["imported"] == sum(first.values()) > 0  # the issues before each slice's cursor
    left = len(issues) - plan["imported"]
    assert f"progress: {left}/{left} issues" in err  # the resumed run knows how many are left
    assert len(slices) == 8 and any(s["done"] for s in slices)
    assert any(s["cursor"] and not s["done"] for s in slices)  # stood at a page past its first
    assert first + delivered(endpoint, "issue", "key") == Counter(i["key"] for i in issues)  # once over both
    assert set(endpoint.entities["jiraIssue"]) == {i["key"] for i in issues}
    assert not (tmp_path / "cp.json").exists()


def test_other_kinds_keep_one_cursor_in_the_checkpoint(endpoint, tmp_path):
    users = make_users(120, cloud=True)
    endpoint.failing = {"acc-60"}
    with FakeJira("cloud", users=users, token=TOKEN) as jira:
        args = ("--kind", "user", "--page-size", "50")
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, *args, "--retries", "1") == 1
        assert json.loads((tmp_path / "cp.json").read_text())["cursor"] == 50
        endpoint.failing = set()
        endpoint.deliveries.clear()
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, *args, "--resume") == 0
    assert set(delivered(endpoint, "user", "accountId")) == {f"acc-{n}" for n in range(51, 121)}


def test_a_run_near_the_rate_limit_pages_one_search_at_a_time_and_says_so(endpoint, tmp_path, capsys):
    issues = cloud_issues()
    with FakeJira("cloud", issues, projects=make_projects(4), page_cap=20, token=TOKEN) as jira:
        jira.near_limit = True
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--fetch-concurrency", "4") == 0
    err, searches = capsys.readouterr().err, len(jira.searches_in_flight)
    assert f"Jira said {searches} times that its rate limit was near (or reached): the requests in flight " \
           f"went down to 1 of 4" in err
    assert set(jira.searches_in_flight[8:]) == {1}
    assert set(endpoint.entities["jiraIssue"]) == {i["key"] for i in issues}
