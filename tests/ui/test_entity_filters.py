"""The entity list filtered through the search engine, its cursor pages and its exports."""

import csv
import io
import json
import re

from tests.support.helpers import issue, post_event
from tests.support.seed_ocean import catalog_event, seed_ocean_objects
from tests.support.ui_helpers import text, ui_csrf, ui_settings_overrides  # noqa: F401  (the fixtures)

ROW_LINK = re.compile(r'<td title="[^"]*"><a href="/entities/jiraIssue/([^"]+)">')


def post_issues(client, count):
    for n in range(count):
        post_event(client, issue(f"OPS-{n}", f"task {n}", status={"name": "Open" if n % 2 else "Done"},
                                 issuetype={"name": "Bug" if n % 3 == 0 else "Task"}))


def test_property_filters_keep_matching_entities(client, csrf):
    post_issues(client, 7)
    page = text(client, "/entities/jiraIssue?f.status=Open&f.issueType=Bug")
    assert ROW_LINK.findall(page) == ["OPS-3"]
    assert 'name="f.status" value="Open"' in page
    unset = text(client, "/entities/jiraIssue?f.assignee=-&f.status=Done")
    assert ROW_LINK.findall(unset) == ["OPS-0", "OPS-2", "OPS-4", "OPS-6"]


def test_relation_filters_and_advanced_queries_use_the_engine(client, csrf):
    for kind, items in seed_ocean_objects().items():
        for item in items:
            post_event(client, catalog_event(kind, item, None), webhook="jira-catalog")
    related = ROW_LINK.findall(text(client, "/entities/jiraIssue?f.project=PA"))
    assert related and "PA-1" in related
    assert ROW_LINK.findall(text(client, "/entities/jiraIssue?f.project=NOPE")) == []
    advanced = json.dumps({"combinator": "and", "rules": [
        {"operator": "relatedTo", "blueprint": "jiraProject", "value": "PA", "direction": "downstream"}]})
    assert ROW_LINK.findall(text(client, "/entities/jiraIssue?query=" + advanced)) == related


def test_a_bad_query_is_400_with_the_reason_above_the_form(client, csrf):
    answer = client.get('/entities/jiraIssue?query={"combinator": "xor", "rules": []}')
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "query.rules[0].combinator: must be" in page and 'name="query"' in page
    assert client.get("/entities/jiraIssue?query={oops").status_code == 400


def test_filtered_pages_follow_the_cursor(client, csrf):
    post_issues(client, 120)
    seen, path = [], "/entities/jiraIssue?f.status=Done"
    while path:
        page = text(client, path)
        seen += ROW_LINK.findall(page)
        following = re.search(r'<a id="next-page" href="([^"]+)"', page)
        path = following.group(1).replace("&amp;", "&") if following else None
    assert sorted(seen) == sorted(f"OPS-{n}" for n in range(0, 120, 2)) and len(seen) == len(set(seen))


def test_exports_hold_the_whole_filtered_result(client, csrf):
    post_issues(client, 5)
    post_event(client, issue("OPS-9", "=HYPERLINK(\"http://evil\")", status={"name": "Open"}))
    rows = list(csv.DictReader(io.StringIO(text(client, "/exports/jiraIssue.csv?f.status=Open"))))
    assert [r["identifier"] for r in rows] == ["OPS-1", "OPS-3", "OPS-9"]
    assert rows[0]["properties.status"] == "Open" and rows[2]["properties.summary"].startswith("'=")
    exported = json.loads(text(client, "/exports/jiraIssue.json?f.status=Done"))
    assert [e["identifier"] for e in exported] == ["OPS-0", "OPS-2", "OPS-4"]
    assert exported[0]["properties"]["status"] == "Done"
    assert json.loads(text(client, "/exports/jiraIssue.json?f.status=nothing")) == []


def test_exports_need_a_session(app):
    from tests.support.clients import anonymous_client
    answer = anonymous_client(app).get("/exports/jiraIssue.csv")
    assert answer.status_code == 302 and answer.location.startswith("/login")
