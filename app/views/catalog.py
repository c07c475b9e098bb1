"""The read API, shaped like Port's: blueprints, entities and the event log."""

import hmac

from flask import Blueprint, jsonify, request

from .. import queries
from ..errors import BadRequest, NotFound, Unauthorized
from ..ingest import replay_event
from . import runtime

bp = Blueprint("catalog", __name__, url_prefix="/v1")
MAX_PAGE = 1000


@bp.before_request
def require_token():
    """When CATALOG_API_TOKEN is set, every read needs `Authorization: Bearer <token>`."""
    token = runtime().settings.CATALOG_API_TOKEN
    if not token:
        return
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(
            given[7:].strip().encode("utf-8"), token.encode("utf-8")):
        raise Unauthorized("a valid 'Authorization: Bearer <CATALOG_API_TOKEN>' is required",
                           "invalid_api_token")


def page_args():
    """`limit` (1..1000, default 100) and `offset` from the query string."""
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        raise BadRequest("limit and offset must be whole numbers", "invalid_paging") from None
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise BadRequest(f"limit must be 1..{MAX_PAGE} and offset >= 0", "invalid_paging")
    return limit, offset


def paged(key, items, total, limit, offset):
    """A page of results with the offset of the next page (null on the last)."""
    following = offset + limit if offset + limit < total else None
    return jsonify({"ok": True, key: items, "total": total, "limit": limit, "offset": offset,
                    "next": following})


@bp.get("/blueprints")
def list_blueprints():
    return jsonify({"ok": True, "blueprints": [b.definition for b in runtime().blueprints.values()]})


@bp.get("/blueprints/<blueprint>")
def get_blueprint(blueprint):
    return jsonify({"ok": True, "blueprint": runtime().blueprint(blueprint).definition})


@bp.get("/blueprints/<blueprint>/entities")
def list_entities(blueprint):
    runtime().blueprint(blueprint)
    limit, offset = page_args()
    items, total = queries.list_entities(runtime().store.engine, blueprint, limit, offset,
                                         blueprints=runtime().blueprints)
    return paged("entities", items, total, limit, offset)


def include_args():
    """`include=relations` (comma-separated; the only part that can be included today)."""
    parts = {p for p in request.args.get("include", "").split(",") if p}
    if not parts <= {"relations"}:
        raise BadRequest("include accepts only 'relations'", "invalid_include")
    return parts


@bp.get("/blueprints/<blueprint>/entities/<path:identifier>")
def get_entity(blueprint, identifier):
    runtime().blueprint(blueprint)
    include = include_args()
    bridge = runtime()
    entity = queries.get_entity(bridge.store.engine, blueprint, identifier, bridge.blueprints)
    if entity is None:
        raise NotFound(f"no entity {identifier!r} of blueprint {blueprint!r}", "entity_not_found")
    answer = {"ok": True, "entity": entity}
    if "relations" in include:
        answer["relatedEntities"] = queries.related_entities(bridge.store.engine,
                                                             bridge.blueprints, entity)
    return jsonify(answer)


@bp.get("/events")
def list_events():
    limit, offset = page_args()
    items, total = queries.list_events(runtime().store.engine, limit, offset,
                                       status=request.args.get("status"),
                                       webhook=request.args.get("webhook"))
    return paged("events", items, total, limit, offset)


@bp.get("/events/<int:event_id>")
def get_event(event_id):
    event = queries.get_event(runtime().store.engine, event_id)
    if event is None:
        raise NotFound(f"no event {event_id}", "event_not_found")
    return jsonify({"ok": True, "event": event})


@bp.post("/events/<int:event_id>/replay")
def replay(event_id):
    """Re-run the current configuration over one stored event."""
    outcome = replay_event(runtime(), event_id)
    return jsonify({"ok": True, "eventId": outcome.event_id, "status": outcome.status,
                    "entities": outcome.entities, "failure": outcome.detail})
