"""A lean HTTP client for the backfill's many small posts: one persistent connection per thread.

``requests`` costs about half a millisecond of CPU per call in proxy and .netrc look-ups, adapter and
cookie handling; a backfill makes one call per event, and its CPU is taken from the service receiving them
when both share a machine. This client speaks ``http.client`` directly and keeps the retry policy of
``retry.send``.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import threading
from urllib.parse import urlsplit

from requests.certs import where as certifi_bundle

from app.jira.retry import RetryPolicy, describe, send

from .config import env_first

TRANSPORT_ERRORS = (ConnectionError, TimeoutError)


class Reply:
    """A complete answer, read off the connection: status, headers and body."""

    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: http.client.HTTPMessage, content: bytes):
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def ok(self) -> bool:
        """Whether the status is below 400, as ``requests.Response.ok``."""
        return self.status_code < 400

    def json(self):
        """The body parsed as JSON; ValueError when it is not JSON."""
        return json.loads(self.content)


def tls_context() -> ssl.SSLContext:
    """Certificate checks against the CA bundle ``requests`` would use (its variables, else certifi's)."""
    bundle = env_first("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") or certifi_bundle()
    return ssl.create_default_context(**{"capath" if os.path.isdir(bundle) else "cafile": bundle})


class KeepAliveClient:
    """Retrying requests (see ``retry.send``), each thread over its own persistent connection per origin.

    A server may close the connection after any answer (gunicorn's sync workers do after every one):
    ``http.client`` then opens a new one for the next request.
    """

    def __init__(self, policy: RetryPolicy, timeout: float):
        self.policy = policy
        self.timeout = timeout
        self._local = threading.local()
        self._tls: ssl.SSLContext | None = None

    def request(self, method: str, url: str, data: bytes = b"", headers: dict | None = None) -> Reply:
        """Send ``data`` with retries on 429/5xx, resets and timeouts; GaveUp once the budget is spent."""
        parts = urlsplit(url)
        path = parts.path or "/"
        target = f"{path}?{parts.query}" if parts.query else path
        return send(lambda: self.exchange(parts.scheme, parts.netloc, method, target, data, headers or {}),
                    self.policy, TRANSPORT_ERRORS, describe(method, url))

    def exchange(self, scheme: str, netloc: str, method: str, target: str, body: bytes, headers: dict) -> Reply:
        """One request and its answer. A kept connection may have been closed by the server while idle,
        which shows only when it is used: the request then goes once more over a new connection."""
        connection = self.connection(scheme, netloc)
        kept = connection.sock is not None
        try:
            return attempt(connection, method, target, body, headers)
        except ConnectionError:
            if not kept:
                raise
        return attempt(connection, method, target, body, headers)

    def connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        """This thread's connection to ``scheme://netloc``, created on first use (not connected yet)."""
        connections = self._local.__dict__.setdefault("connections", {})
        connection = connections.get((scheme, netloc))
        if connection is None:
            if scheme == "https":
                self._tls = self._tls or tls_context()
                connection = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self._tls)
            else:
                connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
            connections[(scheme, netloc)] = connection
        return connection


def attempt(connection: http.client.HTTPConnection, method: str, target: str, body: bytes,
            headers: dict) -> Reply:
    """Send one request and read its whole answer. On failure the connection is closed (the next request
    reconnects) and the error is a TimeoutError, or a ConnectionError naming the cause."""
    try:
        connection.request(method, target, body, headers)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    except TimeoutError:
        connection.close()
        raise
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
