"""scripts/register_webhook.py against the fake Jira's webhook registration API."""

from __future__ import annotations

import pytest

from scripts.register_webhook import main
from tests.support.fake_jira import FakeJira

ENDPOINT = "https://bridge.example.com/webhooks/jira"


@pytest.fixture
def jira():
    with FakeJira("server") as server:
        yield server


def register(jira: FakeJira, *extra: str) -> int:
    """Run the script against ``jira``."""
    return main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", jira.token, *extra])


def test_registers_issue_events_with_filter_body_and_secret(jira, capsys):
    assert register(jira, "--endpoint", ENDPOINT, "--secret", "s3cret", "--jql", "project = PI") == 0
    (webhook,) = jira.webhooks.values()
    assert webhook["url"] == ENDPOINT and webhook["name"] == "jira-catalog-bridge"
    assert webhook["events"] == ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]
    assert webhook["filters"] == {"issue-related-events-section": "project = PI"}
    assert webhook["excludeBody"] is False and webhook["secret"] == "s3cret"
    out = capsys.readouterr().out
    assert out.startswith("created webhook 1 ") and "s3cret" not in out


def test_registering_again_updates_the_webhook_matched_by_name(jira, capsys):
    assert register(jira, "--endpoint", ENDPOINT) == 0
    assert register(jira, "--endpoint", "https://new.example.com/webhooks/jira", "--project-events",
                    "--user-events") == 0
    (webhook,) = jira.webhooks.values()
    assert webhook["url"] == "https://new.example.com/webhooks/jira"
    assert {"project_updated", "user_deleted"} <= set(webhook["events"])
    assert "updated webhook 1 " in capsys.readouterr().out


def test_registering_matches_an_existing_webhook_by_url(jira):
    jira.webhooks[7] = {"name": "set up by hand", "url": ENDPOINT, "events": ["jira:issue_created"]}
    assert register(jira, "--endpoint", ENDPOINT) == 0
    assert list(jira.webhooks) == [7] and jira.webhooks[7]["name"] == "jira-catalog-bridge"


def test_list_and_delete(jira, capsys):
    jira.webhooks[3] = {"name": "other", "url": "https://elsewhere.example.com/hook", "events": []}
    assert register(jira, "--endpoint", ENDPOINT + "?token=url-secret") == 0
    capsys.readouterr()
    assert register(jira, "--list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [["3", "other", "https://elsewhere.example.com/hook"],
                                                         ["4", "jira-catalog-bridge", ENDPOINT]]
    assert register(jira, "--delete") == 0
    assert list(jira.webhooks) == [3]
    assert "deleted webhook 4" in capsys.readouterr().out


def test_missing_endpoint_and_bad_credentials_exit_2(jira, capsys):
    assert register(jira) == 2
    assert main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", "wrong", "--list"]) == 2
    err = capsys.readouterr().err
    assert "endpoint missing" in err and "credentials" in err and "wrong" not in err
