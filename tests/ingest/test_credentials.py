"""Credential headers (the one a configuration's security compares, Authorization, cookies) are
never stored, served or fed to a replay; events stored with them earlier are filtered (both
databases)."""

import json

import pytest
import sqlalchemy as sa

from app.catalog.store import IncomingEvent
from app.catalog.tables import events
from app.mapping.translate import Translation
from app.runtime import runtime_of
from tests.support.helpers import SECRET, edit_jira, post_event, seed_payload
from tests.support.ui_helpers import TOKEN, log_in

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECK_HEADER = "X-Jira-Check"


def plain_security_copying_the_header(data):
    """jira.yaml with a plain secret in X-Jira-Check, and a summary that reads that header."""
    data["security"].update(signatureHeaderName=CHECK_HEADER, signatureAlgorithm="plain",
                            signaturePrefix="")
    data["mappings"][0]["entity"]["properties"]["summary"] = f'.headers["{CHECK_HEADER.lower()}"] // "none"'


@pytest.fixture
def settings_overrides(database_url, mappings_dir):
    edit_jira(mappings_dir, plain_security_copying_the_header)
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET, "CATALOG_API_TOKEN": TOKEN,
            "MAPPINGS_DIR": str(mappings_dir)}


def stored_headers(engine):
    with engine.connect() as conn:
        return [row.headers for row in conn.execute(sa.select(events.c.headers))]


def test_the_plain_secret_header_is_neither_stored_nor_given_to_mappings(client, engine):
    answer = client.post("/webhooks/jira", data=json.dumps(seed_payload()).encode(), headers={
        "Content-Type": "application/json", CHECK_HEADER: SECRET, "Authorization": "Basic eA==",
        "X-Atlassian-Webhook-Identifier": "d-1"})
    assert answer.status_code == 202 and answer.json["status"] == "applied"

    (headers,) = stored_headers(engine)
    assert "x-jira-check" not in headers and "authorization" not in headers
    assert headers["x-atlassian-webhook-identifier"] == "d-1"
    entity = client.get("/v1/blueprints/jiraIssue/entities/PI-1", headers=AUTH).json["entity"]
    assert entity["properties"]["summary"] == "none"
    served = client.get(f"/v1/events/{answer.json['eventId']}", headers=AUTH).json["event"]
    assert SECRET not in json.dumps(served)


def store_event_with_credentials(app):
    """An event stored as if by an older version, with the credential headers kept."""
    store = runtime_of(app).store
    event = IncomingEvent(webhook="jira", body=json.dumps(seed_payload()), query={}, headers={
        "x-jira-check": SECRET, "authorization": "Bearer leaked", "x-hub-signature": "sha256=ab",
        "user-agent": "Atlassian"})
    return store.ingest(event, Translation()).event_id


def test_headers_stored_earlier_are_not_served_by_the_api_or_the_ui(app, client):
    event_id = store_event_with_credentials(app)

    served = client.get(f"/v1/events/{event_id}", headers=AUTH).json["event"]
    # x-hub-signature is the signature header of the other shipped configuration (jira-catalog).
    assert served["headers"] == {"user-agent": "Atlassian"}
    log_in(client)
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert SECRET not in page and "leaked" not in page and "Atlassian" in page


def test_a_replay_does_not_read_headers_stored_earlier(app, client):
    event_id = store_event_with_credentials(app)

    replayed = client.post(f"/v1/events/{event_id}/replay", headers=AUTH)

    assert replayed.json["status"] == "applied"
    entity = client.get("/v1/blueprints/jiraIssue/entities/PI-1", headers=AUTH).json["entity"]
    assert entity["properties"]["summary"] == "none"


def test_the_hmac_signature_header_is_not_stored(database_url, tmp_path):
    from app import create_app
    app = create_app({"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET})
    assert post_event(app.test_client(), seed_payload()).status_code == 202
    (headers,) = stored_headers(runtime_of(app).store.engine)
    assert not {"x-hub-signature"} & set(headers)
    runtime_of(app).store.close()
