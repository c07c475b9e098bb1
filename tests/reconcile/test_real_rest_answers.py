"""A full reconcile pass over Jira's real REST answers (tests/fixtures/jira-payloads/rest/, PROVENANCE.md)
served by the fake Jira: versions, components, boards and sprints become the documented entities."""

import pytest

from app.runtime import runtime_of
from tests.reconcile.conftest import open_app
from tests.support.fake_jira import FakeJira, make_projects
from tests.support.helpers import load_fixture

VERSIONS = load_fixture("rest/apache-server-rest-api-2-project-versions-response.derived.json")
COMPONENT = load_fixture("rest/apache-server-rest-api-2-component-response.json")
BOARDS = load_fixture("rest/gojira-server-rest-agile-1-board-response.json")["values"]
SPRINTS = load_fixture("rest/gojira-server-rest-agile-1-board-sprint-response.json")["values"]


@pytest.fixture
def rest_app(database_url):
    with FakeJira("server", projects=make_projects(1), versions={"P1": VERSIONS}, components={"P1": [COMPONENT]},
                  boards=BOARDS, sprints={1: SPRINTS, 4: SPRINTS[:2]}) as jira:
        application = open_app(database_url, jira)
        result = application.test_cli_runner().invoke(args=["reconcile", "--full"])
        assert result.exit_code == 0, result.output
        yield application
        runtime_of(application).store.close()


def read(app, blueprint, identifier):
    response = app.test_client().get(f"/v1/blueprints/{blueprint}/entities/{identifier}")
    assert response.status_code == 200, response.json
    return response.json["entity"]


def listed(app, blueprint):
    return {e["identifier"] for e in app.test_client().get(f"/v1/blueprints/{blueprint}/entities").json["entities"]}


def test_every_listed_version_is_a_release_and_a_released_one_is_released(rest_app):
    assert listed(rest_app, "jiraRelease") == {version["id"] for version in VERSIONS}
    release = read(rest_app, "jiraRelease", "12339163")
    assert release["title"] == "Tenant 1.1.2"
    assert release["properties"]["released"] is True and release["properties"]["releaseDate"] == "2018-09-02"
    assert read(rest_app, "jiraRelease", "12322940")["properties"]["released"] is False


def test_the_component_lands_under_its_id(rest_app):
    component = read(rest_app, "jiraComponent", "42102")
    assert component["title"] == "Some Component"


def test_boards_with_their_project_and_sprints_once_each_kanban_boards_skipped(rest_app):
    assert listed(rest_app, "jiraBoard") == {"1", "4", "5", "6", "7", "9"}
    assert read(rest_app, "jiraBoard", "1")["relations"]["project"] == "AP"
    assert listed(rest_app, "jiraSprint") == {str(sprint["id"]) for sprint in SPRINTS}
    sprint = read(rest_app, "jiraSprint", "740")
    assert (sprint["title"], sprint["properties"]["state"]) == ("Iteration-10", "closed")
    assert sprint["relations"]["board"] == "734"
