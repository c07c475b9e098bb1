"""Finding out what went wrong, in a real browser (Debian's Chromium through Playwright): refused
deliveries on the overview with their fix, counts that read as counts, an ignored event's reason,
an event filter that can match nothing.

Screenshots land in test-artifacts/screenshots/ for a look at the layout.
"""

import json

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


@pytest.fixture
def base(tmp_path):
    """A served app on its own SQLite catalog; yields its base URL."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.sqlite3'}",
                      "JIRA_WEBHOOK_SECRET": SECRET, "CATALOG_API_TOKEN": TOKEN,
                      "MAPPINGS_DIR": copy_mappings(tmp_path)})
    with serve_http(app) as url:
        yield url
    runtime_of(app).store.close()


def deliver(base, payload, secret=SECRET):
    body = json.dumps(payload).encode("utf-8")
    return requests.post(f"{base}/webhooks/jira", data=body, headers=signed_headers(body, secret),
                         timeout=10)


def sign_in(page, base):
    page.goto(base + "/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_overview_shows_refusals_with_their_fix_and_counts_as_counts(page, base):
    for _ in range(3):
        assert deliver(base, seed_payload(), secret="the-old-secret").status_code == 401
    assert deliver(base, seed_payload()).status_code == 202
    sign_in(page, base)
    webhooks = page.locator("table.grid").first.inner_text()
    assert "1 applied" in webhooks and "applied 1" not in webhooks
    assert "3 deliveries refused" in webhooks
    refused = page.inner_text("table.refusals tbody tr")
    assert "invalid_signature" in refused and "\t3\t" in refused
    assert "the secret in Jira differs from JIRA_WEBHOOK_SECRET" in refused
    shoot(page, "20-overview-refusals")
    page.click("text=3 deliveries refused")
    assert page.url.endswith("#refused")


def test_an_ignored_event_and_a_filter_matching_nothing_say_why(page, base):
    ignored = deliver(base, {"webhookEvent": "jira:version_released"}).json()
    assert ignored["message"] == "no mapping's filter matched: jira:version_released"
    sign_in(page, base)
    page.goto(f"{base}/events/{ignored['eventId']}")
    assert "no mapping's filter matched: jira:version_released" in page.inner_text("section.card")
    shoot(page, "21-event-ignored")
    page.goto(f"{base}/events?status=bogus")
    alert = page.get_by_role("alert").inner_text()
    assert alert == "status 'bogus' is not an event status; use one of applied, stale, ignored, failed"
    shoot(page, "22-events-bad-filter")
