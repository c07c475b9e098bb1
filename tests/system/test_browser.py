"""The web UI in a real browser (Debian's Chromium through Playwright) against the served app.

Screenshots of every page land in test-artifacts/screenshots/ for a look at the layout.
"""

import copy
import json
from pathlib import Path

import pytest
import requests

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import SECRET, seed_payload, serve_http, signed_headers
from tests.support.ui_helpers import (  # noqa: F401  (the fixtures)
    ROOT,
    TOKEN,
    browser_page,
    chromium,
    copy_mappings,
)

SHOTS = ROOT / "test-artifacts" / "screenshots"
BROKEN_TITLE = 'title: .body.issue.key + " - " +'
GOOD_TITLE = 'title: .body.issue.key + " - " + .body.issue.fields.summary'
OLD_URL = 'issueUrl: (.body.issue.self | split("/rest/api/") | first) + "/browse/" + .body.issue.key'
SAFE_URL = ('issueUrl: if .body.issue.self then (.body.issue.self | split("/rest/api/") | first) + '
            '"/browse/" + .body.issue.key else null end')


@pytest.fixture
def settings(tmp_path):
    """Settings of a served app with its own catalog and a copy of the mappings it may edit."""
    mappings = copy_mappings(tmp_path)
    add_relation_and_calculation(Path(mappings) / "blueprints" / "jiraIssue.json")
    # Forwarding to Port is on, its delivery worker (a separate process) is not running.
    port = {"PORT_CLIENT_ID": "id", "PORT_CLIENT_SECRET": "secret",
            "PORT_BASE_URL": "http://127.0.0.1:9", "INITIALIZE_PORT_RESOURCES": "false"}
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.sqlite3'}",
            "JIRA_WEBHOOK_SECRET": SECRET, "CATALOG_API_TOKEN": TOKEN, "MAPPINGS_DIR": mappings,
            **port}


def add_relation_and_calculation(path):
    """Make sure the blueprint has a relation and a calculation property the seed's entity fills."""
    blueprint = json.loads(path.read_text())
    blueprint["relations"] = {**blueprint.get("relations", {}), "parentIssue": {
        "target": "jiraIssue", "title": "Parent Issue", "required": False, "many": False}}
    blueprint["calculationProperties"] = {**blueprint.get("calculationProperties", {}), "summaryLength": {
        "title": "Summary length", "type": "number", "calculation": ".properties.summary | length"}}
    path.write_text(json.dumps(blueprint))


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def deliver(base, payload):
    """POST a payload to the served webhook, signed like Jira; returns the JSON answer."""
    body = json.dumps(payload).encode("utf-8")
    answer = requests.post(f"{base}/webhooks/jira", data=body, headers=signed_headers(body),
                           timeout=10)
    assert answer.status_code == 202, answer.text
    return answer.json()


def issue_without_self():
    """A seed issue whose `self` link is missing: the shipped mapping fails on it."""
    payload = seed_payload()
    payload["issue"] = copy.deepcopy(payload["issue"])
    payload["issue"]["key"] = "PI-2"
    del payload["issue"]["self"]
    return payload


