"""Delivering events to the webhook endpoint, in pages of events or one request each, and the worker pool
that does it concurrently."""

from __future__ import annotations

import queue
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from app.ingest.jira_events import delivery_headers, encode
from app.jira.retry import GaveUp, HttpClient, RetryPolicy

from .config import ConfigError
from .keepalive import KeepAliveClient
from .pages import MAX_PAGE_BYTES, RESEND_REASON, cut_pages, join_page, page_headers, page_line, page_results

SECRET_HINT = ("check --secret (env JIRA_WEBHOOK_SECRET): it must be the secret the service checks "
               "(its JIRA_WEBHOOK_SECRET)")
FATAL_HINTS = {
    "invalid_signature": SECRET_HINT,
    "missing_signature": "no --secret was given: pass --secret or set JIRA_WEBHOOK_SECRET to the service's secret",
    "invalid_token": "the ?token= in --endpoint (env PORT_URL) is not the service's JIRA_WEBHOOK_TOKEN",
    "webhook_secret_not_configured": "the service has no secret for this webhook: set it on the service",
    "unknown_webhook": "check the webhook path in --endpoint (env PORT_URL): /webhooks/<configuration>, "
                       "e.g. /webhooks/jira or /webhooks/jira-catalog",
}
STATUS_HINTS = {401: SECRET_HINT, 403: "the endpoint refused access: check --endpoint (env PORT_URL)",
                404: "nothing answers at this path: check --endpoint (env PORT_URL), whose path ends in "
                     "/webhooks/<configuration>"}


@dataclass
class Outcome:
    """What the endpoint did with one event: its ``status`` and the entities it touched; ``gave_up`` when
    no answer came through the whole retry budget."""

    status: str
    entities: list = field(default_factory=list)
    message: str = ""
    gave_up: bool = False


def answer_body(response) -> dict:
    """The endpoint's JSON answer, empty when it is not JSON."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def failure_text(body: dict) -> str:
    """Why the service failed or ignored an event: its ``failure`` detail (reason, message, field), else
    the answer's own ``reason`` and ``message``."""
    detail = body.get("failure") if isinstance(body.get("failure"), dict) else body
    reason, message, where = detail.get("reason"), detail.get("message"), detail.get("field")
    text = ": ".join(str(part) for part in (reason, message) if part)
    return f"{text} ({where})" if where else text


def read_outcome(response) -> Outcome:
    """An Outcome from the endpoint's JSON answer (202 ``status``, or an error's ``reason``/``message``)."""
    body = answer_body(response)
    if response.ok:
        return Outcome(body.get("status", "applied"), body.get("entities") or [], failure_text(body))
    return Outcome("failed", [], failure_text(body) or f"HTTP {response.status_code}")


def line_outcome(result: dict) -> Outcome:
    """An Outcome from one line's result: a recorded line reads as a single delivery's answer, a line
    the service did not take (``invalid_line``) as failed."""
    if result.get("ok") is False:
        return Outcome("failed", [], failure_text(result) or "the line was not recorded")
    return Outcome(result.get("status", "applied"), result.get("entities") or [], failure_text(result))


def refusal(response) -> str:
    """The message of a run-stopping 401/403/404: the status, the service's reason and message, and
    which flag to fix."""
    body = answer_body(response)
    hint = FATAL_HINTS.get(body.get("reason")) or STATUS_HINTS[response.status_code]
    said = failure_text(body)
    return f"the endpoint refused the delivery: HTTP {response.status_code}{' ' + said if said else ''}; {hint}"


def delivery_client(endpoint: str, policy: RetryPolicy, timeout: float) -> KeepAliveClient | HttpClient:
    """The lean keep-alive client, unless the endpoint URL carries credentials or the environment sends it
    through a proxy: only ``requests`` handles those."""
    if urlsplit(endpoint).username is not None or requests.utils.get_environ_proxies(endpoint):
        return HttpClient(policy, timeout)
    return KeepAliveClient(policy, timeout)


