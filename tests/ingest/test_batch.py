"""Pages of events in one request (application/x-ndjson), on SQLite and PostgreSQL: per-line
answers, bad lines, duplicates, newest wins, the signature over the page, limits, one transaction."""

import json

import pytest
import sqlalchemy as sa

from app.runtime import runtime_of
from tests.support.helpers import (
    issue,
    page_body,
    page_line,
    post_event,
    post_page,
    samples,
    seed_payload,
    sign,
)


def event_count(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events")).scalar()


def entity(client, key):
    answer = client.get(f"/v1/blueprints/jiraIssue/entities/{key}")
    return answer.json["entity"] if answer.status_code == 200 else None


def statuses(response):
    return [(r["line"], r.get("status", r.get("reason"))) for r in response.json["results"]]


def refusal_counts(app):
    from app.ingest.refusals import list_refusals
    state = runtime_of(app)
    return {r["reason"]: r["count"] for r in list_refusals(state.store, state.configs)}


def test_each_line_is_recorded_and_answered_like_a_single_delivery(client, engine):
    response = post_page(client, [page_line(issue("PI-1", "one"), "d-1"),
                                  page_line(issue("PI-2", "two"), "d-2"),
                                  page_line({"webhookEvent": "sprint_started"}, "d-3")])

    assert response.status_code == 202, response.get_json()
    results = response.json["results"]
    assert statuses(response) == [(1, "applied"), (2, "applied"), (3, "ignored")]
    assert results[0]["entities"] == [{"blueprint": "jiraIssue", "identifier": "PI-1",
                                       "operation": "upsert", "result": "applied"}]
    assert results[2]["reason"] == "no_mapping_matched"
    assert entity(client, "PI-2")["properties"]["summary"] == "two"
    stored = client.get(f"/v1/events/{results[1]['eventId']}").json["event"]
    assert stored["deliveryId"] == "d-2"
    assert json.loads(stored["body"]) == issue("PI-2", "two")
    assert event_count(engine) == 3


def test_a_page_event_answers_as_the_same_event_posted_alone(client, app):
    single = post_event(client, issue("PI-1", "alone"), delivery_id="alone")
    paged = post_page(client, [page_line(issue("PI-2", "alone"), "paged")]).json["results"][0]
    assert {k: v for k, v in paged.items() if k not in ("line", "eventId", "entities")} == {
        k: v for k, v in single.json.items() if k not in ("eventId", "entities")}
    counted = samples(client.get("/metrics").get_data(as_text=True))
    assert counted[("bridge_events_total", (("status", "applied"), ("webhook", "jira")))] >= 2


BAD_LINES = {
    "not JSON": b'{"body": ',
    "an array": b'[1, 2]',
    "no body": b'{"headers": {}}',
    "a body that is not an object": b'{"body": [1]}',
    "headers that are not strings": b'{"headers": {"x": 1}, "body": {}}',
    "an unknown field": b'{"body": {}, "extra": 1}',
    "a trailing comma": b'{"body": {},}',
    "data after the object": b'{"body": {}} {}',
    "a key that is not a string": b'{body: {}}',
    "an empty object": b'{}',
    "nested too deep": b'{"body": ' + b'[' * 100 + b']' * 100 + b'}',
    "not UTF-8": b'{"body": {"a": "\xff"}}',
    "a NaN": b'{"body": {"a": NaN}}',
}


@pytest.mark.parametrize("name", sorted(BAD_LINES))
def test_a_bad_line_fails_alone(client, app, name):
    response = post_page(client, [issue("PI-1"), BAD_LINES[name], issue("PI-2")])

    assert response.status_code == 202, response.get_json()
    assert statuses(response) == [(1, "applied"), (2, "invalid_line"), (3, "applied")]
    assert response.json["results"][1]["ok"] is False and response.json["results"][1]["message"]
    assert entity(client, "PI-2") is not None
    assert refusal_counts(app) == {"invalid_line": 1}


def test_blank_lines_are_skipped_and_lines_keep_their_numbers(client):
    body = b"\n" + page_line(issue("PI-1")) + b"\r\n  \n" + page_line(issue("PI-2"))
    assert statuses(post_page(client, body)) == [(2, "applied"), (4, "applied")]


def test_duplicates_within_a_page_and_across_pages(client, engine):
    lines = [page_line(issue("PI-1", "first"), "d-1"), page_line(issue("PI-2"), "d-1"),
             page_line(issue("PI-1", "first"), "d-other")]
    first = post_page(client, lines)

    assert statuses(first) == [(1, "applied"), (2, "duplicate"), (3, "duplicate")]
    original = first.json["results"][0]
    assert first.json["results"][1]["eventId"] == original["eventId"]
    assert first.json["results"][2]["entities"] == original["entities"]
    assert entity(client, "PI-2") is None
    again = post_page(client, lines)
    assert statuses(again) == [(1, "duplicate"), (2, "duplicate"), (3, "duplicate")]
    assert event_count(engine) == 1


def test_a_body_posted_alone_is_a_duplicate_in_a_page_byte_for_byte(client):
    body = json.dumps(issue("PI-1", "Grüße"), ensure_ascii=False).encode()
    single = post_event(client, body, delivery_id="single")
    same = b'{"headers": {"X-Atlassian-Webhook-Identifier": "paged"},\t"body" : ' + body + b" }"
    respaced = page_line(issue("PI-1", "Grüße"), "respaced")
    results = post_page(client, [same, respaced]).json["results"]
    assert (results[0]["status"], results[0]["eventId"]) == ("duplicate", single.json["eventId"])
    assert results[1]["status"] == "applied"
    stored = client.get(f"/v1/events/{results[1]['eventId']}").json["event"]["body"]
    assert stored == json.dumps(issue("PI-1", "Grüße"))


@pytest.mark.parametrize("older_first", [True, False])
def test_the_newest_of_two_versions_in_one_page_wins(client, older_first):
    older, newer = issue("PI-1", "older", timestamp=1000), issue("PI-1", "newer", timestamp=2000)
    lines = [older, newer] if older_first else [newer, older]
    response = post_page(client, lines)

    assert statuses(response) == ([(1, "applied"), (2, "applied")] if older_first
                                  else [(1, "applied"), (2, "stale")])
    assert entity(client, "PI-1")["properties"]["summary"] == "newer"


def test_the_signature_covers_the_whole_page(client, app, engine):
    body = page_body([issue("PI-1"), issue("PI-2")])
    tampered = body.replace(b'"PI-2"', b'"PI-9"')
    response = client.post("/webhooks/jira", data=tampered, headers={
        "Content-Type": "application/x-ndjson", "X-Hub-Signature": sign(body)})

    assert response.status_code == 401 and response.json["reason"] == "invalid_signature"
    assert event_count(engine) == 0
    unsigned = client.post("/webhooks/jira", data=body, headers={"Content-Type": "application/x-ndjson"})
    assert unsigned.status_code == 401 and unsigned.json["reason"] == "missing_signature"
    assert post_page(client, body, secret="wrong").status_code == 401
    assert refusal_counts(app) == {"invalid_signature": 2, "missing_signature": 1}


def test_a_page_without_events_is_400(client, app):
    for body in (b"", b"\n \r\n"):
        response = post_page(client, body)
        assert response.status_code == 400 and response.json["reason"] == "empty_page"
    assert refusal_counts(app) == {"empty_page": 2}


FAIL_ON = {
    "sqlite": ["CREATE TRIGGER boom BEFORE INSERT ON entities WHEN NEW.identifier = 'BOOM' "
               "BEGIN SELECT RAISE(ABORT, 'boom'); END"],
    "postgresql": ["CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.identifier = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$",
                   "CREATE TRIGGER boom BEFORE INSERT ON entities FOR EACH ROW EXECUTE FUNCTION boom()"],
}
# Checked only when the transaction commits: the commit itself fails.
FAIL_AT_COMMIT = {
    "sqlite": ["CREATE TABLE late_parent (id TEXT PRIMARY KEY)",
               "CREATE TABLE late_child (ref TEXT REFERENCES late_parent (id) DEFERRABLE INITIALLY DEFERRED)",
               "CREATE TRIGGER boom AFTER INSERT ON entities WHEN NEW.identifier = 'BOOM' "
               "BEGIN INSERT INTO late_child VALUES ('missing'); END"],
    "postgresql": ["CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.identifier = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$",
                   "CREATE CONSTRAINT TRIGGER boom AFTER INSERT ON entities DEFERRABLE INITIALLY DEFERRED "
                   "FOR EACH ROW EXECUTE FUNCTION boom()"],
}


@pytest.mark.parametrize("failing", [FAIL_ON, FAIL_AT_COMMIT], ids=["statement", "commit"])
def test_a_page_the_database_fails_to_commit_stores_nothing(client, engine, failing):
    with engine.begin() as conn:
        for statement in failing[engine.dialect.name]:
            conn.execute(sa.text(statement))
    response = post_page(client, [issue("PI-1"), issue("PI-2"), issue("BOOM"), issue("PI-4")])

    assert response.status_code == 500 and response.json["reason"] == "internal_error"
    assert event_count(engine) == 0 and entity(client, "PI-1") is None
    # The store's kept connection was rolled back: the next page commits.
    assert statuses(post_page(client, [issue("PI-1")])) == [(1, "applied")]
    assert event_count(engine) == 1


def test_a_single_delivery_beside_a_failing_page_commits(app, client, engine):
    with engine.begin() as conn:
        for statement in FAIL_AT_COMMIT[engine.dialect.name]:
            conn.execute(sa.text(statement))
    store = runtime_of(app).store
    from tests.support.helpers import run_in_threads
    answers = []

    def deliver():
        answers.append(post_page(app.test_client(), [issue("BOOM")]).status_code)
        answers.append(post_event(app.test_client(), seed_payload()).status_code)

    run_in_threads(deliver, 4)
    assert sorted(answers) == [202] * 4 + [500] * 4
    assert event_count(store.engine) == 1
