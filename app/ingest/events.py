"""The event path of a verified request: parse the body, find its delivery id and version,
translate it, record it with its effects.

Credentials never reach the event log: the headers in UNSTORED_HEADERS and the header the
configuration's security compares (`signatureHeaderName`, a plain secret or an HMAC signature) are
dropped before the event is stored, and before the mappings see the headers, so that a replay reads
what the first run read. Events stored before a header was named there are filtered when served
(`hidden_headers`) and replayed (`stored_headers`).
"""

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NoReturn

from ..catalog.statements import storable_text
from ..catalog.store import EventOutcome, IncomingEvent, Store
from ..errors import BadRequest
from ..mapping.configs import WebhookConfig
from ..mapping.translate import Failure, Translation, build_jq_input, build_jq_input_text, run_program, translate
from ..metrics import clock, observe_event, observe_events
from .versions import source_version

DELIVERY_HEADER = "x-atlassian-webhook-identifier"
# Headers that carry credentials are never written to the event log.
UNSTORED_HEADERS = {"authorization", "cookie", "proxy-authorization"}
# A body escaping a UTF-16 surrogate may hold a lone one, which jq refuses: such bodies are
# translated from their text, by jq alone, so they fail as they always did.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def credential_headers(security: dict) -> set[str]:
    """The header names of a configuration that carry credentials: UNSTORED_HEADERS and the header
    its security compares."""
    return UNSTORED_HEADERS | {security["signatureHeaderName"].lower()}


def stored_headers(security: dict, headers: Mapping[str, str]) -> dict[str, str]:
    """The request's headers, lower-cased, as the event log keeps them: without credentials."""
    unstored = credential_headers(security)
    return {k.lower(): v for k, v in headers.items() if k.lower() not in unstored}


def hidden_headers(configs: Iterable[WebhookConfig]) -> frozenset[str]:
    """Header names never served from the event log: every configuration's credential headers."""
    return frozenset().union(*(credential_headers(c.security) for c in configs), UNSTORED_HEADERS)


def body_digest(raw: bytes) -> str:
    """The SHA-256 of the raw body, which makes a body sent again under a new delivery id a duplicate."""
    return hashlib.sha256(raw).hexdigest()


def cap_entities(translation: Translation, max_entities: int) -> Translation:
    """The translation, or a failure `too_many_entities` when it changes more than `max_entities`
    (one event's changes share a transaction that concurrent deliveries wait for)."""
    if len(translation.changes) <= max_entities:
        return translation
    return Translation(failure=Failure(
        "too_many_entities", f"the mappings produced {len(translation.changes)} entities, over "
        f"MAX_ENTITIES_PER_EVENT ({max_entities}); a replay of the event applies them all"))


def explain_ignored(translation: Translation, event_type: str | None) -> Translation:
    """The translation, with why it changes nothing when it has neither changes nor a failure:
    no mapping's filter matched the event type, or the mappings that matched found no items."""
    if translation.changes or translation.failure:
        return translation
    shown = event_type if event_type is not None else "(the body has no webhookEvent)"
    if translation.matched:
        which = ", ".join(str(index) for index in translation.matched)
        why = Failure("no_items", f"mapping {which} matched {shown} but its itemsToParse gave no items")
    else:
        why = Failure("no_mapping_matched", f"no mapping's filter matched: {shown}")
    return replace(translation, ignored=why)


def reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads with an option would build a decoder for every body.
BODY_DECODER = json.JSONDecoder(parse_constant=reject_constant)


def parse_body(raw: bytes, max_depth: int) -> tuple[str, dict]:
    """The body as text and as a JSON object; BadRequest with a precise reason otherwise."""
    text = body_text(raw, max_depth)
    try:
        body = BODY_DECODER.decode(text)
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}", "invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object", "json_not_object")
    return text, body


ESCAPE = re.compile(rb"\\.", re.S)
NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))
STRING_SPAN = re.compile(rb'"[^"]*"?')  # an unterminated string runs to the end
OPENING = frozenset(b"[{")


def body_text(raw: bytes, max_depth: int) -> str:
    """The body as text, its nesting checked before it is parsed; BadRequest `invalid_utf8` or
    `json_too_deep` otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not valid UTF-8 (byte {exc.start})", "invalid_utf8") from None
    if raw.count(b"{") + raw.count(b"[") > max_depth and json_depth_exceeds(raw, max_depth):
        raise BadRequest(f"JSON nesting deeper than {max_depth}", "json_too_deep")
    return text


def json_depth_exceeds(raw: bytes, max_depth: int) -> bool:
    """Whether brackets outside strings nest deeper than `max_depth` (checked before parsing).

    The bytes are reduced in C before Python looks at any: escapes go (a backslash and the byte
    after it; in valid JSON they are only inside strings), then everything but quotes and brackets
    (UTF-8 puts no ASCII byte inside a multi-byte character), then each string with the brackets it
    holds, leaving the structure's brackets alone."""
    structure = STRING_SPAN.sub(b"", ESCAPE.sub(b"", raw).translate(None, NOT_STRUCTURE))
    depth = 0
    for byte in structure:
        depth += 1 if byte in OPENING else -1
        if depth > max_depth:
            return True
    return False


def delivery_id(config: WebhookConfig, headers: Mapping[str, str], jq_input: dict | str) -> str | None:
    """The request's unique id: the configuration's requestIdentifierPath, else Jira's header."""
    if config.request_id_program is not None:
        try:
            value = run_program(config.request_id_program, jq_input)
        except (ValueError, StopIteration):
            value = None
        return None if value is None else fit_delivery_id(str(value))
    value = headers.get(DELIVERY_HEADER)
    return fit_delivery_id(value) if value else None


