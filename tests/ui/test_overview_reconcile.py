"""The overview's reconcile section: the last pass, and the warning when passes keep finding changes
webhooks missed."""

from app.reconcile.passes import Counts, finish_pass, start_pass
from app.runtime import runtime_of
from tests.support.ui_helpers import text, ui_csrf, ui_settings_overrides  # noqa: F401  (the fixtures)

WARNING = "Webhooks failing or filtered"


def record(app, missed, kind="incremental", error=None):
    engine = runtime_of(app).store.engine
    finish_pass(engine, start_pass(engine, kind, "jira-catalog"),
                Counts(seen=40, changed=missed, deleted=1, missed=missed), 1_700_000_000_000, error)


def test_without_jira_the_overview_says_how_to_turn_reconcile_on(client, csrf):
    page = text(client, "/")
    assert "Reconcile with Jira" in page and "set <code>JIRA_URL</code>" in page and WARNING not in page


def test_the_overview_shows_the_last_pass(app, client, csrf):
    record(app, 0, kind="full")
    record(app, 3)
    page = text(client, "/")
    section = page[page.index('id="reconcile"'):page.index("Forwarding to Port")]
    assert "incremental" in section and '<span class="badge badge-succeeded">succeeded</span>' in section
    assert '<td class="num">40</td>' in section and '<td class="num">3</td>' in section
    assert WARNING not in page


def test_the_overview_warns_when_passes_keep_finding_what_webhooks_missed(app, client, csrf):
    for missed in (2, 1, 5):
        record(app, missed)
    page = text(client, "/")
    assert WARNING in page and 'role="alert"' in page
    record(app, 0)
    assert WARNING not in text(client, "/")


def test_a_failed_pass_shows_its_error(app, client, csrf):
    record(app, 0, error="Jira refused the credentials (401 on /rest/api/2/search)")
    page = text(client, "/")
    assert "badge-failed\">failed</span>" in page
    assert "Jira refused the credentials (401 on /rest/api/2/search)" in page
