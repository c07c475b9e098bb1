"""The UI's pages through the Flask test client (SQLite: test_queries covers both databases)."""

import json
import re

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import SECRET, issue, post_event, sign
from tests.support.ui_helpers import log_in, text, ui_csrf, ui_settings_overrides  # noqa: F401  (the fixtures)


def failing_issue(key):
    payload = issue(key)
    del payload["issue"]["self"]
    return payload


def test_overview_counts_events_by_status_and_entities(client, csrf):
    post_event(client, issue("PI-1"))
    post_event(client, issue("PI-2"))
    post_event(client, failing_issue("PI-3"))
    post_event(client, {"webhookEvent": "sprint_started"})
    page = text(client, "/")
    assert page.count('2 <span class="badge badge-applied">applied</span>') == 2
    assert page.count('1 <span class="badge badge-failed">failed</span>') == 2
    assert page.count('1 <span class="badge badge-ignored">ignored</span>') == 2
    assert 'title="2 events applied in the last hour"' in page
    assert '<td class="num">2</td>' in page


def test_events_filter_by_status_type_and_time(client, csrf):
    post_event(client, issue("PI-1"))
    post_event(client, failing_issue("PI-2"))
    post_event(client, {"webhookEvent": "sprint_started"})
    assert text(client, "/events").count('<td class="num"><a href="/events/') == 3
    failed = text(client, "/events?status=failed")
    assert failed.count('<td class="num"><a href="/events/') == 1 and "jq_runtime_error" in failed
    sprint = text(client, "/events?event_type=sprint_started")
    assert sprint.count('<td class="num"><a href="/events/') == 1
    assert "No events match" in text(client, "/events?since=2999-01-01T00:00")
    assert "No events match" in text(client, "/events?until=2000-01-01T00:00")


def test_event_page_shows_outcome_entities_and_payload_without_credentials(client, csrf):
    body = json.dumps(issue("PI-1", "Hello")).encode()
    event_id = post_event(client, body).json["eventId"]
    page = text(client, f"/events/{event_id}")
    assert 'href="/entities/jiraIssue/PI-1"' in page
    assert "&#34;summary&#34;: &#34;Hello&#34;" in page
    assert "x-hub-signature" not in page and sign(body) not in page and SECRET not in page
    assert "<details class=\"payload\" open>" in page


def test_failed_event_page_names_the_failing_field(client, csrf):
    event_id = post_event(client, failing_issue("PI-9")).json["eventId"]
    page = text(client, f"/events/{event_id}")
    assert "entity.properties.issueUrl" in page and "jq_runtime_error" in page
    assert f"/playground?event={event_id}&amp;config=jira" in page


def test_a_large_payload_is_cut_with_a_download_link(client, csrf):
    payload = issue("PI-1", description="y" * 600_000)
    event_id = post_event(client, payload).json["eventId"]
    answer = client.get(f"/events/{event_id}")
    assert len(answer.data) < 400_000
    page = answer.get_data(as_text=True)
    assert "shown in part" in page and f"/events/{event_id}/raw" in page
    raw = client.get(f"/events/{event_id}/raw")
    assert json.loads(raw.data) == payload and "attachment" in raw.headers["Content-Disposition"]


def test_replay_reports_the_outcome(client, csrf):
    event_id = post_event(client, issue("PI-1")).json["eventId"]
    answer = client.post(f"/events/{event_id}/replay", data={"csrf_token": csrf},
                         follow_redirects=True)
    assert "Replayed with the current configuration: applied" in answer.get_data(as_text=True)