def fit_delivery_id(value: str) -> str:
    """An id that fits the column: long ids are replaced by their SHA-256, never cut short
    (two ids sharing a prefix must stay distinct, or the second would pass as a duplicate)."""
    value = storable_text(value)
    if len(value) <= 255:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def visible_query(config: WebhookConfig, query: dict) -> dict:
    """Query parameters without the configuration's URL token (a secret)."""
    token_param = config.security.get("queryTokenParam")
    return {k: v for k, v in query.items() if k != token_param}


def jq_input_for(text: str, body: dict, headers: dict[str, str], query: dict[str, str],
                 jira: dict | None = None) -> dict | str:
    """The mappings' input document, built the same way for a new event and for a replay."""
    if SURROGATE_ESCAPE.search(text):
        return build_jq_input_text(text, headers, query, jira)
    return build_jq_input(body, headers, query, jira)


@dataclass(frozen=True)
class PreparedEvent:
    """A parsed request ready to translate: the event as the log keeps it, its body, and the
    mappings' input document."""

    event: IncomingEvent
    body: dict
    jq_input: dict | str


def prepare_event(config: WebhookConfig, text: str, body: dict, digest: str, headers: Mapping[str, str],
                  query: dict, jira: dict | None = None) -> PreparedEvent:
    """The event of a parsed body: credentials dropped, the mappings' document (with what the
    service knows of Jira, `jira`), the delivery id, the event type and the source version."""
    headers = stored_headers(config.security, headers)
    query = visible_query(config, query)
    jq_input = jq_input_for(text, body, headers, query, jira)
    event = IncomingEvent(
        webhook=config.identifier, body=text, query=query, headers=headers, body_digest=digest,
        delivery_id=delivery_id(config, headers, jq_input),
        event_type=storable_text(str(body.get("webhookEvent"))[:255])
        if "webhookEvent" in body else None,
        version=source_version(body))
    return PreparedEvent(event, body, jq_input)


def prepare_request(config: WebhookConfig, raw: bytes, headers: Mapping[str, str], query: dict,
                    max_depth: int, jira: dict | None = None) -> PreparedEvent:
    """The event of a verified request's raw body; BadRequest when it is not a JSON object."""
    text, body = parse_body(raw, max_depth)
    return prepare_event(config, text, body, body_digest(raw), headers, query, jira)


def translate_event(config: WebhookConfig, prepared: PreparedEvent, max_entities: int) -> tuple[Translation, float]:
    """The event's translation (capped at `max_entities`, ignored ones explained) and the seconds it took."""
    started = clock()
    translation = explain_ignored(cap_entities(translate(config, prepared.jq_input, prepared.body),
                                               max_entities), prepared.event.event_type)
    return translation, clock() - started


def process_request(store: Store, config: WebhookConfig, raw: bytes, headers: dict, query: dict,
                    max_depth: int, max_entities: int) -> EventOutcome:
    """Translate a verified request and record it with its effects; returns the EventOutcome."""
    prepared = prepare_request(config, raw, headers, query, max_depth, store.jira_context())
    translation, seconds = translate_event(config, prepared, max_entities)
    outcome = store.ingest(prepared.event, translation)
    observe_event(config.identifier, outcome.status, seconds, prepared.event.delivery_id)
    return outcome


def process_requests(store: Store, config: WebhookConfig, requests: list[tuple[bytes, dict]], max_depth: int,
                     max_entities: int) -> list[EventOutcome]:
    """Translate several verified requests (raw body, headers) and record them in one transaction, in
    order; a body that is not a JSON object within `max_depth` is not recorded and answers a failed
    outcome with its reason."""
    outcomes: list[EventOutcome | None] = []
    pending, jira = [], store.jira_context()
    for raw, headers in requests:
        try:
            prepared = prepare_request(config, raw, headers, {}, max_depth, jira)
        except BadRequest as exc:
            outcomes.append(EventOutcome(None, "failed", reason=exc.reason,
                                         detail={"reason": exc.reason, "message": exc.message}))
            continue
        pending.append((len(outcomes), prepared, *translate_event(config, prepared, max_entities)))
        outcomes.append(None)
    recorded = store.ingest_many([(prepared.event, translation) for _, prepared, translation, _ in pending]
                                 ) if pending else []
    for (index, _, _, _), outcome in zip(pending, recorded):
        outcomes[index] = outcome
    observe_events(config.identifier, [(outcome.status, seconds, prepared.event.delivery_id)
                                       for (_, prepared, _, seconds), outcome in zip(pending, recorded)])
    return outcomes


def explanation(outcome: EventOutcome) -> dict:
    """A failed or ignored event's `reason` and `message`, and a failed one's `failure` detail."""
    if not outcome.detail:
        return {}
    fields = {"reason": outcome.detail["reason"], "message": outcome.detail["message"]}
    if outcome.status == "failed":
        fields["failure"] = outcome.detail
    return fields


def outcome_answer(outcome: EventOutcome) -> dict:
    """What a delivery is answered: its event id, status, entities and, when it changed nothing, why."""
    return {"ok": True, "eventId": outcome.event_id, "status": outcome.status,
            "entities": [{k: e[k] for k in ("blueprint", "identifier", "operation", "result")}
                         for e in outcome.entities], **explanation(outcome)}
