"""Port forwarding through the whole app: webhook in, outbox, fake Port over real HTTP."""

import pytest

from app import create_app
from app.errors import ConfigError
from app.runtime import runtime_of
from tests.support.helpers import SECRET, load_fixture, post_event, seed_payload, wait_for
from tests.support.port_helpers import deliver, forwarding_overrides


@pytest.fixture
def settings_overrides(database_url, fake_port):
    return forwarding_overrides(database_url, fake_port)


def test_seed_webhook_entity_reaches_port(client, forwarding, fake_port):
    assert post_event(client, seed_payload()).status_code == 202

    assert deliver(forwarding).sent == 1

    expected = load_fixture("seed-issue-created.expected-entity.json")
    stored = fake_port.entity("jiraIssue", "PI-1")
    assert {k: stored[k] for k in expected} == expected


def test_webhook_delete_reaches_port(client, forwarding, fake_port):
    created = seed_payload()
    post_event(client, created)
    deliver(forwarding)

    deleted = seed_payload(webhookEvent="jira:issue_deleted", timestamp=created["timestamp"] + 1)
    post_event(client, deleted)
    assert deliver(forwarding).sent == 1

    assert fake_port.entity("jiraIssue", "PI-1") is None
    assert fake_port.requests("DELETE")[0].query == {"delete_dependents": ["false"]}


def test_duplicate_delivery_queues_nothing_more(client, forwarding):
    post_event(client, seed_payload(), delivery_id="delivery-1")
    post_event(client, seed_payload(), delivery_id="delivery-1")

    assert client.get("/v1/outbox").get_json()["counts"]["pending"] == 1


def test_forwarding_off_queues_nothing(database_url):
    app = create_app({"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
                      "PORT_CLIENT_ID": "", "PORT_CLIENT_SECRET": ""})
    client = app.test_client()
    post_event(client, seed_payload())

    assert runtime_of(app).forwarding.client is None
    assert client.get("/v1/outbox").get_json()["total"] == 0
    runtime_of(app).store.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_in_web_process_delivers(settings_overrides, fake_port):
    app = create_app({**settings_overrides, "RUN_WORKER_IN_WEB": "true"})
    try:
        post_event(app.test_client(), seed_payload())
        wait_for(lambda: fake_port.entity("jiraIssue", "PI-1") is not None)
    finally:
        runtime_of(app).forwarding.stop(timeout=10)
        runtime_of(app).store.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_missing_blueprints_are_created_before_delivery(settings_overrides, fake_port):
    del fake_port.state.blueprints["jiraIssue"]
    app = create_app({**settings_overrides, "INITIALIZE_PORT_RESOURCES": "true"})
    post_event(app.test_client(), seed_payload())
    setup = runtime_of(app).forwarding
    setup.start_thread()
    try:
        wait_for(lambda: fake_port.entity("jiraIssue", "PI-1") is not None)
    finally:
        setup.stop(timeout=10)
        runtime_of(app).store.close()
    assert fake_port.state.blueprints["jiraIssue"]["title"] == "Jira Issue"


@pytest.mark.parametrize("setting, value", [
    ("PORT_BASE_URL", "api.getport.io"), ("PORT_MERGE", "maybe"), ("PORT_WORKER_POLL_SECONDS", "0"),
    ("RUN_WORKER_IN_WEB", "sometimes"), ("INITIALIZE_PORT_RESOURCES", "perhaps"),
])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_port_settings_stop_startup(settings_overrides, setting, value):
    with pytest.raises(ConfigError, match=setting):
        create_app({**settings_overrides, setting: value})
