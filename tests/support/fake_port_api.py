"""The request handling of the fake Port API: state, validation and routes, without any server.

See tests/fake_port.py for the HTTP server around it and the controls tests use.
"""

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote

MAX_BODY_BYTES = 1024 * 1024
MAX_BULK_ENTITIES = 20
IDENTIFIER_PUNCTUATION = set("0123456789@_.+:\\/=-")


def is_port_identifier(value):
    """Port's rule `^(?!\\.{1,2}$)[\\p{L}0-9@_.+:\\\\/=-]+$`, at most 1000 characters."""
    if not isinstance(value, str) or not 0 < len(value) <= 1000 or value in (".", ".."):
        return False
    return all(ch.isalpha() or ch in IDENTIFIER_PUNCTUATION for ch in value)


class PortReply(Exception):
    """An HTTP answer raised from deep inside a route."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def error_reply(status, error, message):
    """Port's error body shape: `{"ok": false, "error": ..., "message": ...}`."""
    return PortReply(status, {"ok": False, "error": error, "message": message})


@dataclass
class LoggedRequest:
    """One request as the fake saw it, with the status it answered; `at` and `answered_at` are
    `time.monotonic()` when it arrived and when its answer was ready."""

    method: str
    path: str
    query: dict
    body: object
    status: int = 0
    at: float = field(default_factory=time.monotonic)
    answered_at: float = 0.0


@dataclass
class Failure:
    """A canned answer for the next requests (except token requests)."""

    status: int
    retry_after: object = None
    ratelimit_reset: object = None


@dataclass
class FakePortState:
    """Everything the fake knows; guarded by `lock`."""

    client_id: str
    client_secret: str
    token_lifetime: int = 3 * 3600
    latency: float = 0.0
    tokens: dict = field(default_factory=dict)
    blueprints: dict = field(default_factory=dict)
    entities: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    log: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def route(state, method, path, logged, raw, headers):
    """Answer one request: `(status, body, headers)`."""
    if state.latency:
        time.sleep(state.latency)
    if len(raw) > MAX_BODY_BYTES:
        raise error_reply(413, "request_too_large", "Request body is too large (limit is 1MiB)")
    logged.body = parse_body(raw)
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if method == "POST" and parts == ["v1", "auth", "access_token"]:
        return issue_token(state, logged.body)
    authenticate(state, headers)
    take_failure(state)
    return route_api(state, method, parts, logged)


def parse_body(raw):
    """The JSON body, or None when empty; malformed JSON gets Port's 422."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise error_reply(422, "invalid_json", "The json provided is malformed") from None


def issue_token(state, body):
    """`POST /v1/auth/access_token`."""
    body = body or {}
    if (body.get("clientId"), body.get("clientSecret")) != (state.client_id, state.client_secret):
        raise error_reply(401, "unauthorized", "Invalid client credentials")
    token = secrets.token_urlsafe(16)
    with state.lock:
        state.tokens[token] = time.monotonic() + state.token_lifetime
    return 200, {"ok": True, "accessToken": token, "expiresIn": state.token_lifetime,
                 "tokenType": "Bearer"}, {}


def authenticate(state, headers):
    """401 unless the bearer token was issued, is not revoked and has not expired."""
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    with state.lock:
        expires_at = state.tokens.get(token)
    if scheme != "Bearer" or expires_at is None or expires_at <= time.monotonic():
        raise error_reply(401, "unauthorized", "Token is invalid or expired")


def take_failure(state):
    """Raise the next canned failure, if any."""
    with state.lock:
        failure = state.failures.pop(0) if state.failures else None
    if failure is None:
        return
    headers = {}
    if failure.retry_after is not None:
        headers["Retry-After"] = failure.retry_after
    if failure.ratelimit_reset is not None:
        headers.update({"x-ratelimit-remaining": 0, "x-ratelimit-reset": failure.ratelimit_reset})
    raise PortReply(failure.status, {"ok": False, "error": "canned_failure",
                                     "message": f"fake answered {failure.status}"}, headers)


def route_api(state, method, parts, logged):
    """Routes under `/v1/blueprints`."""
    if parts[:2] != ["v1", "blueprints"]:
        raise error_reply(404, "not_found", "Route not found")
    rest = parts[2:]
    if rest == [] and method == "GET":
        with state.lock:
            return 200, {"ok": True, "blueprints": list(state.blueprints.values())}, {}
    if rest == [] and method == "POST":
        return create_blueprint(state, logged.body)
    if len(rest) == 1 and method == "GET":
        return 200, {"ok": True, "blueprint": find_blueprint(state, rest[0])}, {}
    if len(rest) >= 2 and rest[1] == "entities":
        return route_entities(state, method, rest[0], rest[2:], logged)
    raise error_reply(404, "not_found", "Route not found")


def route_entities(state, method, blueprint, rest, logged):
    """Routes under `/v1/blueprints/{bp}/entities`."""
    schema = find_blueprint(state, blueprint)
    flags = {k: v[0] == "true" for k, v in logged.query.items()}
    if method == "POST" and rest == []:
        entity = check_entity(schema, logged.body)
        return 201, {"ok": True, "entity": store_entity(state, blueprint, entity, flags)}, {}
    if method == "POST" and rest == ["bulk"]:
        return bulk_upsert(state, schema, blueprint, logged.body, flags)
    if method == "DELETE" and len(rest) == 1:
        return delete_entity(state, blueprint, rest[0])
    if method == "GET" and len(rest) == 1:
        with state.lock:
            entity = state.entities.get((blueprint, rest[0]))
        if entity is None:
            raise error_reply(404, "not_found", f"Entity {rest[0]} was not found")
        return 200, {"ok": True, "entity": entity}, {}
    raise error_reply(404, "not_found", "Route not found")


def create_blueprint(state, body):
    """`POST /v1/blueprints`: 409 when the identifier exists."""
    if not isinstance(body, dict) or not is_port_identifier(body.get("identifier")):
        raise error_reply(422, "invalid_request", "blueprint identifier is invalid")
    with state.lock:
        if body["identifier"] in state.blueprints:
            raise error_reply(409, "identifier_taken", f"Blueprint {body['identifier']} exists")
        state.blueprints[body["identifier"]] = body
    return 201, {"ok": True, "blueprint": body}, {}


def find_blueprint(state, identifier):
    """The blueprint definition, or Port's 404."""
    with state.lock:
        blueprint = state.blueprints.get(identifier)
    if blueprint is None:
        raise error_reply(404, "not_found",
                          f"Blueprint with identifier \"{identifier}\" was not found")
    return blueprint


