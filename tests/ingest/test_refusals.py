"""Refused deliveries: counted per webhook and reason in the database (both backends), shared by
every app on it, bounded to counter rows, each explained with the fix naming the setting."""

import json

import sqlalchemy as sa

from app import create_app
from app.catalog.tables import metadata, webhook_refusals
from app.ingest.refusals import REASONS, fix_for, list_refusals
from app.runtime import runtime_of
from tests.support.helpers import SECRET, edit_jira, post_event, seed_payload


def refusals(app):
    state = runtime_of(app)
    return {(r["webhook"], r["reason"]): r["count"] for r in list_refusals(state.store, state.configs)}


def test_refusals_are_counted_per_webhook_and_reason(client, app):
    for _ in range(3):
        assert post_event(client, seed_payload(), secret="wrong").status_code == 401
    assert client.post("/webhooks/jira", data=b"{}", headers={
        "Content-Type": "application/json"}).json["reason"] == "missing_signature"
    assert post_event(client, b"not json").json["reason"] == "invalid_json"
    assert post_event(client, seed_payload(), webhook="jira-catalog", secret="wrong").status_code == 401
    assert refusals(app) == {("jira", "invalid_signature"): 3, ("jira", "missing_signature"): 1,
                             ("jira", "invalid_json"): 1, ("jira-catalog", "invalid_signature"): 1}
    assert client.get("/v1/events").json["total"] == 0


def test_refusals_store_no_body(client, app):
    post_event(client, {"webhookEvent": "jira:issue_created", "marker": "body-marker-123"},
               secret="wrong")
    with runtime_of(app).store.engine.connect() as conn:
        stored = [json.dumps([list(row) for row in conn.execute(sa.select(table))], default=str)
                  for table in metadata.sorted_tables]
    assert not any("body-marker-123" in text for text in stored)


def test_apps_sharing_a_database_count_together(client, app, another_app):
    post_event(client, seed_payload(), secret="wrong")
    post_event(another_app.test_client(), seed_payload(), secret="wrong")
    assert refusals(app) == refusals(another_app) == {("jira", "invalid_signature"): 2}


def test_a_flood_of_refusals_stays_a_few_counter_rows(client, app):
    for number in range(60):
        post_event(client, {"webhookEvent": f"flood-{number}"}, secret=f"wrong-{number}")
        client.post(f"/webhooks/unknown-{number}", data=b"{}")
    client.post("/webhooks/jira", data=b"x" * (5 * 1024 * 1024 + 1), headers={"Content-Type": "application/json"})
    with runtime_of(app).store.engine.connect() as conn:
        rows = conn.execute(sa.select(webhook_refusals)).all()
    assert {(r.webhook, r.reason, r.count) for r in rows} == {
        ("jira", "invalid_signature", 60), ("jira", "body_too_large", 1)}


def test_a_refusal_the_database_cannot_count_is_answered_all_the_same(client, app):
    with runtime_of(app).store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE webhook_refusals"))
    response = post_event(client, seed_payload(), secret="wrong")
    assert response.status_code == 401 and response.json["reason"] == "invalid_signature"
    assert post_event(client, seed_payload()).status_code == 202


def test_each_fix_names_the_setting_the_configuration_reads(app):
    configs = runtime_of(app).configs
    assert fix_for(configs["jira"], "invalid_signature").startswith(
        "the secret in Jira differs from JIRA_WEBHOOK_SECRET")
    assert "JIRA_WEBHOOK_TOKEN" in fix_for(configs["jira-catalog"], "invalid_token")
    assert "X-Hub-Signature" in fix_for(configs["jira"], "missing_signature")
    assert "MAX_BODY_BYTES" in fix_for(configs["jira"], "body_too_large")
    assert all(fix_for(configs["jira"], reason) for reason in REASONS)


def test_a_fix_names_another_referenced_setting_or_the_file(mappings_dir, sqlite_url):
    edit_jira(mappings_dir, lambda data: data["security"].update(secret="${OUR_JIRA_SECRET}"))
    app = create_app({"DATABASE_URL": sqlite_url, "MAPPINGS_DIR": str(mappings_dir),
                      "JIRA_WEBHOOK_SECRET": SECRET, "OUR_JIRA_SECRET": "x"})
    assert fix_for(runtime_of(app).configs["jira"], "invalid_signature").startswith(
        "the secret in Jira differs from OUR_JIRA_SECRET")
    runtime_of(app).store.close()
    edit_jira(mappings_dir, lambda data: data["security"].update(secret="literal-secret"))
    app = create_app({"DATABASE_URL": sqlite_url, "MAPPINGS_DIR": str(mappings_dir)})
    assert fix_for(runtime_of(app).configs["jira"], "invalid_signature").startswith(
        f"the secret in Jira differs from security.secret in {mappings_dir / 'jira.yaml'}")
    runtime_of(app).store.close()
