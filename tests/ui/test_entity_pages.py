"""The entity pages as a reader scans them: natural order across pages, the columns that matter,
unset values as a dash, set properties first, and the UI's own 404 page for unknown addresses."""

import json
import re

import pytest

from tests.support.helpers import ROOT, issue, post_event
from tests.support.ui_helpers import text, ui_csrf, ui_settings_overrides  # noqa: F401  (the fixtures)

ENTITY_LINK = re.compile(r'<td title="[^"]*"><a href="/entities/jiraIssue/([^"]+)">')


def listed(page: str) -> list[str]:
    """The identifiers an entity list page shows, in order."""
    return ENTITY_LINK.findall(page)


def test_entity_list_pages_follow_natural_identifier_order(client, csrf):
    for n in range(1, 61):
        post_event(client, issue(f"OPS-{n}"))
    first, second = listed(text(client, "/entities/jiraIssue")), listed(text(client, "/entities/jiraIssue?page=2"))
    assert first == [f"OPS-{n}" for n in range(1, 51)]
    assert second == [f"OPS-{n}" for n in range(51, 61)]


def test_entity_list_shows_status_type_and_assignee_not_the_description(client, csrf):
    post_event(client, issue("OPS-1", "A summary"))
    page = text(client, "/entities/jiraIssue")
    headings = re.findall(r"<th[^>]*>([^<]+)</th>", page)
    assert headings[:5] == ["Identifier", "Title", "Status", "Type", "Assignee"]
    assert "Description" not in headings and "We need to migrate" not in page
    assert '<td title="OPS-1 - A summary">OPS-1 - A summary</td>' in page


def test_unset_values_are_a_dash_never_null(client, csrf):
    post_event(client, issue("OPS-1"))
    for path in ("/entities/jiraIssue", "/entities/jiraIssue/OPS-1"):
        page = text(client, path)
        assert ">null<" not in page and "—" in page


@pytest.mark.parametrize("path", sorted((ROOT / "mappings" / "blueprints").glob("*.json")),
                         ids=lambda path: path.stem)
def test_no_two_properties_of_a_shipped_blueprint_share_a_title(path):
    properties = json.loads(path.read_text())["schema"]["properties"]
    titles = [spec.get("title") or name for name, spec in properties.items()]
    assert len(titles) == len(set(titles)), titles


def test_entity_page_shows_set_properties_and_folds_the_empty_ones(client, csrf):
    post_event(client, issue("OPS-1", "Hello"))
    page = text(client, "/entities/jiraIssue/OPS-1")
    table = re.search(r'<table class="grid compact props">(.*?)</table>', page, re.S).group(1)
    shown = re.findall(r'<span class="muted">(\w+)</span></th>', table)
    assert shown == ["summary", "description", "lastChangeType", "changingUser", "issueUrl", "issueType",
                     "status"]
    folded = re.search(r'<details class="unset">(.*?)</details>', page, re.S).group(1)
    assert "9 properties not set" in folded
    assert all(f"<code>{name}</code>" in folded for name in ("url", "components", "resolutionDate"))


@pytest.mark.parametrize("path", ["/no/such/page", "/index.php", "/v1x"])
def test_an_unknown_ui_address_is_the_styled_404_page(client, csrf, path):
    answer = client.get(path)
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "There is no page at this address." in answer.get_data(as_text=True)
    assert 'href="/ui-static/ui.css"' in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/v1/no/such", "/webhooks/jira/extra", "/metrics/x", "/healthz/x"])
def test_unknown_machine_addresses_stay_json(client, path):
    answer = client.get(path)
    assert answer.status_code == 404 and answer.mimetype == "application/json"
    assert answer.json["reason"] == "not_found"
