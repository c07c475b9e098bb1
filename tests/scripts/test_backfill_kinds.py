"""The backfill of releases, sprints, boards and components into the real app served over HTTP: the
documented entities, boards without sprints skipped, shared sprints posted once, resume, dry run, prune."""

from __future__ import annotations

import pytest

from app.ingest.jira_events import build_issue_event
from tests.scripts.test_backfill_app import (
    catalog,
    catalog_backfill,
    settings_overrides,  # noqa: F401 - the served app's token
)
from tests.support.fake_jira import FakeJira, make_issues, make_projects
from tests.support.fake_jira_objects import make_boards, make_components, make_sprints, make_versions
from tests.support.helpers import post_event

BASE = "https://jira.example.com"


def software_jira(mode: str, **more) -> FakeJira:
    """Projects P1 and P2 with their versions and components; boards 1-3 of P1, board 2 a kanban
    board; 4 sprints on board 1, sprint 2 shown on board 3 too, beside sprint 30."""
    projects = make_projects(2)
    return FakeJira(mode, projects=projects, page_cap=2,
                    versions={"P1": make_versions(2, 101, first=100), "P2": make_versions(1, 102, first=200)},
                    components={"P1": make_components(1, "P1", 101, first=300)},
                    boards=make_boards(3, kanban=(2,)),
                    sprints={1: make_sprints(4, 1), 3: [make_sprints(4, 1)[1], *make_sprints(1, 3, first=30)]},
                    **more)


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_each_kind_backfills_its_documented_entities(mode, live_server, tmp_path):
    with software_jira(mode) as jira:
        for kind in ("release", "component", "board", "sprint"):
            assert catalog_backfill(jira, live_server, tmp_path, kind) == 0, kind
    releases = catalog(live_server, "jiraRelease")
    assert set(releases) == {"100", "101", "200"}
    assert releases["100"]["title"] == "1.0"
    assert releases["100"]["properties"] == {
        "description": "Version 1", "released": True, "archived": False, "overdue": False, "startDate": None,
        "releaseDate": "2024-01-15", "projectId": "101"}
    assert releases["101"]["properties"]["released"] is False
    (component,) = catalog(live_server, "jiraComponent").values()
    assert (component["identifier"], component["title"]) == ("300", "Component 1")
    assert component["properties"] == {"description": "Part 1", "assigneeType": "PROJECT_LEAD", "projectId": "101"}
    assert component["relations"] == {"project": "P1", "lead": "acc-1"}
    boards = catalog(live_server, "jiraBoard")
    assert set(boards) == {"1", "2", "3"}
    assert boards["2"]["properties"] == {"type": "kanban", "url": f"{BASE}/secure/RapidBoard.jspa?rapidView=2"}
    assert boards["2"]["relations"] == {"project": "P1"}
    sprints = catalog(live_server, "jiraSprint")
    assert set(sprints) == {"1", "2", "3", "4", "30"}
    assert sprints["1"]["properties"] == {
        "state": "closed", "goal": "Goal 1", "startDate": "2024-03-01T09:00:00.000Z",
        "endDate": "2024-03-08T17:00:00.000Z", "completeDate": "2024-03-08T18:00:00.000Z", "createdDate": None}
    assert sprints["2"]["relations"] == {"board": "1"} and sprints["30"]["relations"] == {"board": "3"}


def test_a_kanban_board_is_skipped_and_a_shared_sprint_posted_once(live_server, tmp_path, capsys):
    with software_jira("cloud") as jira:
        assert catalog_backfill(jira, live_server, tmp_path, "sprint") == 0
    out = capsys.readouterr().out
    assert "fetched=5 posted=5 applied=5 ignored=0 failed=0" in out
    assert "/rest/agile/1.0/board/2/sprint" in {request.path for request in jira.log}


def test_an_interrupted_sprint_backfill_resumes_at_the_board_it_stopped_on(live_server, tmp_path):
    with software_jira("server") as jira:
        jira.unavailable = frozenset({3})
        assert catalog_backfill(jira, live_server, tmp_path, "sprint", "--retries", "1") == 1
        assert set(catalog(live_server, "jiraSprint")) == {"1", "2", "3", "4"}
        jira.unavailable = frozenset()
        jira.log.clear()
        assert catalog_backfill(jira, live_server, tmp_path, "sprint", "--resume") == 0
    asked = {request.path for request in jira.log if request.path.endswith("/sprint")}
    assert asked == {"/rest/agile/1.0/board/3/sprint"}
    assert set(catalog(live_server, "jiraSprint")) == {"1", "2", "3", "4", "30"}


def test_dry_run_prints_the_boards_it_would_create(live_server, tmp_path, capsys):
    with software_jira("server") as jira:
        assert catalog_backfill(jira, live_server, tmp_path, "board", "--dry-run") == 0
    assert sorted(capsys.readouterr().out.splitlines()[:3]) == [f"create jiraBoard {n}" for n in (1, 2, 3)]
    assert catalog(live_server, "jiraBoard") == {}


@pytest.mark.parametrize(("kind", "blueprint", "event", "body_key"), [
    ("release", "jiraRelease", "jira:version_created", "version"),
    ("component", "jiraComponent", "component_created", "component"),
    ("board", "jiraBoard", "board_created", "board"),
    ("sprint", "jiraSprint", "sprint_created", "sprint"),
])
def test_prune_deletes_what_jira_no_longer_lists(kind, blueprint, event, body_key, live_server, client, tmp_path,
                                                 capsys):
    for identifier in ("9001", "9002"):
        gone = {"webhookEvent": event, body_key: {"id": identifier, "name": "Gone", "originBoardId": 1}}
        assert post_event(client, gone, webhook="jira-catalog").json["status"] == "applied"
    with software_jira("cloud") as jira:
        assert catalog_backfill(jira, live_server, tmp_path, kind, "--prune") == 0
    assert not {"9001", "9002"} & set(catalog(live_server, blueprint))
    assert f"pruned=2 prune_failed=0 blueprint={blueprint}" in capsys.readouterr().out


def test_a_dry_run_reads_story_points_by_the_field_ids_jira_lists(live_server, client, tmp_path, capsys):
    issue = make_issues(1)[0]
    issue["fields"]["customfield_10028"] = 5
    assert post_event(client, build_issue_event(issue), webhook="jira-catalog").json["status"] == "applied"
    assert catalog(live_server)["PI-1"]["properties"]["storyPoints"] is None
    with FakeJira("server", issues=[issue]) as jira:
        assert catalog_backfill(jira, live_server, tmp_path, "issue", "--dry-run") == 0
    assert "update jiraIssue PI-1 (properties.storyPoints)" in capsys.readouterr().out.splitlines()
