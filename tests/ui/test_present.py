"""How pages shape stored data: capped JSON, credential-free headers, filters, paging."""

import json

from app.mapping.blueprints import load_blueprints
from app.ui.present import (
    PRETTY_LIMIT,
    list_columns,
    page_links,
    page_number,
    parse_time,
    payload_preview,
    split_properties,
    visible_headers,
)
from tests.support.helpers import ROOT


def test_small_payloads_are_indented_and_open():
    preview = payload_preview('{"a": [1, 2]}')
    assert preview["text"] == json.dumps({"a": [1, 2]}, indent=2)
    assert preview["open"] and not preview["truncated"] and preview["size"] == 13


def test_large_payloads_are_cut_at_the_limit():
    body = json.dumps({"items": [{"n": n} for n in range(100_000)]})
    preview = payload_preview(body)
    assert preview["truncated"] and not preview["open"]
    assert len(preview["text"]) == PRETTY_LIMIT and preview["size"] == len(body)


def test_a_body_that_is_not_json_is_shown_as_stored():
    assert payload_preview("not json")["text"] == "not json"


def test_credential_headers_are_not_shown():
    key, every = visible_headers({"x-hub-signature": "sha256=abc", "user-agent": "Jira",
                                  "x-atlassian-webhook-identifier": "d-1", "x-other": "v"})
    assert key == {"user-agent": "Jira", "x-atlassian-webhook-identifier": "d-1"}
    assert every["x-hub-signature"] == "(present, not shown)" and every["x-other"] == "v"


def test_filters_and_paging_tolerate_bad_input():
    assert parse_time("2026-01-02T03:04").isoformat() == "2026-01-02T03:04:00+00:00"
    assert parse_time("yesterday") is None and parse_time("") is None
    assert page_number("x") == 1 and page_number("-3") == 1 and page_number("4") == 4
    assert page_links(2, 120) == {"page": 2, "last": 3, "total": 120, "previous": 1, "next": 3}


def test_list_columns_put_what_a_reader_scans_first_and_never_long_text():
    shipped = load_blueprints(ROOT / "mappings" / "blueprints")
    issue_columns = list_columns(shipped["jiraIssue"])
    assert [c["name"] for c in issue_columns] == ["status", "issueType", "assignee", "priority"]
    assert issue_columns[2] == {"name": "assignee", "title": "Assignee", "target": "jiraUser"}
    assert [c["name"] for c in list_columns(shipped["jiraTeam"])] == ["organizationId", "teamType"]


def test_split_properties_puts_the_set_ones_first_in_blueprint_order():
    issue = load_blueprints(ROOT / "mappings" / "blueprints")["jiraIssue"]
    filled, empty = split_properties(issue, {"properties": {"status": "Done", "summary": "s", "labels": [],
                                                            "description": None, "extra": 1}})
    assert filled == ["summary", "status", "extra"]
    assert "labels" in empty and "description" in empty and len(filled) + len(empty) == 17