def log_in(page, base):
    page.goto(base + "/")
    assert "/login" in page.url
    shoot(page, "01-login")
    page.fill("#token", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("That token is not")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def see_event_and_entity(page, base, event_id):
    """From the overview to the event, and from the event to its entity."""
    assert "1 applied" in page.locator("table.grid").first.inner_text()
    assert page.inner_text("table.outbox tbody td >> nth=0") == "1"
    shoot(page, "02-overview")
    page.click("nav >> text=Events")
    assert page.locator("tbody tr").count() == 2
    shoot(page, "03-events")
    page.click(f"a[href='/events/{event_id}'] >> nth=0")
    assert "jira:issue_created" in page.inner_text("dl.facts")
    assert '"summary": "Migrate Infra to Cloud"' in page.inner_text("pre.json")
    shoot(page, "04-event")
    page.click("table.grid >> text=PI-1")
    assert "PI-1 - Migrate Infra to Cloud" in page.inner_text("h1")
    assert "To Do" in page.inner_text("table.props >> nth=0")
    assert "Parent Issue" in page.inner_text("table.props >> nth=1")
    assert page.inner_text("table.props >> nth=2").endswith(str(len("Migrate Infra to Cloud")))
    assert page.locator(f"a[href='/events/{event_id}']").count() == 1
    shoot(page, "05-entity")
    page.click(".crumbs >> text=Jira Issue")
    assert "PI-1" in page.inner_text("table.grid")
    shoot(page, "06-entities")
    page.click(".crumbs >> text=Entities")
    assert page.inner_text("table.grid tbody tr:has-text('jiraIssue') td.num") == "1"
    shoot(page, "06-blueprints")


def run_config(page, text):
    page.fill("#config_text", text)
    page.click("button[value=run]")


def break_and_fix_mapping(page, base, event_id):
    """A broken expression names its field; the fixed one shows the entity."""
    page.goto(f"{base}/playground?event={event_id}&config=jira")
    original = page.input_value("#config_text")
    assert GOOD_TITLE in original and SECRET not in page.content()
    run_config(page, original.replace(GOOD_TITLE, BROKEN_TITLE))
    error = page.get_by_role("alert").inner_text()
    assert "field entity.title: JQ does not compile" in error
    shoot(page, "07-playground-error")
    run_config(page, page.input_value("#config_text").replace(BROKEN_TITLE, GOOD_TITLE))
    assert '"title": "PI-1 - Migrate Infra to Cloud"' in page.inner_text("#result")
    shoot(page, "08-playground-ok")


def fix_and_save_for(page, base, failed_id):
    """The failed event fails in the playground too; a safer expression fixes it; save it."""
    page.goto(f"{base}/playground?event={failed_id}&config=jira")
    run_config(page, page.input_value("#config_text"))
    assert "entity.properties.issueUrl" in page.get_by_role("alert").inner_text()
    run_config(page, page.input_value("#config_text").replace(OLD_URL, SAFE_URL))
    assert '"identifier": "PI-2"' in page.inner_text("#result")
    page.click("button[value=save]")
    assert "Saved jira.yaml" in page.get_by_role("status").inner_text()
    shoot(page, "09-playground-saved")


def replay_failed(page, base, failed_id):
    page.goto(f"{base}/events/{failed_id}")
    assert "failed" in page.inner_text("h1")
    shoot(page, "10-event-failed")
    page.click("text=Replay")
    assert "applied" in page.get_by_role("status").inner_text()
    assert "applied" in page.inner_text("h1")
    assert page.locator("table.grid >> text=PI-2").count() == 1
    shoot(page, "11-event-replayed")


def test_operator_sees_fixes_and_replays_events(page, settings):
    """Log in, follow a seed event to its entity, fix a mapping, restart, replay a failure."""
    first = create_app(settings)
    with serve_http(first) as base:
        log_in(page, base)
        applied = deliver(base, seed_payload())
        failed = deliver(base, issue_without_self())
        assert (applied["status"], failed["status"]) == ("applied", "failed")
        page.reload()
        see_event_and_entity(page, base, applied["eventId"])
        break_and_fix_mapping(page, base, applied["eventId"])
        fix_and_save_for(page, base, failed["eventId"])
    runtime_of(first).store.close()
    restarted = create_app(settings)
    with serve_http(restarted) as base:
        replay_failed(page, base, failed["eventId"])
        assert SECRET not in page.content()
    runtime_of(restarted).store.close()


def test_a_large_payload_is_shown_in_part(page, settings):
    app = create_app(settings)
    with serve_http(app) as base:
        payload = seed_payload()
        payload["issue"] = copy.deepcopy(payload["issue"])
        payload["issue"]["fields"]["description"] = "x" * 3_000_000
        event_id = deliver(base, payload)["eventId"]
        page.goto(base + "/login")
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        page.goto(f"{base}/events/{event_id}")
        assert page.locator("details.payload[open]").count() == 0
        page.click("details.payload summary")
        assert "too large to show whole" in page.inner_text("details.payload")
        shoot(page, "12-event-large")
        with page.expect_download() as download:
            page.click("details.payload summary a")
        assert Path(download.value.path()).stat().st_size == len(json.dumps(payload))
    runtime_of(app).store.close()