def check_entity(blueprint, entity):
    """Port's 422 for a bad identifier or properties the blueprint does not define or type."""
    if not isinstance(entity, dict) or not is_port_identifier(entity.get("identifier")):
        raise error_reply(422, "invalid_request",
                          f"identifier {str((entity or {}).get('identifier'))[:80]!r} does not "
                          "match "
                          r"^(?!\.{1,2}$)[\p{L}0-9@_.+:\\/=-]+$ or is longer than 1000 characters")
    defined = blueprint.get("schema", {}).get("properties", {})
    for name, value in (entity.get("properties") or {}).items():
        if name not in defined:
            raise error_reply(422, "invalid_request",
                              f"property {name!r} is not in the blueprint schema")
        if not type_matches(defined[name].get("type"), value):
            raise error_reply(422, "invalid_request",
                              f"property {name!r} should be of type {defined[name].get('type')}")
    return entity


def type_matches(json_type, value):
    """Whether a property value fits its JSON schema type (null always fits)."""
    expected = {"string": str, "number": (int, float), "boolean": bool,
                "object": dict, "array": list}.get(json_type, object)
    return value is None or isinstance(value, expected)


def store_entity(state, blueprint, entity, flags):
    """Upsert (replace, or merge properties when `merge=true`)."""
    key = (blueprint, entity["identifier"])
    with state.lock:
        old = state.entities.get(key)
        if flags.get("merge") and old is not None:
            merged = {**old, **entity}
            merged["properties"] = {**old.get("properties", {}), **entity.get("properties", {})}
            entity = merged
        state.entities[key] = {**entity, "blueprint": blueprint}
        return state.entities[key]


def bulk_upsert(state, schema, blueprint, body, flags):
    """`POST .../entities/bulk`: 1-20 entities; 207 with per-index errors on partial success."""
    entities = (body or {}).get("entities") if isinstance(body, dict) else None
    if not isinstance(entities, list) or not 1 <= len(entities) <= MAX_BULK_ENTITIES:
        raise error_reply(422, "invalid_request", "entities must hold 1 to 20 entities")
    created, errors = [], []
    for index, entity in enumerate(entities):
        try:
            stored = store_entity(state, blueprint, check_entity(schema, entity), flags)
            created.append({"identifier": stored["identifier"], "index": index, "created": True})
        except PortReply as reply:
            errors.append({"identifier": str((entity or {}).get("identifier")), "index": index,
                           "statusCode": reply.status, **reply.body})
    status = 200 if not errors else (207 if created else 422)
    return status, {"ok": not errors, "entities": created, "errors": errors}, {}


def delete_entity(state, blueprint, identifier):
    """`DELETE .../entities/{id}`: 404 when it does not exist."""
    with state.lock:
        removed = state.entities.pop((blueprint, identifier), None)
    if removed is None:
        raise error_reply(404, "not_found", f"Entity {identifier} was not found")
    return 200, {"ok": True}, {}
