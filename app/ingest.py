"""The domain path of an event: parse, translate, record; shared by webhooks and replay."""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from .errors import BadRequest, NotFound
from .metrics import clock, observe_event
from .store import IncomingEvent, storable_text
from .translate import build_jq_input, build_jq_input_text, run_program, translate

DELIVERY_HEADER = "x-atlassian-webhook-identifier"
# Headers that carry credentials are never written to the event log.
UNSTORED_HEADERS = {"authorization", "cookie", "proxy-authorization"}
# Versions are stored as signed 64-bit integers; a timestamp outside that range is no version.
VERSION_RANGE = range(-2 ** 63, 2 ** 63)
# A body escaping a UTF-16 surrogate may hold a lone one, which jq refuses: such bodies are
# translated from their text, by jq alone, so they fail as they always did.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class Runtime:
    """What the app loaded at startup: settings, blueprints, webhook configurations, store."""

    settings: object
    blueprints: dict
    configs: dict
    store: object

    def webhook(self, identifier):
        """The enabled configuration served at /webhooks/<identifier>."""
        config = self.configs.get(identifier)
        if config is None or not config.enabled:
            raise NotFound(f"no enabled webhook configuration {identifier!r}", "unknown_webhook")
        return config

    def blueprint(self, identifier):
        """The loaded blueprint with that identifier."""
        blueprint = self.blueprints.get(identifier)
        if blueprint is None:
            raise NotFound(f"no blueprint {identifier!r}", "unknown_blueprint")
        return blueprint


def reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads with an option would build a decoder for every body.
BODY_DECODER = json.JSONDecoder(parse_constant=reject_constant)


def parse_body(raw, max_depth):
    """The body as text and as a JSON object; BadRequest with a precise reason otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not valid UTF-8 (byte {exc.start})", "invalid_utf8") from None
    if raw.count(b"{") + raw.count(b"[") > max_depth and json_depth_exceeds(text, max_depth):
        raise BadRequest(f"JSON nesting deeper than {max_depth}", "json_too_deep")
    try:
        body = BODY_DECODER.decode(text)
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}", "invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object", "json_not_object")
    return text, body


def json_depth_exceeds(text, max_depth):
    """Whether brackets outside strings nest deeper than `max_depth` (checked before parsing)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False


def source_version(body):
    """The event's source version in epoch ms: its `timestamp`, else the issue's `updated`."""
    stamp = body.get("timestamp")
    if isinstance(stamp, int) and not isinstance(stamp, bool) and stamp in VERSION_RANGE:
        return stamp
    issue = body.get("issue")
    fields = issue.get("fields") if isinstance(issue, dict) else None
    updated = fields.get("updated") if isinstance(fields, dict) else None
    return parse_jira_time(updated) if isinstance(updated, str) else None


def parse_jira_time(value):
    """Jira's `2023-06-16T14:51:06.116+0000` (or ISO 8601) as epoch ms; None when unreadable."""
    try:
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)
    except ValueError:
        pass
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def delivery_id(config, headers, jq_input):
    """The request's unique id: the configuration's requestIdentifierPath, else Jira's header."""
    if config.request_id_program is not None:
        try:
            value = run_program(config.request_id_program, jq_input)
        except (ValueError, StopIteration):
            value = None
        return None if value is None else fit_delivery_id(str(value))
    value = headers.get(DELIVERY_HEADER)
    return fit_delivery_id(value) if value else None


def fit_delivery_id(value):
    """An id that fits the column: long ids are replaced by their SHA-256, never cut short
    (two ids sharing a prefix must stay distinct, or the second would pass as a duplicate)."""
    value = storable_text(value)
    if len(value) <= 255:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def visible_query(config, query):
    """Query parameters without the configuration's URL token (a secret)."""
    token_param = config.security.get("queryTokenParam")
    return {k: v for k, v in query.items() if k != token_param}


def jq_input_for(text, body, headers, query):
    """The mappings' input document, built the same way for a new event and for a replay."""
    if SURROGATE_ESCAPE.search(text):
        return build_jq_input_text(text, headers, query)
    return build_jq_input(body, headers, query)


def process_request(runtime, config, raw, headers, query):
    """Translate a verified request and record it with its effects; returns the EventOutcome."""
    text, body = parse_body(raw, runtime.settings.MAX_JSON_DEPTH)
    headers = {k.lower(): v for k, v in headers.items()}
    query = visible_query(config, query)
    jq_input = jq_input_for(text, body, headers, query)
    event = IncomingEvent(
        webhook=config.identifier, body=text, query=query,
        headers={k: v for k, v in headers.items() if k not in UNSTORED_HEADERS},
        delivery_id=delivery_id(config, headers, jq_input),
        event_type=storable_text(str(body.get("webhookEvent"))[:255])
        if "webhookEvent" in body else None,
        version=source_version(body))
    started = clock()
    translation = translate(config, jq_input, body)
    translated = clock() - started
    outcome = runtime.store.ingest(event, translation)
    observe_event(config.identifier, outcome.status, translated, event.delivery_id)
    return outcome


def replay_event(runtime, event_id):
    """Re-run the current configuration over a stored raw event; newest-wins still applies."""
    row = runtime.store.load_event(event_id)
    if row is None:
        raise NotFound(f"no event {event_id}", "event_not_found")
    config = runtime.configs.get(row.webhook)
    if config is None:
        raise NotFound(f"event {event_id} came to webhook {row.webhook!r}, which no longer "
                       "has a configuration", "unknown_webhook")
    body = json.loads(row.body)
    translation = translate(config, jq_input_for(row.body, body, row.headers, row.query), body)
    return runtime.store.reprocess(row.id, row.version, translation)
