"""The `flask` commands: upgrade-db, prune-events, api-token and the outbox's status, retry and
resync."""

import pytest

from app import create_app
from app.runtime import runtime_of
from tests.support.clients import app_api_token
from tests.support.helpers import load_fixture, post_event, post_mix, seed_payload
from tests.support.port_helpers import deliver, forwarding_overrides


@pytest.fixture
def settings_overrides(database_url, fake_port):
    return forwarding_overrides(database_url, fake_port)


def test_upgrade_db_says_the_schema_is_up_to_date(app):
    result = app.test_cli_runner().invoke(args=["upgrade-db"])

    assert result.exit_code == 0 and result.output == "database schema is up to date\n"


def test_prune_events_with_zero_days_deletes_all_but_failed_events(app, client):
    post_mix(client)

    result = app.test_cli_runner().invoke(args=["prune-events", "--days", "0"])

    assert result.exit_code == 0 and result.output == "deleted 2 events\n"
    assert [e["status"] for e in client.get("/v1/events").json["events"]] == ["failed"]


def test_dead_item_is_listed_and_retry_command_resends(app, client, forwarding, fake_port,
                                                       issue_blueprint):
    summary_only = {**issue_blueprint, "schema": {"properties": {"summary": {"type": "string"}}}}
    fake_port.add_blueprint(summary_only)
    post_event(client, seed_payload())
    assert deliver(forwarding).dead == 1

    dead = client.get("/v1/outbox?status=dead").get_json()
    assert [i["identifier"] for i in dead["items"]] == ["PI-1"] and dead["counts"]["dead"] == 1
    assert "not in the blueprint schema" in dead["items"][0]["lastError"]
    fake_port.add_blueprint(issue_blueprint)
    result = app.test_cli_runner().invoke(args=["outbox", "retry"])

    assert result.output.strip() == "re-queued 1 dead item(s)"
    assert deliver(forwarding).sent == 1
    assert fake_port.entity("jiraIssue", "PI-1") is not None


def test_outbox_status_command_counts(app, client):
    post_event(client, seed_payload())

    result = app.test_cli_runner().invoke(args=["outbox", "status"])

    assert "pending     1" in result.output


def test_resync_queues_the_catalog_built_while_forwarding_was_off(settings_overrides, fake_port):
    quiet = create_app({**settings_overrides, "PORT_CLIENT_ID": ""})
    post_event(quiet.test_client(), seed_payload())
    runtime_of(quiet).store.close()
    app = create_app(settings_overrides)
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "resync"])
        assert result.output.strip() == "queued 1 entities"
        assert deliver(runtime_of(app).forwarding).sent == 1
    finally:
        runtime_of(app).store.close()

    expected = load_fixture("seed-issue-created.expected-entity.json")
    stored = fake_port.entity("jiraIssue", "PI-1")
    assert {k: stored[k] for k in expected} == expected


def test_resync_needs_credentials(database_url):
    app = create_app({"DATABASE_URL": database_url, "PORT_CLIENT_ID": ""})

    result = app.test_cli_runner().invoke(args=["outbox", "resync"])

    assert result.exit_code != 0 and "PORT_CLIENT_ID" in result.output
    runtime_of(app).store.close()



def test_api_token_prints_the_generated_token_again(app):
    result = app.test_cli_runner().invoke(args=["api-token"])

    assert result.exit_code == 0 and result.stdout.strip() == app_api_token(app)
    assert len(result.stdout.strip()) >= 32


def test_api_token_rotate_replaces_the_token(app, client):
    old = app_api_token(app)

    result = app.test_cli_runner().invoke(args=["api-token", "--rotate"])

    assert result.exit_code == 0 and result.stdout.strip() == app_api_token(app) != old
    assert "every UI session has ended" in result.stderr
    assert client.get("/v1/events", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def test_api_token_rotate_refuses_when_the_token_is_configured(settings_overrides):
    app = create_app({**settings_overrides, "CATALOG_API_TOKEN": "configured-token"})
    try:
        printed = app.test_cli_runner().invoke(args=["api-token"])
        rotated = app.test_cli_runner().invoke(args=["api-token", "--rotate"])
    finally:
        runtime_of(app).store.close()

    assert printed.stdout.strip() == "configured-token"
    assert rotated.exit_code != 0 and "CATALOG_API_TOKEN is set" in rotated.output
