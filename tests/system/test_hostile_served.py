"""Hostile requests to the Procfile's web process under real gunicorn: label sets of /metrics stay
closed, and chunked bodies meet MAX_BODY_BYTES like announced ones."""

import http.client
import json
import random
import string
from urllib.parse import urlsplit

import pytest
import requests

from app.metrics import METHODS
from tests.support.helpers import samples, seed_payload, signed_headers
from tests.support.served import procfile_web
from tests.support.ui_helpers import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 8000


@pytest.fixture
def served(tmp_path):
    """gunicorn with a read token and a small MAX_BODY_BYTES; yields its base URL."""
    with procfile_web(f"sqlite:///{tmp_path}/served.db", 2, tmp_path / "served.log",
                      CATALOG_API_TOKEN=TOKEN, MAX_BODY_BYTES=str(MAX_BODY)) as server:
        yield server.base


def label_values(exposition, label):
    return {dict(labels)[label] for (name, labels) in samples(exposition)
            if name.startswith("bridge_request_seconds") and label in dict(labels)}


def test_odd_methods_and_unknown_paths_add_no_metric_series(served):
    pick = random.Random(7)
    for number in range(60):
        method = "".join(pick.choices(string.ascii_uppercase, k=12))
        path = f"/nowhere-{number}" if number % 2 else "/healthz"
        requests.request(method, served + path, headers=AUTH, timeout=10)
    requests.get(served + f"/v1/events/{'9' * 25}", headers=AUTH, timeout=10)
    requests.post(served + "/webhooks/unknown-webhook", data=b"{}", timeout=10)

    exposition = requests.get(served + "/metrics", headers=AUTH, timeout=10).text

    assert label_values(exposition, "method") <= METHODS | {"OTHER"}
    assert "/nowhere" not in exposition and "unknown-webhook" not in exposition
    counts = samples(exposition)
    assert sum(value for (name, labels), value in counts.items()
               if name == "bridge_request_seconds_count" and dict(labels)["method"] == "OTHER") == 60


def post_chunked(base, body, headers, chunk=1000):
    """POST `body` with Transfer-Encoding: chunked (no Content-Length); (status, JSON answer)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("POST", "/webhooks/jira", headers=headers, encode_chunked=True,
                     body=(body[i:i + chunk] for i in range(0, len(body), chunk)))
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def padded_body(size):
    """A signed-able seed payload padded to exactly `size` bytes."""
    payload = seed_payload(padding="")
    payload["padding"] = "x" * (size - len(json.dumps(payload).encode()))
    body = json.dumps(payload).encode()
    assert len(body) == size
    return body


def test_a_chunked_body_over_the_limit_is_refused_as_too_large(served):
    body = padded_body(MAX_BODY * 3)
    status, answer = post_chunked(served, body, signed_headers(body))
    assert (status, answer["reason"]) == (413, "body_too_large")
    assert requests.get(served + "/v1/events", headers=AUTH, timeout=10).json()["total"] == 0


@pytest.mark.parametrize("size, status", [(MAX_BODY, 202), (MAX_BODY + 1, 413)])
def test_a_chunked_body_is_accepted_up_to_the_limit_exactly(served, size, status):
    body = padded_body(size)
    assert post_chunked(served, body, signed_headers(body))[0] == status
