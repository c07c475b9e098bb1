"""The backfill posting into the real app served over HTTP: the catalog it builds is the one live webhooks build."""

from __future__ import annotations

import copy

import pytest
import requests

from app import create_app
from app.runtime import runtime_of
from scripts.backfill.cli import main
from tests.support.fake_jira import FakeJira, make_issues, seed_issue
from tests.support.helpers import SECRET, load_fixture, post_event, seed_payload
from tests.support.seed_ocean import comparable, expected_entity, seed_ocean

ENTITY_KEYS = ("identifier", "title", "blueprint", "properties", "relations")
CATALOG_TOKEN = "backfill-test-catalog-token"


@pytest.fixture
def settings_overrides(database_url):
    """The served app with a known API token: --prune and --dry-run read its catalog with it."""
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
            "CATALOG_API_TOKEN": CATALOG_TOKEN}


def backfill(jira: FakeJira, base_url: str, tmp_path, *extra: str) -> int:
    """Run the backfill against ``jira`` into the app at ``base_url``."""
    return main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", jira.token,
                 "--endpoint", f"{base_url}/webhooks/jira", "--secret", SECRET, "--concurrency", "4",
                 "--catalog-token", CATALOG_TOKEN,
                 "--checkpoint", str(tmp_path / "cp.json"), "--retry-base", "0.01", *extra])


def catalog(base_url: str, blueprint: str = "jiraIssue") -> dict[str, dict]:
    """The app's entities of a blueprint, by identifier, reduced to what mappings produce."""
    response = requests.get(f"{base_url}/v1/blueprints/{blueprint}/entities", params={"limit": 1000}, timeout=10,
                            headers={"Authorization": f"Bearer {CATALOG_TOKEN}"})
    return {e["identifier"]: {k: e[k] for k in ENTITY_KEYS} for e in response.json()["entities"]}


def live_update_event(issue: dict) -> dict:
    """The jira:issue_updated delivery Jira sends when the issue's creator last edited it."""
    return {"timestamp": 1700000000000, "webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_updated",
            "user": issue["fields"]["creator"], "issue": issue,
            "changelog": {"id": "1", "items": [{"field": "summary", "fieldtype": "jira", "toString": "x"}]}}


@pytest.fixture
def reference_client(tmp_path):
    """A second, independent app that receives live webhooks."""
    application = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'reference.sqlite3'}",
                              "JIRA_WEBHOOK_SECRET": SECRET})
    yield application.test_client()
    runtime_of(application).store.close()


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_backfilled_catalog_equals_what_live_webhooks_make(mode, live_server, reference_client, tmp_path):
    issues = make_issues(60)
    with FakeJira(mode, issues, page_cap=25) as jira:
        assert backfill(jira, live_server, tmp_path) == 0
    for issue in issues:
        assert post_event(reference_client, live_update_event(issue)).json["status"] == "applied"
    backfilled = catalog(live_server)
    assert set(backfilled) == {i["key"] for i in issues}
    for issue in issues:
        live = reference_client.get(f"/v1/blueprints/jiraIssue/entities/{issue['key']}").json["entity"]
        assert backfilled[issue["key"]] == {k: live[k] for k in ENTITY_KEYS}


def test_seed_issue_backfills_to_the_seed_entity(live_server, tmp_path):
    with FakeJira("cloud", [seed_issue()]) as jira:
        assert backfill(jira, live_server, tmp_path) == 0
    expected = load_fixture("seed-issue-created.expected-entity.json")
    expected["properties"]["lastChangeType"] = "issue_updated"
    assert catalog(live_server) == {"PI-1": expected}


def test_prune_deletes_entities_of_issues_no_longer_selected(live_server, client, tmp_path, capsys):
    gone = seed_payload()
    gone["issue"] = {**copy.deepcopy(gone["issue"]), "key": "GONE-1"}
    assert post_event(client, gone).json["status"] == "applied"
    issues = make_issues(12)
    with FakeJira("server", issues) as jira:
        assert backfill(jira, live_server, tmp_path, "--prune") == 0
    assert set(catalog(live_server)) == {i["key"] for i in issues}
    assert "pruned=1 " in capsys.readouterr().out


