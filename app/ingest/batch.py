"""Pages of events in one request: `Content-Type: application/x-ndjson`, one webhook-shaped event
per line, `{"headers": {...}, "body": {...}}` (headers optional).

The signature covers the whole page (the view verifies it before anything here runs). Each line
then becomes an event as a single delivery would: its headers (the delivery id among them) and body
form the mappings' document, it is deduplicated, versioned, translated and answered on its own, and
every event of the page is committed in one transaction. A line that is not such an object fails
alone (`invalid_line`), and lines past the page's entity budget (MAX_ENTITIES_PER_REQUEST) are sent
back unrecorded (`too_many_entities_in_request`) for another request.

A line's body is stored (and digested, for deduplication) as the text the line holds for it, byte
for byte: the same body posted alone, or in another page, is a duplicate.
"""

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from json.decoder import scanstring

from ..catalog.store import EventOutcome, Store
from ..errors import BadRequest, PayloadTooLarge
from ..mapping.configs import WebhookConfig
from ..mapping.translate import Translation
from ..metrics import observe_events
from .events import (
    BODY_DECODER,
    PreparedEvent,
    body_digest,
    body_text,
    outcome_answer,
    prepare_event,
    translate_event,
)
from .refusals import record_refusal

PAGE_TYPE = "application/x-ndjson"
LINE_FIELDS = {"headers", "body"}
SPACE = re.compile(r"[ \t\n\r]*")
SPACE_CHARS = " \t\n\r"
log = logging.getLogger("jira_catalog_bridge.batch")


@dataclass(frozen=True)
class PageLimits:
    """The settings a page is checked against."""

    max_depth: int
    max_entities_per_event: int
    max_events: int
    max_entities: int


@dataclass
class Page:
    """A processed page: one answer per line, in line order, and what the request log reports."""

    results: list[dict] = field(default_factory=list)

    def refused(self) -> Counter:
        """How many lines were not recorded, by reason."""
        return Counter(r["reason"] for r in self.results if not r["ok"])

    def log_fields(self) -> dict:
        statuses = Counter(r.get("status", r.get("reason")) for r in self.results)
        return {"page_lines": len(self.results), "page_outcomes": dict(statuses),
                "entities": sum(len(r.get("entities", ())) for r in self.results)}


def page_lines(raw: bytes, max_events: int) -> list[tuple[int, bytes]]:
    """The page's non-blank lines with their (1-based) numbers; 400 `empty_page` without any,
    413 `too_many_events` past `max_events` (counted before any is parsed)."""
    lines = []
    for number, line in enumerate(io.BytesIO(raw), 1):
        if line.strip():
            lines.append((number, line))
            if len(lines) > max_events:
                raise PayloadTooLarge(f"the page holds more than MAX_EVENTS_PER_REQUEST ({max_events}) "
                                      "events; send smaller pages", "too_many_events")
    if not lines:
        raise BadRequest("the page holds no events: send one JSON object per line", "empty_page")
    return lines


def parse_line(config: WebhookConfig, line: bytes, query: dict, max_depth: int, jira: dict) -> PreparedEvent:
    """The event one line carries; BadRequest `invalid_line` saying why it carries none."""
    try:
        text = body_text(line, max_depth + 1)
        members = object_members(text)
    except BadRequest as exc:
        raise BadRequest(exc.message.replace("body", "line", 1), "invalid_line") from None
    except ValueError as exc:
        raise BadRequest(f"line is not a valid JSON object: {exc}", "invalid_line") from None
    if set(members) - LINE_FIELDS:
        unknown = ", ".join(sorted(set(members) - LINE_FIELDS))
        raise BadRequest(f"unknown field(s) {unknown}: a line holds headers and body", "invalid_line")
    body, start, end = members.get("body", (None, 0, 0))
    headers = members.get("headers", ({},))[0]
    if not isinstance(body, dict):
        raise BadRequest("the line has no body object", "invalid_line")
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise BadRequest("the line's headers must be an object of strings", "invalid_line")
    raw_body = text[start:end]
    return prepare_event(config, raw_body, body, body_digest(raw_body.encode("utf-8")), headers, query, jira)


