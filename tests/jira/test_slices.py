"""Slices of an issue query against a fake Jira over real HTTP: every issue exactly once across slices
(issues created in the same minute included, in the Jira user's time zone), Data Center windows instead of
deep startAt, and a pace that lowers the searches in flight when Jira says its limit is near."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app.jira.client import ALL_FIELDS, JiraClient, JiraSettings
from app.jira.pace import CALM_TO_GROW, Pace
from app.jira.slices import minute_boundary, plan_slices, slice_pages, split_order_by
from tests.support.fake_jira import FakeJira, make_issues, make_projects, spread_created

FETCHERS = 4


def client_for(jira: FakeJira, page_size: int = 20) -> JiraClient:
    return JiraClient(JiraSettings(url=jira.url, user=jira.user, token=jira.token, retry_base=0.0), page_size,
                      fetch_concurrency=FETCHERS)


def cloud_issues() -> list[dict]:
    """Four listed projects: one large and spread over a month, one large with 250 issues created in the
    same minute, two small (one of them without issues); and a few issues of a project the listing does
    not show (one created after it)."""
    spread = spread_created(make_issues(400, project="P1"), "2024-03-01T00:00:00", 6151.3)
    same_minute = spread_created(make_issues(250, project="P2"), "2024-03-10T08:15:02", 0.2)
    small = spread_created(make_issues(60, project="P3"), "2024-02-01T00:00:00", 600)
    unlisted = spread_created(make_issues(5, project="NEW"), "2024-04-01T00:00:00", 60)
    return spread + same_minute + small + unlisted


def sliced_keys(client: JiraClient, jql: str) -> tuple[list, Counter]:
    plan = plan_slices(client, jql)
    return plan.slices, Counter(issue["key"] for _, page in slice_pages(client, plan, ALL_FIELDS)
                                for issue in page.items)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York"])
def test_every_cloud_issue_comes_once_across_project_and_created_slices(zone):
    issues = cloud_issues()
    with FakeJira("cloud", issues, projects=make_projects(4), page_cap=20, time_zone=zone) as jira:
        slices, seen = sliced_keys(client_for(jira), "created <= now() ORDER BY created DESC")
    assert seen == Counter(issue["key"] for issue in issues)  # each exactly once
    windows = [s.jql for s in slices if "created >= " in s.jql or "created < " in s.jql]
    assert len(windows) >= 4 and all('project = "P1"' in w or 'project = "P2"' in w for w in windows)
    assert any('project in ("P4", "P3")' in s.jql for s in slices)  # small projects grouped, empty first
    assert any('project not in ("P1", "P2", "P3", "P4")' in s.jql for s in slices)
    assert all(s.jql.count("ORDER BY") == 1 and s.jql.endswith("ORDER BY created ASC, key ASC") for s in slices)


def test_without_an_approximate_count_projects_are_still_slices_of_their_own():
    issues = cloud_issues()
    with FakeJira("cloud", issues, projects=make_projects(4), page_cap=20, approximate_count=False) as jira:
        slices, seen = sliced_keys(client_for(jira), "created <= now()")
    assert seen == Counter(issue["key"] for issue in issues)
    assert len(slices) == 4 and not [s for s in slices if "created >= " in s.jql]  # P1, P2, P3 with P4, the rest


def test_a_small_query_is_paged_as_it_is():
    with FakeJira("cloud", make_issues(50), projects=make_projects(4), page_cap=20) as jira:
        slices, seen = sliced_keys(client_for(jira), "created <= now() ORDER BY key")
    assert [s.jql for s in slices] == ["created <= now() ORDER BY key"] and len(seen) == 50
    assert not [r for r in jira.log if "project" in r.path]


def test_a_small_data_center_query_gets_its_total_from_its_first_page():
    with FakeJira("server", make_issues(50), page_cap=20) as jira:
        slices, seen = sliced_keys(client_for(jira, page_size=100), "created <= now() ORDER BY key")
    assert len(slices) == 1 and len(seen) == 50
    assert sorted((p["startAt"], p["maxResults"]) for p in jira.search_requests()) == [(0, 100), (20, 20), (40, 20)]


def test_data_center_pages_created_windows_instead_of_deep_start_at():
    issues = spread_created(make_issues(300), "2024-01-01T00:00:00", 3600)
    issues += spread_created(make_issues(40, project="PS"), "2024-01-05T10:00:10", 1)  # one minute
    with FakeJira("server", issues, page_cap=20) as jira:
        jira.max_start_at = 50
        client = client_for(jira)
        client.deep_paging_limit = 50
        slices, seen = sliced_keys(client, "created <= now() ORDER BY key")
    assert seen == Counter(issue["key"] for issue in issues)
    assert len(slices) > 6 and max(int(p.get("startAt", 0)) for p in jira.search_requests()) <= 50


@pytest.mark.parametrize("jql, where, order", [
    ("created <= now() ORDER BY created ASC", "created <= now()", "ORDER BY created ASC"),
    ('summary ~ "order by" AND project = PI order  by key', 'summary ~ "order by" AND project = PI',
     "order  by key"),
    ("project = RECORDER", "project = RECORDER", ""),
    ("ORDER BY key", "", "ORDER BY key"),
])
def test_order_by_is_found_outside_quotes_only(jql, where, order):
    assert split_order_by(jql) == (where, order)


def test_a_boundary_is_never_a_minute_that_happens_twice():
    zone = "America/New_York"
    with FakeJira("cloud", time_zone=zone) as jira:
        client = client_for(jira)
        twice = int(datetime(2024, 11, 3, 1, 30, tzinfo=ZoneInfo(zone)).timestamp() * 1000)  # clocks fall back
        once = int(datetime(2024, 11, 3, 3, 30, 45, tzinfo=ZoneInfo(zone)).timestamp() * 1000)
        assert minute_boundary(client, twice) is None
        assert minute_boundary(client, once) == once - 45_000


def test_near_limit_answers_bring_the_searches_in_flight_down_to_one():
    issues = cloud_issues()
    with FakeJira("cloud", issues, projects=make_projects(4), page_cap=20, page_delay=0.02) as jira:
        jira.near_limit = True
        client = client_for(jira)
        _, seen = sliced_keys(client, "created <= now()")
    assert seen == Counter(issue["key"] for issue in issues)
    assert client.pace.allowed == 1 and client.pace.slowed == len(jira.searches_in_flight)
    # Only the searches sent before the first answers came back overlap; every later one is alone.
    assert set(jira.searches_in_flight[2 * FETCHERS:]) == {1} and len(jira.searches_in_flight) > 30


def test_a_429_in_the_middle_of_slices_is_waited_out_and_slows_the_searches():
    issues = cloud_issues()
    with FakeJira("cloud", issues, projects=make_projects(4), page_cap=20) as jira:
        client = client_for(jira)
        plan = plan_slices(client, "created <= now()")
        jira.inject(2, 429, {"Retry-After": "0", "RateLimit-Reason": "jira-burst-based"})
        seen = Counter(i["key"] for _, page in slice_pages(client, plan, ALL_FIELDS) for i in page.items)
    assert seen == Counter(issue["key"] for issue in issues)
    assert client.pace.slowed == 2 and client.pace.allowed < FETCHERS


def test_calm_answers_let_the_pace_grow_back_to_its_limit():
    pace = Pace(4, pause=0.0)
    near = SimpleNamespace(status_code=200, headers={"X-RateLimit-NearLimit": "true"})
    calm = SimpleNamespace(status_code=200, headers={})
    for answer in (near, near, near):
        pace.observe(answer)
    assert pace.allowed == 1
    for _ in range(CALM_TO_GROW * 3):
        pace.observe(calm)
    assert pace.allowed == 4
    for _ in range(CALM_TO_GROW * 3):
        pace.observe(calm)
    assert pace.allowed == 4