def test_dry_run_posts_nothing_and_prints_what_would_change(live_server, tmp_path, capsys):
    issues = make_issues(6)
    with FakeJira("server", issues) as jira:
        assert backfill(jira, live_server, tmp_path, "--dry-run") == 0
        assert catalog(live_server) == {}
        assert sorted(capsys.readouterr().out.splitlines()[:6]) == [f"create jiraIssue PI-{n}" for n in range(1, 7)]
        assert backfill(jira, live_server, tmp_path) == 0
        capsys.readouterr()
        jira.issues[0]["fields"]["summary"] = "Renamed"
        assert backfill(jira, live_server, tmp_path, "--dry-run", "--concurrency", "1") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "update jiraIssue PI-1 (title, properties.summary)"
    assert lines[1].startswith("fetched=6 ")


def test_pruned_issues_come_back_when_a_later_run_selects_them_again(live_server, tmp_path):
    issues = make_issues(12)
    every = {i["key"] for i in issues}
    to_do = {i["key"] for i in issues if i["fields"]["status"]["name"] == "To Do"}
    with FakeJira("server", issues) as jira:
        assert backfill(jira, live_server, tmp_path) == 0
        assert backfill(jira, live_server, tmp_path, "--jql", 'status = "To Do"', "--prune") == 0
        assert set(catalog(live_server)) == to_do
        assert backfill(jira, live_server, tmp_path) == 0
    assert set(catalog(live_server)) == every


def catalog_backfill(jira: FakeJira, base_url: str, tmp_path, kind: str, *extra: str) -> int:
    """Backfill ``kind`` into the app's jira-catalog webhook."""
    return main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", jira.token,
                 "--endpoint", f"{base_url}/webhooks/jira-catalog", "--secret", SECRET, "--kind", kind,
                 "--catalog-token", CATALOG_TOKEN,
                 "--checkpoint", str(tmp_path / f"{kind}.json"), "--retry-base", "0.01", *extra])


def test_seed_teams_backfill_with_their_members_and_prune(live_server, client, tmp_path):
    old = {"webhookEvent": "team_updated", "team": {"teamId": "T-OLD", "displayName": "Gone"}}
    assert post_event(client, old, webhook="jira-catalog").json["status"] == "applied"
    teams = seed_ocean("teams-response.json")
    with FakeJira("cloud", teams=teams, members={"T-PA": ["U-PA", "U-PA-2"]}, page_cap=1) as jira:
        assert catalog_backfill(jira, live_server, tmp_path, "team", "--org-id", jira.org_id,
                                "--prune") == 0
    found = catalog(live_server, "jiraTeam")
    assert set(found) == {"T-PA", "T-PA-2"}
    assert found["T-PA"]["relations"] == {"members": ["U-PA", "U-PA-2"]}
    assert found["T-PA"]["title"] == "AI" and found["T-PA-2"]["relations"] == {"members": []}
    assert found["T-PA"]["properties"] == expected_entity("team")["properties"]


def test_team_backfill_needs_an_organization_and_jira_cloud(live_server, tmp_path, capsys):
    with FakeJira("cloud") as jira:
        assert catalog_backfill(jira, live_server, tmp_path, "team") == 2
    assert "--org-id" in capsys.readouterr().err
    with FakeJira("server") as jira:
        assert catalog_backfill(jira, live_server, tmp_path, "team", "--org-id", "org-1") == 2
    assert "only Jira Cloud" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_seed_project_and_users_backfill_into_the_catalog(mode, live_server, tmp_path):
    project = {k: v for k, v in seed_ocean("project-response.json").items() if k != "insight"}
    users = seed_ocean("users-response.json")
    with FakeJira(mode, make_issues(3, project="PA"), projects=[project], users=users) as jira:
        assert catalog_backfill(jira, live_server, tmp_path, "project") == 0
        assert catalog_backfill(jira, live_server, tmp_path, "user") == 0
    found = catalog(live_server, "jiraProject")["PA"]
    assert found["properties"] == {"url": "https://myaccount.atlassian.net/projects/PA", "totalIssues": 3}
    assert comparable(catalog(live_server, "jiraUser")["U-PA"]) == expected_entity("user")
