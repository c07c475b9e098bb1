"""The backfill's keep-alive client against a real HTTP server on 127.0.0.1 whose connections misbehave."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import types
from datetime import UTC, datetime, timedelta

import pytest

from app.jira import retry
from app.jira.retry import GaveUp, HttpClient, RetryPolicy
from scripts.backfill.keepalive import KeepAliveClient
from scripts.backfill.poster import delivery_client
from tests.support.scripted_http import ScriptedServer


@pytest.fixture
def server():
    with ScriptedServer() as scripted:
        yield scripted


def post(client: KeepAliveClient, server: ScriptedServer, count: int = 1) -> list[int]:
    """Statuses of ``count`` posts to the server, one after the other."""
    return [client.request("POST", f"{server.url}/webhooks/jira", data=b'{"n":1}',
                           headers={"Content-Type": "application/json"}).status_code for _ in range(count)]


def client(attempts: int = 3, timeout: float = 10.0) -> KeepAliveClient:
    """A client that does not wait between attempts unless told to."""
    return KeepAliveClient(RetryPolicy(attempts=attempts, base=0.0), timeout)


def test_one_connection_carries_every_request_of_a_thread(server):
    assert post(client(), server, 5) == [202] * 5
    assert server.connections == 1
    assert [r.body for r in server.log] == [b'{"n":1}'] * 5


def test_a_new_connection_follows_each_connection_close(server):
    server.inject(3, 202, {"Connection": "close"})  # as gunicorn's sync workers answer
    assert post(client(), server, 5) == [202] * 5
    assert server.connections == 4  # three closed after their answer, the fourth kept for the last two


def test_a_connection_closed_while_idle_is_reopened_outside_the_retry_budget(server):
    server.then("close-quietly")
    assert post(client(attempts=1), server, 2) == [202, 202]
    assert server.connections == 2 and len(server.log) == 2


def test_a_connection_reset_before_the_answer_is_retried(server):
    server.then("drop")
    assert post(client(attempts=2), server) == [202]
    assert server.connections == 2


def test_resets_past_the_budget_give_up_naming_the_connection_error(server):
    server.then("drop", "drop")
    with pytest.raises(GaveUp, match=r"POST http://127\.0\.0\.1:\d+/webhooks/jira failed after 2 attempts "
                                     r"\(ConnectionError\)"):
        post(client(attempts=2), server)


def test_an_unanswered_request_times_out(server):
    server.then("stall")
    with pytest.raises(GaveUp, match=r"\(TimeoutError\)"):
        post(client(attempts=1, timeout=0.2), server)


def test_server_errors_are_retried_and_client_errors_returned(server):
    server.inject(2, 503)
    server.inject(1, 400)
    assert post(client(attempts=3), server, 2) == [400, 202]


def in_a_minute() -> str:
    """An X-RateLimit-Reset value 60 seconds from now."""
    return (datetime.now(UTC) + timedelta(seconds=60)).isoformat()


@pytest.mark.parametrize("header, value, least, most", [("Retry-After", lambda: "7", 7.0, 7.5),
                                                        ("X-RateLimit-Reset", in_a_minute, 55.0, 60.5)])
def test_the_servers_hinted_wait_is_honoured(server, monkeypatch, header, value, least, most):
    waits: list[float] = []
    monkeypatch.setattr(retry, "time", types.SimpleNamespace(sleep=waits.append))  # record instead of waiting
    server.inject(1, 429, {header: value()})
    assert post(KeepAliveClient(RetryPolicy(attempts=2, base=0.5), 10.0), server) == [202]
    assert len(waits) == 1 and least <= waits[0] <= most


def test_answers_read_as_requests_responses_do(server):
    reply = client().request("POST", f"{server.url}/webhooks/jira?x=1", data=b"{}")
    assert reply.ok and reply.json()["status"] == "applied"
    assert reply.headers["content-type"] == "application/json"
    assert server.log[0].query == {"x": "1"}


def test_endpoints_behind_a_proxy_or_with_credentials_are_posted_with_requests(monkeypatch):
    policy = RetryPolicy()
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    assert isinstance(delivery_client("http://catalog.example/webhooks/jira", policy, 5.0), HttpClient)
    assert isinstance(delivery_client("http://internal.example/webhooks/jira", policy, 5.0), KeepAliveClient)
    assert isinstance(delivery_client("http://user:pw@internal.example/webhooks/jira", policy, 5.0), HttpClient)


@pytest.fixture
def tls_server(tmp_path):
    """A ScriptedServer over TLS with a self-signed certificate for 127.0.0.1; yields it and the certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    scripted = ScriptedServer()
    scripted.httpd.socket = context.wrap_socket(scripted.httpd.socket, server_side=True)
    scripted.url = scripted.url.replace("http://", "https://")
    with scripted:
        yield scripted, cert


def test_https_checks_the_certificate_against_the_bundle_requests_would_use(tls_server, monkeypatch):
    server, cert = tls_server
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    assert post(client(), server, 3) == [202] * 3
    assert server.connections == 1
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # certifi's bundle does not know the self-signed certificate
    with pytest.raises(GaveUp, match=r"\(ConnectionError\)"):
        post(client(attempts=1), server)
