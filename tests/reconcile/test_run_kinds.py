"""Full reconcile passes over releases, components, boards and sprints against a fake Jira over real
HTTP, on SQLite and PostgreSQL: what Jira has and the catalog lacks is created, what changed is sent,
what Jira no longer lists is pruned."""

import pytest

from app.reconcile.passes import list_passes
from app.runtime import runtime_of
from tests.reconcile.conftest import open_app
from tests.support.fake_jira import FakeJira, make_issues, make_projects
from tests.support.fake_jira_objects import make_boards, make_components, make_sprints, make_versions

BLUEPRINTS = {"release": "jiraRelease", "component": "jiraComponent", "board": "jiraBoard", "sprint": "jiraSprint"}


@pytest.fixture(params=["server", "cloud"])
def jira(request):
    """Releases 100-102 and components 300-301 of P1; boards 1-3 (2 a kanban board); sprints 1-3 on
    board 1, sprint 2 shown on board 3 too."""
    shared = make_sprints(3, 1)[1]
    with FakeJira(request.param, issues=make_issues(2), projects=make_projects(2), page_cap=2,
                  versions={"P1": make_versions(3, 101, first=100)},
                  components={"P1": make_components(2, "P1", 101, first=300)},
                  boards=make_boards(3, kanban=(2,)), sprints={1: make_sprints(3, 1), 3: [shared]}) as fake:
        yield fake


def full_pass(app) -> dict:
    """Run `flask --app app reconcile --full`; the pass it recorded."""
    result = app.test_cli_runner().invoke(args=["reconcile", "--full"])
    assert result.exit_code == 0, result.output
    return list_passes(runtime_of(app).store.engine, 1)[0][0]


def identifiers(app, kind: str) -> set[str]:
    response = app.test_client().get(f"/v1/blueprints/{BLUEPRINTS[kind]}/entities", query_string={"limit": 1000})
    return {entity["identifier"] for entity in response.json["entities"]}


def entity(app, kind: str, identifier: str) -> dict:
    return app.test_client().get(f"/v1/blueprints/{BLUEPRINTS[kind]}/entities/{identifier}").json["entity"]


def test_a_full_pass_creates_what_is_missing_and_prunes_what_jira_no_longer_lists(jira_app, jira):
    first = full_pass(jira_app)
    assert first["changed"] == 2 + 2 + 3 + 2 + 3 + 3  # issues, projects, releases, components, boards, sprints
    assert identifiers(jira_app, "release") == {"100", "101", "102"}
    assert identifiers(jira_app, "component") == {"300", "301"}
    assert identifiers(jira_app, "board") == {"1", "2", "3"}
    assert identifiers(jira_app, "sprint") == {"1", "2", "3"}
    assert entity(jira_app, "sprint", "2")["relations"] == {"board": "1"}

    versions = jira.versions["P1"]
    versions[1]["released"] = True
    jira.versions["P1"] = [versions[0], versions[1], *make_versions(1, 101, first=110)]
    jira.components["P1"] = [jira.components["P1"][0], *make_components(1, "P1", 101, first=310)]
    jira.boards = [board for board in jira.boards if board["id"] != 2] + make_boards(4)[3:]
    jira.sprints = {1: [jira.sprints[1][0]], 3: jira.sprints[3], 4: make_sprints(1, 4, first=40)}

    second = full_pass(jira_app)

    assert identifiers(jira_app, "release") == {"100", "101", "110"}
    assert entity(jira_app, "release", "101")["properties"]["released"] is True
    assert identifiers(jira_app, "component") == {"300", "310"}
    assert identifiers(jira_app, "board") == {"1", "3", "4"}
    # Sprint 2 left board 1 but still shows on board 3: it stays.
    assert identifiers(jira_app, "sprint") == {"1", "2", "40"}
    assert (second["status"], second["changed"], second["deleted"]) == ("succeeded", 5, 4)
    assert second["missedByWebhooks"] == 9


def test_a_pass_sends_nothing_when_the_catalog_is_current(jira_app):
    full_pass(jira_app)
    again = full_pass(jira_app)
    assert (again["changed"], again["deleted"]) == (0, 0)
    assert again["seen"] == 2 + 2 + 3 + 2 + 3 + 3


def test_jira_without_jira_software_reconciles_releases_and_components_only(database_url):
    with FakeJira("cloud", projects=make_projects(1), versions={"P1": make_versions(1, 101)},
                  software=False) as jira:
        application = open_app(database_url, jira)
        try:
            assert full_pass(application)["status"] == "succeeded"
            assert identifiers(application, "release") == {"10000"}
            assert identifiers(application, "board") == set()
        finally:
            runtime_of(application).store.close()
