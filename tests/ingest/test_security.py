"""Signature checks: HMAC over raw bytes, plain secrets, URL tokens, unsigned configurations."""

import json
import logging

import pytest

from app.errors import Unauthorized
from app.ingest.security import missing_secret_message, sign_body, verify_request
from tests.support.helpers import SECRET, post_event, seed_payload

BODY = b'{"webhookEvent": "jira:issue_created"}'


def security(**overrides):
    base = {"secret": SECRET, "signatureHeaderName": "X-Hub-Signature",
            "signatureAlgorithm": "sha256", "signaturePrefix": "sha256=", "queryToken": ""}
    return {**base, **overrides}


def reason_of(sec, headers, query=None, allow_unsigned=False):
    with pytest.raises(Unauthorized) as caught:
        verify_request(sec, BODY, headers, query or {}, allow_unsigned)
    return caught.value.reason


def test_sha256_signature_is_accepted():
    verify_request(security(), BODY, {"X-Hub-Signature": sign_body(SECRET, BODY)}, {})


def test_sha1_signature_is_accepted():
    sec = security(signatureAlgorithm="sha1", signaturePrefix="sha1=")
    verify_request(sec, BODY, {"X-Hub-Signature": sign_body(SECRET, BODY, "sha1", "sha1=")}, {})


def test_signature_without_prefix_or_of_other_body_is_refused():
    bare = sign_body(SECRET, BODY)[len("sha256="):]
    assert reason_of(security(), {"X-Hub-Signature": bare}) == "invalid_signature"
    other = sign_body(SECRET, BODY + b" ")
    assert reason_of(security(), {"X-Hub-Signature": other}) == "invalid_signature"


def test_plain_algorithm_compares_the_secret():
    sec = security(signatureAlgorithm="plain", signaturePrefix="", signatureHeaderName="X-Token")
    verify_request(sec, BODY, {"X-Token": SECRET}, {})
    assert reason_of(sec, {"X-Token": SECRET + "x"}) == "invalid_signature"


def test_query_token_for_servers_that_cannot_sign():
    sec = security(secret="", queryTokenParam="token", queryToken="tok-123")
    verify_request(sec, BODY, {}, {"token": "tok-123"})
    assert reason_of(sec, {}, {"token": "tok-124"}) == "invalid_token"
    assert reason_of(sec, {}) == "missing_signature"


def test_no_secret_refuses_unless_unsigned_allowed():
    sec = security(secret="")
    assert reason_of(sec, {}) == "webhook_secret_not_configured"
    verify_request(sec, BODY, {}, {}, allow_unsigned=True)


def test_unconfigured_secret_refuses_over_http(tmp_path):
    from app import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "JIRA_WEBHOOK_SECRET": ""})
    response = post_event(app.test_client(), seed_payload())
    assert response.status_code == 401
    assert response.json["reason"] == "webhook_secret_not_configured"


def test_no_secret_names_the_referenced_setting_and_the_file(tmp_path, caplog):
    from app import create_app
    from app.factory import check_startup
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "JIRA_WEBHOOK_SECRET": ""}
    with caplog.at_level(logging.WARNING, logger="jira_catalog_bridge"):
        check_startup(settings)
    app = create_app(settings)
    message = post_event(app.test_client(), seed_payload()).json["message"]
    warning = next(r.getMessage() for r in caplog.records if "'jira' refuses every" in r.getMessage())
    for text in (message, warning):
        assert "mappings/jira.yaml sets security.secret to ${JIRA_WEBHOOK_SECRET}" in text
        assert "set JIRA_WEBHOOK_SECRET to the secret registered in Jira" in text
        assert "see the README" not in text


def test_a_literal_empty_secret_names_the_file():
    message = missing_secret_message("mappings/other.yaml", {})
    assert message.startswith("no secret configured: security.secret in mappings/other.yaml is empty")


def test_allow_unsigned_accepts_and_warns(tmp_path, caplog):
    from app import create_app
    from app.factory import check_startup
    settings = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "JIRA_WEBHOOK_SECRET": "",
                "ALLOW_UNSIGNED_WEBHOOKS": "true"}
    check_startup(settings)
    assert "accepts unsigned requests" in caplog.text
    app = create_app(settings)
    raw = json.dumps(seed_payload()).encode()
    response = app.test_client().post("/webhooks/jira", data=raw,
                                      headers={"Content-Type": "application/json"})
    assert response.status_code == 202 and response.json["status"] == "applied"


@pytest.mark.parametrize("token, warned", [("short-token", True), ("x" * 16, False), ("", False)])
def test_a_short_read_token_is_warned_about_at_startup(tmp_path, caplog, token, warned):
    from app.factory import check_startup
    check_startup({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "JIRA_WEBHOOK_SECRET": SECRET,
                   "CATALOG_API_TOKEN": token})
    assert ("CATALOG_API_TOKEN is shorter than 16 characters" in caplog.text) is warned
    assert not token or token not in caplog.text


def test_url_token_is_not_stored_or_exposed_to_mappings(tmp_path):
    from app import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "JIRA_WEBHOOK_SECRET": "",
                      "JIRA_WEBHOOK_TOKEN": "tok-123"})
    client = app.test_client()
    raw = json.dumps(seed_payload()).encode()
    response = client.post("/webhooks/jira?token=tok-123&x=1", data=raw,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 202
    event = client.get(f"/v1/events/{response.json['eventId']}").json["event"]
    assert event["query"] == {"x": "1"} and "tok-123" not in json.dumps(event)


def test_secrets_never_reach_logs_or_error_bodies(client, caplog):
    raw = json.dumps(seed_payload()).encode()
    wrong = client.post("/webhooks/jira", data=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature": "sha256=00"})
    assert SECRET not in wrong.get_data(as_text=True)
    assert SECRET not in caplog.text
    assert "sha256=00" not in wrong.get_data(as_text=True)