class Poster:
    """Signs and posts events to the endpoint, retrying throttling and server errors.

    Every body carries the run's id (``backfillRun``): the service answers a body it has already
    recorded as a duplicate, and a later run must still re-apply what it selects again (an issue
    pruned since, for one)."""

    def __init__(self, endpoint: str, secret: str | None, policy: RetryPolicy, timeout: float,
                 page_events: int = 100, single: bool = False):
        self.endpoint = endpoint
        self.secret = secret
        self.http = delivery_client(endpoint, policy, timeout)
        self.run_id = str(uuid.uuid4())
        self.page_events = page_events
        self.single = single

    def stamp(self, event: dict) -> dict:
        """The event with the run's id."""
        return {**event, "backfillRun": self.run_id}

    def post(self, event: dict) -> Outcome:
        """Deliver one event; a 401/403/404 aborts the whole run since every other event would fail too."""
        body = encode(self.stamp(event))
        response = self.send(body, delivery_headers(body, self.secret))
        return response if isinstance(response, Outcome) else read_outcome(response)

    def send(self, body: bytes, headers: dict):
        """POST ``body``: the response, or a given-up Outcome; a 401/403/404 raises ConfigError."""
        try:
            response = self.http.request("POST", self.endpoint, data=body, headers=headers)
        except GaveUp as exc:
            return Outcome("failed", [], str(exc), gave_up=True)
        if response.status_code in STATUS_HINTS:
            raise ConfigError(refusal(response))
        return response

    def post_many(self, events: list[dict]) -> list[Outcome]:
        """Deliver ``events`` in pages of ``page_events`` (within the service's byte limit); one Outcome per
        event, in order. A service that answers 415 to a page gets one request per event from then on."""
        if self.single:
            return [self.post(event) for event in events]
        lines = [page_line(self.stamp(event)) for event in events]
        outcomes: list[Outcome | None] = [None] * len(events)
        pending = deque(cut_pages(lines, self.page_events, MAX_PAGE_BYTES))
        while pending:
            page = pending.popleft()
            if self.single:
                outcomes[page[0]:] = [self.post(events[index]) for index in range(page[0], len(events))]
                break
            pending.extendleft(reversed(self.post_page(lines, page, outcomes)))
        return outcomes

    def post_page(self, lines: list[bytes], page: list[int], outcomes: list) -> list[list[int]]:
        """Post one page, filling ``outcomes`` for its lines; returns the pages to send next (the halves
        of a page refused as too large, the lines sent back past the entity budget)."""
        body = join_page(lines, page)
        response = self.send(body, page_headers(body, self.secret))
        if isinstance(response, Outcome):
            outcomes[page[0]:page[-1] + 1] = [response] * len(page)
            return []
        if response.status_code == 415:
            self.single = True
            return [page]
        if response.status_code == 413 and len(page) > 1:
            middle = len(page) // 2
            return [page[:middle], page[middle:]]
        results = page_results(answer_body(response), len(page)) if response.ok else None
        if results is None:
            failed = read_outcome(response) if not response.ok else Outcome(
                "failed", [], f"HTTP {response.status_code}: the answer has no result per line")
            outcomes[page[0]:page[-1] + 1] = [failed] * len(page)
            return []
        for position, (index, result) in enumerate(zip(page, results)):
            if result.get("reason") == RESEND_REASON and position > 0:
                return [page[position:]]
            outcomes[index] = line_outcome(result)
        return []


class WorkerPool:
    """Runs ``handle`` on queued work items in ``size`` threads; the queue is bounded so a fast
    producer waits for the workers instead of holding everything in memory."""

    def __init__(self, handle: Callable[[object], None], size: int):
        self.handle = handle
        self.queue: queue.Queue = queue.Queue(maxsize=size)
        self.error: BaseException | None = None
        self.discarding = False
        self.threads = [threading.Thread(target=self.work, name=f"poster-{n}", daemon=True) for n in range(size)]
        for thread in self.threads:
            thread.start()

    def work(self) -> None:
        """Worker loop: handle items until the stop marker; after an error or ``discard``, drain
        without handling."""
        while (item := self.queue.get()) is not None:
            if self.error is None and not self.discarding:
                try:
                    self.handle(item)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the producer's thread
                    self.error = exc

    def put(self, item) -> None:
        """Queue an item, raising a worker's error here so the producer stops fetching."""
        while True:
            self.raise_error()
            try:
                self.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def raise_error(self) -> None:
        """Re-raise the first error a worker hit."""
        if self.error is not None:
            raise self.error

    def discard(self) -> None:
        """Drop the queued items; those being handled finish (an interrupted run stops soon)."""
        self.discarding = True

    def close(self) -> None:
        """Let the workers finish what is queued, then stop them."""
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        self.raise_error()
