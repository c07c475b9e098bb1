"""scripts/register_webhook.py against the fake Jira's webhook registration APIs (before and from Data Center 10)."""

from __future__ import annotations

import pytest

from scripts.register_webhook import main
from tests.support.fake_jira import FakeJira
from tests.support.fake_jira_webhooks import DC10_API, LEGACY_API

ENDPOINT = "https://bridge.example.com/webhooks/jira"
ISSUE_EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]


@pytest.fixture
def jira():
    with FakeJira("server") as server:
        yield server


@pytest.fixture
def dc10():
    with FakeJira("server", version="10.3.1") as server:
        yield server


def register(jira: FakeJira, *extra: str) -> int:
    """Run the script against ``jira``."""
    return main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", jira.token, *extra])


def paths(jira: FakeJira) -> set[str]:
    """The paths the script asked for, ids cut off."""
    return {r.path.rstrip("0123456789").rstrip("/") for r in jira.log}


def test_registers_every_issue_without_a_filter_by_default(jira, capsys):
    assert register(jira, "--endpoint", ENDPOINT, "--secret", "s3cret") == 0
    (webhook,) = jira.webhooks.values()
    assert webhook["url"] == ENDPOINT and webhook["name"] == "jira-catalog-bridge"
    assert webhook["events"] == ISSUE_EVENTS
    assert webhook["filters"] == {"issue-related-events-section": ""}
    assert webhook["excludeBody"] is False and webhook["secret"] == "s3cret"
    captured = capsys.readouterr()
    assert captured.out.startswith("created webhook 1 ") and "filter=(every issue)" in captured.out
    assert "s3cret" not in captured.out + captured.err and "warning" not in captured.err


def test_projects_scope_the_filter(jira, capsys):
    assert register(jira, "--endpoint", ENDPOINT, "--secret", "webhook-secret", "--project", "PI", "--project", "OPS",
                    "--jql", "issuetype = Bug") == 0
    (webhook,) = jira.webhooks.values()
    assert webhook["filters"] == {"issue-related-events-section": 'project in ("PI", "OPS") AND (issuetype = Bug)'}
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("jql", ['status in ("In Progress", "To Do")', "project = PI AND statusCategory != Done"])
def test_a_filter_naming_status_is_registered_with_a_warning(jira, capsys, jql):
    assert register(jira, "--endpoint", ENDPOINT, "--secret", "webhook-secret", "--jql", jql) == 0
    assert jira.webhooks[1]["filters"] == {"issue-related-events-section": jql}
    err = capsys.readouterr().err
    assert err.startswith("warning: the filter names status")
    assert "after the change" in err and "never delivered" in err and "stale in the catalog" in err


def test_status_inside_a_quoted_value_is_no_status_filter(jira, capsys):
    assert register(jira, "--endpoint", ENDPOINT, "--secret", "webhook-secret", "--jql", 'summary ~ "status page"') == 0
    assert "warning" not in capsys.readouterr().err


def test_without_a_secret_nothing_is_registered_and_the_exit_code_is_2(jira, capsys, monkeypatch):
    monkeypatch.delenv("JIRA_WEBHOOK_SECRET", raising=False)
    assert register(jira, "--endpoint", ENDPOINT) == 2
    err = capsys.readouterr().err
    assert "no secret" in err and "--secret" in err and "JIRA_WEBHOOK_SECRET" in err and "--no-secret" in err
    assert jira.webhooks == {} and not [r for r in jira.log if r.method != "GET"]


def test_the_secret_is_read_from_the_environment_and_no_secret_registers_unsigned(jira, monkeypatch, capsys):
    monkeypatch.setenv("JIRA_WEBHOOK_SECRET", "from-env")
    assert register(jira, "--endpoint", ENDPOINT) == 0
    assert jira.webhooks[1]["secret"] == "from-env"
    assert register(jira, "--endpoint", ENDPOINT, "--no-secret") == 0
    assert "secret" not in jira.webhooks[1] and "signed=no" in capsys.readouterr().out
    assert register(jira, "--endpoint", ENDPOINT, "--no-secret", "--secret", "x") == 2


