"""Both shipped configurations on real payloads of other projects (tests/fixtures/jira-payloads,
PROVENANCE.md): issue URLs on any host and context path, version 3 descriptions, comment events."""

import dataclasses
import json

import pytest

from tests.support.helpers import FIXTURES, load_fixture, post_event
from tests.support.mappings import changes_of, shipped_configs

PAYLOADS = sorted(p.name for p in FIXTURES.glob("*.json") if "expected-entity" not in p.name)
ADF_ISSUE = "restapijira-cloud-issue-updated-v3-adf.derived.json"
CLOUD_COMMENT = "zulip-cloud-comment-created.json"
WHOLE_ISSUE_COMMENT = "zulip-cloud-comment-created-whole-issue.derived.json"


@pytest.fixture
def database_url(sqlite_url):
    return sqlite_url


@pytest.fixture
def configs():
    return shipped_configs()


def without_fast_path(config):
    return dataclasses.replace(config, mappings=tuple(
        dataclasses.replace(m, fast=None) for m in config.mappings))


@pytest.mark.parametrize("webhook", ["jira", "jira-catalog"])
@pytest.mark.parametrize("name", PAYLOADS)
def test_every_payload_translates_on_both_configurations(configs, webhook, name):
    payload = load_fixture(name)
    changes = changes_of(configs[webhook], payload)
    assert changes == changes_of(without_fast_path(configs[webhook]), payload)
    if payload.get("webhookEvent") in ("jira:issue_created", "jira:issue_updated"):
        assert [c.operation for c in changes if c.blueprint == "jiraIssue"] == ["upsert"]


@pytest.mark.parametrize("name, key, url", [
    ("restapijira-cloud-issue-updated.derived.json", "AP-127",
     "https://restapijira.atlassian.net/browse/AP-127"),
    (ADF_ISSUE, "AP-127", "https://restapijira.atlassian.net/browse/AP-127"),
    ("mobitel-server-issue-created-context-path.json", "BBCOM-1398",
     "https://jira.test-example.ru/jira/browse/BBCOM-1398"),
    ("mattermost-server-issue-updated-resolved-changelog.json", "TES-4",
     "http://some-instance-test.centralus.cloudapp.azure.com:8080/browse/TES-4"),
])
def test_issue_url_is_the_base_url_before_the_rest_path(configs, name, key, url):
    payload = load_fixture(name)
    [flat] = changes_of(configs["jira"], payload)
    [catalog] = [c for c in changes_of(configs["jira-catalog"], payload) if c.blueprint == "jiraIssue"]
    assert (flat.identifier, flat.entity["properties"]["issueUrl"]) == (key, url)
    assert (catalog.identifier, catalog.entity["properties"]["url"]) == (key, url)


def test_a_version_3_description_becomes_its_text(configs):
    [change] = changes_of(configs["jira"], load_fixture(ADF_ISSUE))
    assert change.entity["properties"]["description"] == (
        "This is the description.This is the description.\nView Data")


def test_description_text_keeps_paragraphs_breaks_and_mentions(configs):
    payload = load_fixture(ADF_ISSUE)
    payload["issue"]["fields"]["description"] = {"type": "doc", "version": 1, "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [
            {"type": "paragraph", "content": [
                {"type": "text", "text": "open"}, {"type": "hardBreak"},
                {"type": "mention", "attrs": {"id": "1", "text": "@Ann"}},
                {"type": "emoji", "attrs": {"shortName": ":x:"}}]}]}]},
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "m"}}]},
        {"type": "codeBlock", "content": [{"type": "text", "text": "x = 1"}]}]}
    [change] = changes_of(configs["jira"], payload)
    assert change.entity["properties"]["description"] == "Steps\nopen\n@Ann\nx = 1"


@pytest.mark.parametrize("description", [
    {"type": "doc", "version": 1, "content": []}, {"content": "not a list"}, {"type": "doc"},
    {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": 5}]}]},
])
def test_an_odd_description_object_still_applies(configs, description):
    payload = load_fixture(ADF_ISSUE)
    payload["issue"]["fields"]["description"] = description
    [change] = changes_of(configs["jira"], payload)
    assert change.entity["properties"]["description"] == ""


def test_plain_descriptions_stay_on_the_fast_path(configs, monkeypatch):
    from app.jq import dialect
    calls = []
    real = dialect.sandbox.run
    monkeypatch.setattr(dialect.sandbox, "run", lambda request: calls.append(1) or real(request))
    changes_of(configs["jira"], load_fixture("restapijira-cloud-issue-updated.derived.json"))
    assert calls == []
    changes_of(configs["jira"], load_fixture(ADF_ISSUE))
    assert calls


@pytest.mark.parametrize("webhook", ["jira", "jira-catalog"])
@pytest.mark.parametrize("name", [CLOUD_COMMENT, "mattermost-cloud-comment-created.json",
                                  "mobitel-server-comment-created.json",
                                  "mattermost-server-comment-created.json"])
def test_comment_events_with_a_reduced_issue_or_none_change_nothing(configs, webhook, name):
    assert changes_of(configs[webhook], load_fixture(name)) == ()


def test_a_comment_event_with_the_whole_issue_rewrites_it(configs):
    payload = load_fixture(WHOLE_ISSUE_COMMENT)
    [flat] = changes_of(configs["jira"], payload)
    assert flat.identifier == "ZUL-1" and flat.operation == "upsert"
    assert flat.entity["properties"] == {
        "summary": "A minor issue", "description": "A minor issue, described", "status": "Backlog",
        "lastChangeType": "comment_created", "changingUser": "Eeshan Garg",
        "issueUrl": "https://zulipintegrations.atlassian.net/browse/ZUL-1", "issueType": "Story"}
    [catalog] = changes_of(configs["jira-catalog"], payload)
    assert catalog.entity["properties"]["updated"] == "2019-01-07T16:55:51.184-0330"
    assert catalog.entity["relations"]["project"] == "ZUL"


def test_a_reduced_comment_event_leaves_the_stored_issue_whole(client):
    issue = load_fixture(WHOLE_ISSUE_COMMENT)
    assert post_event(client, issue).json["status"] == "applied"
    before = client.get("/v1/blueprints/jiraIssue/entities/ZUL-1").json["entity"]
    comment = load_fixture(CLOUD_COMMENT)
    comment["timestamp"] += 1000
    comment["issue"]["fields"]["summary"] = "Renamed in the reduced issue"
    answer = post_event(client, comment)
    assert answer.status_code == 202 and answer.json["status"] == "ignored"
    after = client.get("/v1/blueprints/jiraIssue/entities/ZUL-1").json["entity"]
    assert after["properties"] == before["properties"]
    assert before["properties"]["description"] == "A minor issue, described"


def test_a_version_3_issue_is_applied_over_the_webhook(client):
    answer = post_event(client, json.dumps(load_fixture(ADF_ISSUE)).encode())
    assert answer.status_code == 202 and answer.json["status"] == "applied", answer.json
    entity = client.get("/v1/blueprints/jiraIssue/entities/AP-127").json["entity"]
    assert entity["properties"]["description"].endswith("\nView Data")
    assert entity["properties"]["issueUrl"] == "https://restapijira.atlassian.net/browse/AP-127"
