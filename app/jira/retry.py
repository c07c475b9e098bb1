"""HTTP requests with retries: exponential backoff with jitter, honouring the server's own hints
(`Retry-After`, `X-RateLimit-Reset`, and Jira Cloud's `RateLimit-Reason`), through an optional
``Pace`` that lowers the requests in flight as Jira nears its limit.

Standard library and requests only, so the backfill script uses it without loading the web app."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import requests

from ..errors import BridgeError
from .pace import Pace

RETRY_STATUSES = frozenset({408, 425, 429})  # besides every 5xx
MAX_HINTED_WAIT = 600.0
# Jira Cloud's RateLimit-Reason for a spent quota (jira-quota-global-based, jira-quota-tenant-based):
# unlike a burst limit it lasts until the quota's period ends, so a wait longer than we would sleep
# ends the request at once.
QUOTA_REASON_PREFIX = "jira-quota"
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout)


class GaveUp(BridgeError):
    """A request still failed after the whole retry budget."""

    status = 502
    reason = "gave_up"


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a request gets and how long to wait between them."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential delay before retry number ``attempt`` (1-based)."""
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


class Response(Protocol):
    """What the retry loop reads of an answer (a ``requests.Response`` or a keep-alive ``Reply``)."""

    status_code: int
    headers: Mapping[str, str]


def parse_hinted_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait, from Retry-After or X-RateLimit-Reset, if it said."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return min(MAX_HINTED_WAIT, max(0.0, float(retry_after)))
        except ValueError:
            pass
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return min(MAX_HINTED_WAIT, max(0.0, (when - datetime.now(UTC)).total_seconds()))
    return None


def describe_status(response: Response) -> str:
    """A response's status for a failure message, with Jira's RateLimit-Reason when it gave one."""
    reason = response.headers.get("RateLimit-Reason")
    return f"HTTP {response.status_code}" + (f" {reason}" if reason else "")


def quota_spent(response: Response, wait: float | None) -> bool:
    """Whether Jira says a quota is spent for longer than any wait we would make."""
    reason = response.headers.get("RateLimit-Reason") or ""
    return reason.startswith(QUOTA_REASON_PREFIX) and (wait is None or wait >= MAX_HINTED_WAIT)


def is_retryable(response: Response) -> bool:
    """Whether a response says "try again later" (rate limited or a server-side failure)."""
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


def send(attempt: Callable[[], Response], policy: RetryPolicy, errors: tuple, what: str) -> Response:
    """``attempt()``'s first non-retryable response, retrying on 429/5xx and the transport ``errors``.

    Raises GaveUp when the budget is spent; its message names ``what`` and the last status or error type,
    never credentials.
    """
    last = "no attempt"
    for number in range(1, policy.attempts + 1):
        wait = None
        try:
            response = attempt()
        except errors as exc:
            last = type(exc).__name__
        else:
            if not is_retryable(response):
                return response
            last = describe_status(response)
            wait = parse_hinted_wait(response.headers)
            if quota_spent(response, wait):
                raise GaveUp(f"{what} failed: Jira's quota is spent ({last}); try again later")
        if number < policy.attempts:
            # The server's hint wins, plus a little jitter so parallel workers do not return in lockstep.
            time.sleep(wait + random.uniform(0, policy.base) if wait is not None else policy.backoff(number))
    raise GaveUp(f"{what} failed after {policy.attempts} attempts ({last})")


def describe(method: str, url: str) -> str:
    """How a failed request is named: its method and URL without the query string."""
    return f"{method} {url.split('?', 1)[0]}"


class HttpClient:
    """Retrying HTTP calls with one pooled ``requests.Session`` per thread (sessions are not thread-safe)."""

    def __init__(self, policy: RetryPolicy, timeout: float, headers: dict | None = None, auth=None,
                 pace: Pace | None = None):
        self.policy = policy
        self.pace = pace
        self.timeout = timeout
        self.headers = headers or {}
        self.auth = auth
        self._local = threading.local()

    def session(self) -> requests.Session:
        """This thread's session, created on first use."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self.headers)
            session.auth = self.auth
            self._local.session = session
        return session

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        """Send with retries (see ``send``) using this thread's session."""
        kwargs.setdefault("timeout", self.timeout)
        return send(lambda: self.attempt(method, url, kwargs), self.policy, TRANSPORT_ERRORS, describe(method, url))

    def attempt(self, method: str, url: str, kwargs: dict) -> requests.Response:
        """One try, through the pace's gate when there is one (retry waits stay outside it)."""
        if self.pace is None:
            return self.session().request(method, url, **kwargs)
        with self.pace:
            response = self.session().request(method, url, **kwargs)
            self.pace.observe(response)
            return response
