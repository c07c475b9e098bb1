"""Numbers past what the databases hold and NUL characters in URLs: 400 or 404 with a reason, on
every backend, for the JSON API and the UI alike."""

import json

import pytest

from tests.support.helpers import SECRET, post_event, seed_payload
from tests.support.ui_helpers import TOKEN, log_in

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HUGE = "9" * 25


@pytest.fixture
def settings_overrides(database_url):
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET, "CATALOG_API_TOKEN": TOKEN}


@pytest.mark.parametrize("url, status, reason", [
    (f"/v1/events?offset={HUGE}", 400, "invalid_paging"),
    (f"/v1/events?limit={HUGE}", 400, "invalid_paging"),
    (f"/v1/blueprints/jiraIssue/entities?offset={HUGE}", 400, "invalid_paging"),
    (f"/v1/outbox?offset={HUGE}", 400, "invalid_paging"),
    ("/v1/events?offset=9223372036854775807", 400, "invalid_paging"),
    ("/v1/events/9223372036854775808", 404, "not_found"),
    (f"/v1/events/{HUGE}", 404, "not_found"),
    (f"/v1/events/{HUGE}/replay", 404, "not_found"),
    ("/v1/events/9223372036854775807", 404, "event_not_found"),
    ("/v1/events?status=applied%00", 400, "nul_in_request"),
    ("/v1/events?webhook%00=jira", 400, "nul_in_request"),
    ("/v1/blueprints/jiraIssue/entities/PI-1%00", 400, "nul_in_request"),
    ("/v1/blueprints/jira%00Issue", 400, "nul_in_request"),
])
def test_the_api_answers_out_of_range_numbers_and_nul_with_a_reason(client, url, status, reason):
    post_event(client, seed_payload())
    method = client.post if url.endswith("/replay") else client.get

    answer = method(url, headers=AUTH)

    assert (answer.status_code, answer.json["reason"]) == (status, reason)


def test_a_webhook_url_with_nul_is_an_unknown_webhook_and_its_query_is_stored_without_it(client):
    unknown = post_event(client, seed_payload(), webhook="ji%00ra")
    assert (unknown.status_code, unknown.json["reason"]) == (404, "unknown_webhook")
    accepted = post_event(client, seed_payload(), webhook="jira?source=a%00b")
    assert accepted.status_code == 202
    event = client.get(f"/v1/events/{accepted.json['eventId']}", headers=AUTH).json["event"]
    assert "\x00" not in json.dumps(event["query"], ensure_ascii=False)


@pytest.mark.parametrize("url, status", [
    ("/events/9223372036854775808", 404),
    (f"/events/{HUGE}/raw", 404),
    ("/events?webhook=jira%00", 400),
    ("/entities/jiraIssue/PI-1%00", 400),
    ("/entities/jiraIssue?q=%00", 400),
])
def test_ui_pages_answer_out_of_range_numbers_and_nul_with_an_error_page(client, url, status):
    log_in(client)
    answer = client.get(url)
    assert answer.status_code == status
    assert "Traceback" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("page", [HUGE, "10000000", "1" * 5000],
                         ids=["25 digits", "the largest page", "5000 digits"])
def test_a_ui_page_number_past_the_end_shows_an_empty_page(client, page):
    post_event(client, seed_payload())
    log_in(client)
    answer = client.get(f"/events?page={page}")
    assert answer.status_code == 200 and "PI-1" not in answer.get_data(as_text=True)
