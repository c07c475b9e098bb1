"""Port forwarding through the whole app: webhook in, outbox, fake Port over real HTTP."""

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.port.delivery import deliver_once
from app.errors import ConfigError
from app.runtime import runtime_of
from tests.helpers import SECRET, load_fixture, post_event, seed_payload, wait_for
from tests.test_served import ROOT, procfile_command

PORT_SETTINGS = {"PORT_CLIENT_ID": "test-client", "PORT_CLIENT_SECRET": "test-secret",
                 "PORT_BACKOFF_BASE_SECONDS": "0.01", "PORT_BACKOFF_MAX_SECONDS": "0.05",
                 "PORT_WORKER_POLL_SECONDS": "0.01", "INITIALIZE_PORT_RESOURCES": "false"}


@pytest.fixture
def settings_overrides(database_url, fake_port):
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
            "PORT_BASE_URL": fake_port.base_url, **PORT_SETTINGS}


@pytest.fixture
def forwarding(app):
    setup = runtime_of(app).forwarding
    yield setup
    setup.stop(timeout=10)


def deliver(forwarding):
    return deliver_once(forwarding.engine, forwarding.outbox, forwarding.client,
                        forwarding.settings)


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


def test_outbox_status_filter_is_checked(client):
    response = client.get("/v1/outbox?status=lost")

    assert response.status_code == 400 and response.get_json()["reason"] == "invalid_status"


def test_outbox_status_command_counts(app, client):
    post_event(client, seed_payload())

    result = app.test_cli_runner().invoke(args=["outbox", "status"])

    assert "pending     1" in result.output


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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_procfile_worker_process_delivers_and_stops_on_sigterm(settings_overrides, client,
                                                               fake_port):
    post_event(client, seed_payload())
    env = {**os.environ, **settings_overrides,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    # No shell in between, so the signal reaches the worker itself.
    worker = subprocess.Popen(shlex.split(procfile_command("worker")), cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: fake_port.entity("jiraIssue", "PI-1") is not None, seconds=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
    assert worker.returncode == 0, worker.stderr.read().decode()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_procfile_worker_idles_without_credentials_and_stops_on_sigterm(settings_overrides):
    env = {**os.environ, **settings_overrides, "PORT_CLIENT_ID": "", "PORT_CLIENT_SECRET": "",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    worker = subprocess.Popen(shlex.split(procfile_command("worker")), cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log_line = worker.stderr.readline()
    while "forwarding is off" not in log_line and worker.poll() is None:
        log_line = worker.stderr.readline()

    worker.send_signal(signal.SIGTERM)

    assert "forwarding is off" in log_line
    assert worker.wait(timeout=15) == 0


@pytest.mark.parametrize("setting, value", [
    ("PORT_BASE_URL", "api.getport.io"), ("PORT_MERGE", "maybe"), ("PORT_WORKER_POLL_SECONDS", "0"),
    ("RUN_WORKER_IN_WEB", "sometimes"), ("INITIALIZE_PORT_RESOURCES", "perhaps"),
])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_port_settings_stop_startup(settings_overrides, setting, value):
    with pytest.raises(ConfigError, match=setting):
        create_app({**settings_overrides, setting: value})


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
