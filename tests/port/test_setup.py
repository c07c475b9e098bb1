"""Port's side set up: the client the settings build, and the shipped blueprints created in Port."""

import pytest

from app.config import PortSettings
from app.port.client import PortClient
from app.port.setup import build_client, ensure_blueprints


@pytest.mark.parametrize("client_id, client_secret", [("", ""), ("id", ""), ("", "secret")])
def test_no_client_is_built_without_both_credentials(client_id, client_secret):
    assert build_client(PortSettings(client_id=client_id, client_secret=client_secret)) is None


def test_the_client_gets_the_base_url_credentials_and_timeout():
    client = build_client(PortSettings(client_id="id", client_secret="secret",
                                       base_url="http://port.test/", timeout=2.5))

    assert isinstance(client, PortClient)
    assert (client.base_url, client.client_id, client.client_secret, client.timeout) == (
        "http://port.test", "id", "secret", 2.5)


def test_ensure_blueprints_creates_missing_and_keeps_existing(port_client, fake_port,
                                                               issue_blueprint):
    project = {"identifier": "jiraProject", "schema": {"properties": {}}}
    changed_issue = {**issue_blueprint, "title": "Overwritten?",
                     "relations": {"project": {"target": "jiraProject", "many": False}}}

    created = ensure_blueprints(port_client, [changed_issue, project])

    assert created == ["jiraProject"]
    assert fake_port.state.blueprints["jiraIssue"]["title"] == "Jira Issue"


@pytest.mark.parametrize("first", [True, False])
def test_ensure_blueprints_orders_relation_targets_first(port_client, fake_port, first):
    team = {"identifier": "jiraTeam", "schema": {"properties": {}}}
    user = {"identifier": "jiraUser", "schema": {"properties": {}},
            "relations": {"team": {"target": "jiraTeam", "many": True}}}

    created = ensure_blueprints(port_client, [user, team] if first else [team, user])

    assert created == ["jiraTeam", "jiraUser"]
