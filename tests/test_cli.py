"""The `flask` commands: upgrade-db, prune-events, api-token and the outbox's status, retry and
resync."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from app import create_app
from app.catalog.engine import database_location
from app.runtime import runtime_of
from tests.support.clients import app_api_token
from tests.support.helpers import (
    REVISIONS,
    ROOT,
    SECRET,
    issue,
    load_fixture,
    post_event,
    post_mix,
    seed_payload,
    signed_headers,
    wait_for,
)
from tests.support.port_helpers import deliver, forwarding_overrides
from tests.support.served import procfile_web


@pytest.fixture
def settings_overrides(database_url, fake_port):
    return forwarding_overrides(database_url, fake_port)


def test_upgrade_db_says_which_revisions_it_applied_then_that_none_were_due(app):
    where = database_location(runtime_of(app).store.engine.url)
    first = app.test_cli_runner().invoke(args=["upgrade-db"])
    again = app.test_cli_runner().invoke(args=["upgrade-db"])

    assert first.exit_code == 0 and again.exit_code == 0
    assert first.output == f"{where}: applied schema revisions {', '.join(REVISIONS)}\n"
    assert again.output == f"{where}: schema already up to date at revision {REVISIONS[-1]}\n"


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


def test_backup_copies_the_sqlite_catalog_while_webhooks_are_written(tmp_path):
    database = tmp_path / "live.db"
    copy = tmp_path / "backups" / "copy.db"
    acknowledged, stop = [], threading.Event()

    def write_events(base):
        while not stop.is_set():
            body = json.dumps(issue(f"PI-{len(acknowledged) + 1}")).encode()
            response = requests.post(base + "/webhooks/jira", data=body,
                                     headers=signed_headers(body), timeout=30)
            assert response.status_code == 202
            acknowledged.append(response.json()["eventId"])

    with procfile_web(f"sqlite:///{database}", 2, tmp_path / "web.log") as served:
        writer = threading.Thread(target=write_events, args=(served.base,))
        writer.start()
        wait_for(lambda: len(acknowledged) >= 20, seconds=60)
        before = set(acknowledged)
        backup = run_flask(["backup", str(copy)], database)
        wait_for(lambda: len(acknowledged) >= len(before) + 20, seconds=60)
        stop.set()
        writer.join()

    assert backup.returncode == 0, backup.stderr
    assert backup.stdout == f"backed up {database} to {copy}\n"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in conn.execute("SELECT id FROM events")}
    assert before <= stored and len(stored) < len(acknowledged)


def test_backup_refuses_an_existing_path_and_postgresql(tmp_path, postgres_url):
    existing = tmp_path / "there.db"
    existing.write_bytes(b"keep me")

    refused = run_flask(["backup", str(existing)], tmp_path / "c.db")
    on_postgres = run_flask(["backup", str(tmp_path / "new.db")], postgres_url)

    assert refused.returncode == 1 and existing.read_bytes() == b"keep me"
    assert f"Error: backup: {existing} already exists; choose a new path" in refused.stderr
    assert on_postgres.returncode == 1 and not (tmp_path / "new.db").exists()
    assert "back up PostgreSQL with pg_dump" in on_postgres.stderr


def run_flask(arguments, database):
    """`flask --app app ...` as a process on `database` (a SQLite path or a URL)."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    env = {**os.environ, "DATABASE_URL": url, "JIRA_WEBHOOK_SECRET": SECRET,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(["flask", "--app", "app", *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
