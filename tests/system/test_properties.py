"""Hostile input at POST /webhooks/jira: random bodies, headers, query strings and pages of
events (hypothesis).

Whatever arrives, the service never answers 5xx, every refusal is the JSON error shape, nothing
unsigned changes the catalog or the event log, and a signed event that fails keeps its raw body.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import SECRET, seed_payload, sign

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])
EVENT_NAMES = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created"]
# Header values travel as latin-1 text and may not hold line breaks.
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40)
HUGE_TEXT = st.integers(1000, 60_000).map(lambda n: "x" * n)

json_scalars = (st.none() | st.booleans() | st.text(max_size=20) |
                st.integers(min_value=-2 ** 70, max_value=2 ** 70) |
                st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
odd_strings = st.sampled_from(["", " ", "PI 1", "../..", "\u0000", "\ud800", "x" * 2000, "é-1"])
odd_dates = st.sampled_from(["2023-06-16T14:51:06.116+0000", "9999-99-99", "+999999-01-01",
                             "2023-06-16T14:51:06Z", "", "now"])


def set_or_drop(target, key, value):
    """Set `target[key]`, or remove it when `value` is None."""
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


@st.composite
def mutated_seeds(draw):
    """The seed issue payload with random parts replaced, removed or made odd."""
    payload = seed_payload(webhookEvent=draw(st.sampled_from(EVENT_NAMES) | odd_strings |
                                             json_values))
    set_or_drop(payload, "timestamp", draw(st.none() | st.integers(-2 ** 70, 2 ** 70) |
                                          json_values))
    set_or_drop(payload["issue"]["fields"], "updated", draw(st.none() | odd_dates | json_values))
    if draw(st.integers(0, 3)) == 0:
        payload["issue"]["fields"] = draw(json_values | odd_strings)
    else:
        set_or_drop(payload["issue"]["fields"], "summary", draw(st.none() | json_values |
                                                                odd_strings))
    for _ in range(draw(st.integers(0, 3))):
        issue = payload.get("issue")
        target = draw(st.sampled_from([payload, issue] if isinstance(issue, dict) else [payload]))
        key = draw(st.sampled_from(sorted(target) or ["timestamp"]) | st.text(max_size=8))
        set_or_drop(target, key, draw(st.none() | json_values | odd_strings))
    return json.dumps(payload).encode("utf-8")


deep_bodies = st.sampled_from([b"{" * 5000, b'{"a":' * 70 + b"1" + b"}" * 70,
                               b"[" * 70 + b"]" * 70])
bodies = (st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode("utf-8")) |
          mutated_seeds() | deep_bodies)
content_types = st.sampled_from(["application/json", "application/json; charset=utf-8",
                                 "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/vnd.api+json",
                                 "application/json; charset=latin-1", ";;;", ""]) | HEADER_TEXT
header_names = st.sampled_from(["X-Atlassian-Webhook-Identifier", "User-Agent", "X-Forwarded-For",
                                "Authorization", "X-Custom"]) | st.from_regex(r"X-[A-Za-z]{1,12}",
                                                                              fullmatch=True)
query_strings = st.text(max_size=60) | st.sampled_from(["token=", "token=x", "token=x&token=y",
                                                        "%ff%fe=%00", "a=" + "b" * 5000])
not_signatures = st.sampled_from(["missing", "garbage", "other-body", "wrong-secret", "huge"])


@st.composite
def random_headers(draw, content_type=st.none() | content_types):
    """A few random headers, some of them huge, plus a Content-Type."""
    headers = draw(st.dictionaries(header_names, HEADER_TEXT | HUGE_TEXT, max_size=4))
    content_type = draw(content_type)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


def bad_signature(kind, body, draw):
    """A signature header value that does not prove the body was signed with the secret."""
    return {"missing": None, "garbage": draw(HEADER_TEXT), "huge": "sha256=" + "0" * 100_000,
            "other-body": sign(body + b" "), "wrong-secret": sign(body, SECRET + "x")}[kind]


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    database = tmp_path_factory.mktemp("properties") / "catalog.sqlite3"
    application = create_app({"DATABASE_URL": f"sqlite:///{database}",
                              "JIRA_WEBHOOK_SECRET": SECRET})
    yield application
    runtime_of(application).store.close()


@pytest.fixture
def hostile_client(hostile_app):
    return hostile_app.test_client()


def snapshot(client):
    """Every jiraIssue entity and the event-log size."""
    entities = client.get("/v1/blueprints/jiraIssue/entities?limit=1000").json["entities"]
    return entities, client.get("/v1/events?limit=1").json["total"]


def post(client, body, headers, query):
    return client.post("/webhooks/jira", data=body, headers=headers, query_string=query)


def assert_well_formed(response):
    """No 5xx; a refusal is JSON {"ok": false, "reason", "message"}."""
    assert response.status_code < 500, (response.status_code, response.get_data()[:500])
    if not 200 <= response.status_code < 300:
        error = response.get_json(silent=True)
        assert isinstance(error, dict), response.get_data()[:500]
        assert error["ok"] is False and error["reason"] and error["message"], error


@PROPERTY_SETTINGS
@given(data=st.data(), body=bodies, headers=random_headers(), query=query_strings,
       signature=not_signatures)
def test_unsigned_requests_change_nothing(hostile_client, data, body, headers, query, signature):
    value = bad_signature(signature, body, data.draw)
    if value is not None:
        headers["X-Hub-Signature"] = value
    before = snapshot(hostile_client)
    response = post(hostile_client, body, headers, query)
    assert_well_formed(response)
    assert response.status_code == 401, response.get_json()
    assert snapshot(hostile_client) == before


@PROPERTY_SETTINGS
@given(body=st.one_of(mutated_seeds(), mutated_seeds(), bodies), query=query_strings,
       headers=random_headers(st.sampled_from([None, "application/json"]) | content_types),
       delivery=st.none() | st.sampled_from(["same-delivery"]) | st.uuids().map(str))
def test_signed_requests_never_fail_the_server(hostile_client, body, headers, query, delivery):
    headers["X-Hub-Signature"] = sign(body)
    headers.pop("X-Atlassian-Webhook-Identifier", None)
    if delivery is not None:
        headers["X-Atlassian-Webhook-Identifier"] = delivery
    response = post(hostile_client, body, headers, query)
    assert_well_formed(response)
    if response.status_code == 202 and response.json["status"] == "failed":
        stored = hostile_client.get(f"/v1/events/{response.json['eventId']}").json["event"]
        assert stored["body"] == body.decode("utf-8") and stored["status"] == "failed"




@st.composite
def page_lines(draw):
    """A line of an application/x-ndjson page: an event, with odd headers or none, or anything else."""
    headers = draw(st.none() | st.dictionaries(header_names | st.text(max_size=8),
                                               HEADER_TEXT | json_values, max_size=3))
    event = {"body": json.loads(draw(mutated_seeds()))}
    if headers is not None:
        event["headers"] = headers
    line = draw(st.sampled_from([json.dumps(event).encode("utf-8")]) | bodies | st.just(b""))
    return line.replace(b"\n", b" ")


@PROPERTY_SETTINGS
@given(lines=st.lists(page_lines(), max_size=6), query=query_strings,
       separator=st.sampled_from([b"\n", b"\r\n"]))
def test_signed_pages_never_fail_the_server(hostile_client, lines, query, separator):
    body = separator.join(lines)
    headers = {"Content-Type": "application/x-ndjson", "X-Hub-Signature": sign(body)}
    response = post(hostile_client, body, headers, query)
    assert_well_formed(response)
    if response.status_code == 202:
        results = response.json["results"]
        assert len(results) == sum(1 for line in body.split(b"\n") if line.strip())
        assert all(r["ok"] is False and r["reason"] or r["ok"] is True and r["status"] for r in results)