def test_registering_again_updates_the_webhook_matched_by_name(jira, capsys):
    assert register(jira, "--endpoint", ENDPOINT, "--secret", "webhook-secret", "--jql", "project = PI") == 0
    assert register(jira, "--endpoint", "https://new.example.com/webhooks/jira", "--secret", "webhook-secret",
                    "--project-events", "--user-events") == 0
    (webhook,) = jira.webhooks.values()
    assert webhook["url"] == "https://new.example.com/webhooks/jira"
    assert {"project_updated", "user_deleted"} <= set(webhook["events"])
    assert webhook["filters"] == {"issue-related-events-section": ""}  # an earlier filter is cleared
    assert "updated webhook 1 " in capsys.readouterr().out


def test_registering_matches_an_existing_webhook_by_url(jira):
    jira.webhooks[7] = {"name": "set up by hand", "url": ENDPOINT, "events": ["jira:issue_created"]}
    assert register(jira, "--endpoint", ENDPOINT, "--secret", "webhook-secret") == 0
    assert list(jira.webhooks) == [7] and jira.webhooks[7]["name"] == "jira-catalog-bridge"


def test_list_and_delete(jira, capsys):
    jira.webhooks[3] = {"name": "other", "url": "https://ops:hunter2@elsewhere.example.com/hook", "events": []}
    assert register(jira, "--endpoint", ENDPOINT + "?token=url-secret", "--no-secret") == 0
    assert "url-secret" not in capsys.readouterr().out
    assert register(jira, "--list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [["3", "other", "https://ops:***@elsewhere.example.com/hook"],
                                                         ["4", "jira-catalog-bridge", ENDPOINT]]
    assert register(jira, "--delete") == 0
    assert list(jira.webhooks) == [3]
    assert "deleted webhook 4" in capsys.readouterr().out


def test_data_center_10_registers_through_its_own_api(dc10, capsys):
    assert register(dc10, "--endpoint", ENDPOINT, "--secret", "s3cret", "--project", "PI") == 0
    (webhook,) = dc10.webhooks.values()
    assert webhook["url"] == ENDPOINT and webhook["events"] == ISSUE_EVENTS and webhook["active"] is True
    assert webhook["configuration"] == {"FILTERS": 'project in ("PI")', "EXCLUDE_BODY": "false",
                                        "SECRET": "s3cret"}
    assert LEGACY_API not in paths(dc10) and DC10_API in paths(dc10)
    assert capsys.readouterr().out.startswith("created webhook 1 ")
    assert register(dc10, "--endpoint", ENDPOINT, "--secret", "other", "--user-events") == 0
    (webhook,) = dc10.webhooks.values()
    assert webhook["configuration"]["SECRET"] == "other" and webhook["configuration"]["FILTERS"] == ""
    assert register(dc10, "--list") == 0
    assert capsys.readouterr().out.splitlines()[-1].split("\t")[:4] == ["1", "jira-catalog-bridge", ENDPOINT,
                                                                        "enabled"]
    assert register(dc10, "--delete") == 0 and dc10.webhooks == {}


def test_jira_cloud_keeps_the_admin_webhook_api():
    with FakeJira("cloud") as cloud:
        assert register(cloud, "--endpoint", ENDPOINT, "--secret", "webhook-secret") == 0
        assert cloud.webhooks[1]["secret"] == "webhook-secret" and DC10_API not in paths(cloud)


def test_missing_endpoint_and_bad_credentials_exit_2(jira, capsys):
    assert register(jira, "--secret", "webhook-secret") == 2
    assert main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", "wrong", "--list"]) == 2
    err = capsys.readouterr().err
    assert "endpoint missing" in err and "credentials" in err and "wrong" not in err
