"""Retries against a fake Jira over real HTTP: Retry-After is honoured, a spent quota ends at once."""

from __future__ import annotations

import types

import pytest

from app.jira import retry
from app.jira.client import JiraClient, JiraSettings
from app.jira.retry import GaveUp
from tests.support.fake_jira import FakeJira, make_issues


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(retry, "time", types.SimpleNamespace(sleep=recorded.append))  # record, do not wait
    return recorded


def search(jira: FakeJira, attempts: int = 3) -> list[str]:
    client = JiraClient(JiraSettings(url=jira.url, user=jira.user, token=jira.token, retries=attempts,
                                     retry_base=0.5, deployment="cloud"))
    return [issue["key"] for page in client.pages("issue", "created <= now()") for issue in page.items]


def test_a_429_waits_as_long_as_retry_after_says_then_succeeds(waits):
    with FakeJira("cloud", issues=make_issues(2)) as jira:
        jira.inject(2, 429, {"Retry-After": "7", "RateLimit-Reason": "jira-burst-based"})
        assert search(jira) == ["PI-1", "PI-2"]
    assert len(waits) == 2 and all(7.0 <= wait <= 7.5 for wait in waits)


def test_a_budget_spent_names_the_last_status_and_rate_limit_reason(waits):
    with FakeJira("cloud", issues=make_issues(2)) as jira:
        jira.inject(3, 429, {"Retry-After": "1", "RateLimit-Reason": "jira-burst-based"})
        with pytest.raises(GaveUp, match=r"after 3 attempts \(HTTP 429 jira-burst-based\)"):
            search(jira)


def test_a_spent_quota_with_a_long_wait_gives_up_at_once(waits):
    with FakeJira("cloud", issues=make_issues(2)) as jira:
        jira.inject(1, 429, {"Retry-After": "3600", "RateLimit-Reason": "jira-quota-tenant-based"})
        with pytest.raises(GaveUp, match="quota is spent .*jira-quota-tenant-based"):
            search(jira, attempts=6)
    assert waits == [] and len(jira.log) == 1
