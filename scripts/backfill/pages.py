"""Pages of events in one request (`application/x-ndjson`): building the lines, cutting them into pages
the service takes (MAX_EVENTS_PER_REQUEST lines, MAX_BODY_BYTES bytes), and reading the per-line answer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from app.ingest.jira_events import encode
from app.ingest.security import sign_body

PAGE_TYPE = "application/x-ndjson"
MAX_PAGE_EVENTS = 1000  # the service's default MAX_EVENTS_PER_REQUEST
MAX_PAGE_BYTES = 5 * 1024 * 1024  # the service's default MAX_BODY_BYTES
RESEND_REASON = "too_many_entities_in_request"  # the line and every later one go again in another page


def page_line(event: dict) -> bytes:
    """One page line: the event as its body, with a delivery id of its own."""
    return encode({"headers": {"X-Atlassian-Webhook-Identifier": f"backfill-{uuid.uuid4()}"}, "body": event})


def page_headers(body: bytes, secret: str | None) -> dict:
    """Headers of one page: its content type and the signature over the whole page."""
    headers = {"Content-Type": PAGE_TYPE}
    if secret:
        headers["X-Hub-Signature"] = sign_body(secret, body)
    return headers


def cut_pages(lines: list[bytes], max_events: int, max_bytes: int = MAX_PAGE_BYTES) -> Iterator[list[int]]:
    """The lines' indexes in pages of at most ``max_events`` lines and ``max_bytes`` bytes (newlines
    included); a line larger than ``max_bytes`` goes alone, for the service to refuse."""
    page: list[int] = []
    size = 0
    for index, line in enumerate(lines):
        grown = size + len(line) + (1 if page else 0)
        if page and (len(page) >= max_events or grown > max_bytes):
            yield page
            page, grown = [], len(line)
        page.append(index)
        size = grown
    if page:
        yield page


def join_page(lines: list[bytes], page: list[int]) -> bytes:
    """The page's body: its lines, one per line."""
    return b"\n".join(lines[index] for index in page)


def page_results(body: dict, count: int) -> list[dict] | None:
    """The per-line results of a 202 page answer, or None when the answer does not hold one per line."""
    results = body.get("results")
    if not isinstance(results, list) or len(results) != count or not all(isinstance(r, dict) for r in results):
        return None
    return results
