"""The entity filters in Chromium: typing a status and a type narrows the list, the export links
carry the same filters and download the same entities. Screenshots land in tmp_path."""

import json

from tests.support.helpers import issue, post_event
from tests.support.ui_helpers import (  # noqa: F401  (the fixtures)
    TOKEN,
    browser_page,
    chromium,
    ui_csrf,
    ui_settings_overrides,
)


def sign_in(page, base):
    page.goto(base + "/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_filters_narrow_the_list_and_the_export_matches(client, live_server, page, tmp_path):
    for n in range(9):
        post_event(client, issue(f"OPS-{n}", f"Task {n}", status={"name": "Open" if n % 2 else "Done"},
                                 issuetype={"name": "Bug" if n % 3 == 0 else "Task"}))
    sign_in(page, live_server)
    page.goto(live_server + "/entities/jiraIssue")
    assert page.locator("main table tbody tr").count() == 9
    page.fill("input[name='f.status']", "Open")
    page.fill("input[name='f.issueType']", "Bug")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**f.status=Open**")
    page.screenshot(path=str(tmp_path / "entities-filtered.png"), full_page=True)
    shown = page.locator("main table tbody tr td:first-child").all_inner_texts()
    assert shown == ["OPS-3"]
    assert page.input_value("input[name='f.status']") == "Open"
    with page.expect_download() as download:
        page.click("#export-json")
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert [e["identifier"] for e in exported] == shown
    with page.expect_download() as download:
        page.click("#export-csv")
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("identifier,title,") and [line.split(",")[0] for line in lines[1:]] == shown