def object_members(text: str) -> dict[str, tuple[object, int, int]]:
    """The members of the JSON object `text`: each key with its parsed value and where the value's
    text starts and ends, so that a line's body is kept as the bytes the sender signed. ValueError
    when `text` is not one JSON object (a key given twice keeps its last value, as json.loads does)."""
    pos = skip_space(text, 0)
    if text[pos:pos + 1] != "{":
        raise ValueError("the line is not a JSON object")
    pos, members = skip_space(text, pos + 1), {}
    while text[pos:pos + 1] != "}" or members:
        if text[pos:pos + 1] != '"':
            raise ValueError(f"expected a key at char {pos}")
        key, pos = scanstring(text, pos + 1)
        pos = skip_space(text, pos)
        if text[pos:pos + 1] != ":":
            raise ValueError(f"expected ':' at char {pos}")
        start = skip_space(text, pos + 1)
        value, end = BODY_DECODER.raw_decode(text, start)
        members[key] = (value, start, end)
        pos = skip_space(text, end)
        if text[pos:pos + 1] != ",":
            break
        pos = skip_space(text, pos + 1)
    if text[pos:pos + 1] != "}" or skip_space(text, pos + 1) != len(text):
        raise ValueError(f"expected '}}' at char {pos} and nothing after it")
    return members


def skip_space(text: str, pos: int) -> int:
    """The position of the first character at or after `pos` that is not JSON whitespace."""
    if pos < len(text) and text[pos] not in SPACE_CHARS:
        return pos  # compact JSON, the common case, without a regex match
    return SPACE.match(text, pos).end()


def refusal(number: int, reason: str, message: str) -> dict:
    return {"line": number, "ok": False, "reason": reason, "message": message}


def process_page(store: Store, config: WebhookConfig, raw: bytes, query: dict, limits: PageLimits) -> Page:
    """Translate every line of a verified page and record its events in one transaction."""
    page, answers = Page(), {}
    pending = admit_lines(config, page_lines(raw, limits.max_events), query, limits, answers,
                          store.jira_context())
    outcomes = record_events(store, pending)
    for (number, _, _, _), outcome in zip(pending, outcomes):
        answers[number] = {"line": number, **outcome_answer(outcome)}
    observe_events(config.identifier, [(outcome.status, seconds, prepared.event.delivery_id)
                                       for (_, prepared, _, seconds), outcome in zip(pending, outcomes)])
    page.results = [answers[number] for number in sorted(answers)]
    count_refused(store, config, page)
    return page


def admit_lines(config: WebhookConfig, lines: list[tuple[int, bytes]], query: dict, limits: PageLimits,
                answers: dict[int, dict], jira: dict) -> list[tuple[int, PreparedEvent, Translation, float]]:
    """The lines to record, each with its event, translation and translation time, within the
    page's entity budget; the answers of the others go into `answers`."""
    pending, budget = [], limits.max_entities
    for number, line in lines:
        try:
            prepared = parse_line(config, line, query, limits.max_depth, jira)
        except BadRequest as exc:
            answers[number] = refusal(number, exc.reason, exc.message)
            continue
        translation, seconds = translate_event(config, prepared, limits.max_entities_per_event)
        if len(translation.changes) > budget and pending:
            # Every later line waits too, so that a sender resending the rest keeps the page's order.
            budget = -1
            answers[number] = refusal(number, "too_many_entities_in_request", (
                f"the page's events change more than MAX_ENTITIES_PER_REQUEST ({limits.max_entities}) "
                "entities from this line on; this line was not recorded: send it again in another request"))
            continue
        budget -= len(translation.changes)
        pending.append((number, prepared, translation, seconds))
    return pending


def record_events(store: Store, pending: list[tuple[int, PreparedEvent, Translation, float]]) -> list[EventOutcome]:
    """The outcomes of the page's events, all committed together."""
    if not pending:
        return []
    return store.ingest_many([(prepared.event, translation) for _, prepared, translation, _ in pending])


def count_refused(store: Store, config: WebhookConfig, page: Page) -> None:
    """Count and log the page's refused lines, one log line per page."""
    for reason, count in page.refused().items():
        record_refusal(store, config, reason, count)
    failed = [r for r in page.results if not r["ok"]]
    if failed:
        first = failed[0]
        log.warning("page to %r: %d of %d lines refused (line %d: %s: %s)", config.identifier,
                    len(failed), len(page.results), first["line"], first["reason"], first["message"])