def test_unknown_event_and_blueprint_are_html_404s(client, csrf):
    for path in ("/events/999999", "/entities/nope", "/entities/jiraIssue/NOPE-1"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert client.post("/events/999999/replay", data={"csrf_token": csrf}).status_code == 404


def test_entities_are_searchable_and_paged(client, csrf):
    for n in range(55):
        post_event(client, issue(f"PI-{n:02d}", "Payments" if n % 2 else "Search"))
    first = text(client, "/entities/jiraIssue")
    assert "page 1 of 2" in first and 'href="/entities/jiraIssue/PI-00"' in first
    second = text(client, "/entities/jiraIssue?page=2")
    assert 'href="/entities/jiraIssue/PI-54"' in second and "PI-00" not in second
    found = text(client, "/entities/jiraIssue?q=payMENTS")
    assert "27 in all" in found and 'href="/entities/jiraIssue/PI-00"' not in found
    assert "No entities match" in text(client, "/entities/jiraIssue?q=100%25_")


def test_entity_page_shows_properties_and_history(client, csrf):
    created = post_event(client, issue("PI-1", "First", timestamp=1)).json["eventId"]
    updated = post_event(client, issue("PI-1", "Second", timestamp=2)).json["eventId"]
    post_event(client, issue("PI-10", timestamp=3))
    page = text(client, "/entities/jiraIssue/PI-1")
    assert "PI-1 - Second" in page and "https://account.atlassian.net/browse/PI-1" in page
    assert f'href="/events/{created}"' in page and f'href="/events/{updated}"' in page
    assert page.count('<td class="num"><a href="/events/') == 2


def test_a_deleted_entity_still_shows_its_history(client, csrf):
    post_event(client, issue("PI-1"))
    deleted = post_event(client, issue("PI-1", timestamp=1800000000000) |
                         {"webhookEvent": "jira:issue_deleted"}).json["eventId"]
    page = text(client, "/entities/jiraIssue/PI-1")
    assert "was deleted" in page and f'href="/events/{deleted}"' in page


def test_overview_says_when_forwarding_to_port_is_off(client, csrf):
    assert "Forwarding to Port" in text(client, "/") and "Off: entities stay" in text(client, "/")


def test_overview_counts_the_port_outbox_when_forwarding_is_on(settings_overrides):
    app = create_app({**settings_overrides, "PORT_CLIENT_ID": "id", "PORT_CLIENT_SECRET": "s",
                      "PORT_BASE_URL": "http://127.0.0.1:9", "INITIALIZE_PORT_RESOURCES": "false"})
    client = app.test_client()
    log_in(client)
    for key in ("PI-1", "PI-2", "PI-3"):
        post_event(client, issue(key))
    forwarding = runtime_of(app).forwarding
    [first, *_rest] = forwarding.outbox.claim_batch(forwarding.engine, 2)
    with forwarding.engine.begin() as conn:
        forwarding.outbox.mark_dead(conn, first, "refused by Port")
    page = text(client, "/")
    counts = re.search(r'<table class="grid compact outbox">.*?</table>', page, re.S).group(0)
    assert re.findall(r'<td class="num">(?:<span[^>]*>)?(\d+)', counts) == ["1", "1", "1", "0"]
    runtime_of(app).store.close()


def test_an_event_filter_that_can_match_nothing_shows_why(client, csrf):
    post_event(client, issue("PI-1"))
    for query, reason in [("status=bogus", "use one of applied, stale, ignored, failed"),
                          ("webhook=jria", "configured: jira, jira-catalog"),
                          ("since=yesterday", "From (UTC) &#39;yesterday&#39; is not a date and time")]:
        answer = client.get(f"/events?{query}")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400 and 'role="alert"' in page and reason in page
        assert "No events match" not in page and '<td class="num"><a href="/events/' not in page


def test_an_ignored_event_page_says_why(client, csrf):
    event_id = post_event(client, {"webhookEvent": "jira:version_released"}).json["eventId"]
    page = text(client, f"/events/{event_id}")
    assert "Why it was ignored" in page and "no_mapping_matched" in page
    assert "no mapping&#39;s filter matched: jira:version_released" in page
    assert "no mapping&#39;s filter matched: jira:version_released" in text(client, "/events")


def test_the_overview_shows_refused_deliveries_with_their_fix(client, csrf):
    for _ in range(2):
        post_event(client, issue("PI-1"), secret="wrong")
    page = text(client, "/")
    assert 'href="#refused">2 deliveries refused</a>' in page
    assert '<code>invalid_signature</code>' in page and 'badge-failed">2</span>' in page
    assert "the secret in Jira differs from JIRA_WEBHOOK_SECRET" in page
