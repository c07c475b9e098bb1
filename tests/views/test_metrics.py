"""GET /metrics: the token rule, the exposition's counts and latencies, the outbox depth at scrape."""

import pytest

from app import create_app
from app.ingest.refusals import REASONS
from app.metrics import REGISTRY
from app.reconcile.passes import Counts, finish_pass, start_pass
from app.runtime import runtime_of
from tests.support.clients import anonymous_client, app_api_token
from tests.support.helpers import SECRET, post_event, samples, seed_payload


def events_counted(status):
    return REGISTRY.get_sample_value("bridge_events_total",
                                     {"webhook": "jira", "status": status}) or 0


def test_events_and_latencies_are_exposed(client):
    before = events_counted("applied"), events_counted("ignored")
    assert post_event(client, seed_payload()).status_code == 202
    assert post_event(client, seed_payload(webhookEvent="sprint_started")).status_code == 202
    assert (events_counted("applied"), events_counted("ignored")) == (before[0] + 1, before[1] + 1)
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    exposed = samples(response.get_data(as_text=True))
    assert exposed[("bridge_events_total", (("status", "applied"), ("webhook", "jira")))] >= 1
    assert exposed[("bridge_translation_seconds_count", (("webhook", "jira"),))] >= 2
    assert exposed[("bridge_request_seconds_count", (("code", "202"), ("endpoint",
                                                     "webhooks.receive"), ("method", "POST")))] >= 2
    assert ("bridge_outbox_depth", ()) in exposed


@pytest.mark.parametrize("tokens, header, status", [
    ({"CATALOG_API_TOKEN": "cat"}, None, 401),
    ({"CATALOG_API_TOKEN": "cat"}, "Bearer cat", 200),
    ({"CATALOG_API_TOKEN": "cat", "METRICS_TOKEN": "met"}, "Bearer cat", 401),
    ({"CATALOG_API_TOKEN": "cat", "METRICS_TOKEN": "met"}, "Bearer met", 200),
    ({}, None, 401),
    ({}, "Bearer generated", 200),
    ({"METRICS_TOKEN": "met"}, "Bearer generated", 401),
])
def test_metrics_token_rule(sqlite_url, tokens, header, status):
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET, **tokens})
    if header:
        header = header.replace("generated", app_api_token(app))
    response = anonymous_client(app).get("/metrics", headers={"Authorization": header} if header
                                         else {})
    assert response.status_code == status
    if status == 401:
        assert response.get_json()["reason"] == "invalid_metrics_token"
    else:
        assert response.headers["Cache-Control"] == "no-store"
    runtime_of(app).store.close()


def test_outbox_depth_is_read_from_the_outbox_when_scraped(app, client):
    from app.port.outbox import Change
    forwarding = runtime_of(app).forwarding
    with forwarding.engine.begin() as conn:
        forwarding.outbox.enqueue(conn, [Change.upsert("jiraIssue", {"identifier": f"PI-{i}"})
                                         for i in (1, 2)])
    exposed = samples(client.get("/metrics").get_data(as_text=True))
    assert exposed[("bridge_outbox_depth", ())] == 2


def refusal_samples(client):
    exposed = samples(client.get("/metrics").get_data(as_text=True))
    return {dict(labels)["webhook"] + "/" + dict(labels)["reason"]: value
            for (name, labels), value in exposed.items() if name == "bridge_webhook_refusals_total"}


def test_refusals_are_exposed_from_the_database_for_configured_webhooks_only(client, app, another_app):
    post_event(client, seed_payload(), secret="wrong")
    post_event(client, seed_payload(), secret="wrong")
    runtime_of(app).store.count_refusal("no-longer-configured", "invalid_signature")
    runtime_of(app).store.count_refusal("jira", "made_up_reason")
    exposed = refusal_samples(another_app.test_client())
    assert exposed["jira/invalid_signature"] == 2
    assert exposed["jira-catalog/invalid_signature"] == 0
    assert {key.split("/")[0] for key in exposed} == {"jira", "jira-catalog"}
    assert "jira/made_up_reason" not in exposed and len(exposed) == 2 * len(REASONS)
    text = another_app.test_client().get("/metrics").get_data(as_text=True)
    assert "# TYPE bridge_webhook_refusals_total counter" in text
    assert "invalid_signature: the secret in Jira differs from JIRA_WEBHOOK_SECRET" in text


def test_reconcile_passes_are_counted_from_the_database(app, client):
    engine = runtime_of(app).store.engine
    for kind, missed, error in (("full", 0, None), ("incremental", 2, None), ("incremental", 1, None),
                                ("incremental", 0, "GET /rest/api/2/search: HTTP 503")):
        finish_pass(engine, start_pass(engine, kind, "jira-catalog"), Counts(changed=missed + 1, missed=missed),
                    None, error)
    start_pass(engine, "incremental", "jira-catalog")

    exposed = samples(client.get("/metrics").get_data(as_text=True))

    assert exposed[("bridge_reconcile_passes_total", (("kind", "incremental"), ("status", "succeeded")))] == 2
    assert exposed[("bridge_reconcile_passes_total", (("kind", "incremental"), ("status", "failed")))] == 1
    assert exposed[("bridge_reconcile_passes_total", (("kind", "incremental"), ("status", "running")))] == 1
    assert exposed[("bridge_reconcile_changed_total", (("kind", "incremental"),))] == 5
    assert exposed[("bridge_reconcile_missed_total", (("kind", "incremental"),))] == 3
    assert exposed[("bridge_reconcile_missed_total", (("kind", "full"),))] == 0
    assert exposed[("bridge_reconcile_last_success_timestamp_seconds", (("kind", "full"),))] > 1.7e9
