"""The read API, shaped like Port's: blueprints, entities and the event log."""

from flask import Blueprint, jsonify, request

from ..catalog import queries
from ..errors import NotFound
from ..ingest.events import explanation, hidden_headers
from ..ingest.replay import replay_event
from ..runtime import current_runtime
from .auth import no_store, require_api_token
from .paging import page_args, paged
from .reading import read_options, shape

bp = Blueprint("catalog", __name__, url_prefix="/v1")


bp.before_request(require_api_token)
bp.after_request(no_store)


@bp.get("/blueprints")
def list_blueprints():
    blueprints = current_runtime().blueprints.values()
    return jsonify({"ok": True, "blueprints": [b.definition for b in blueprints]})


@bp.get("/blueprints/<blueprint>")
def get_blueprint(blueprint):
    return jsonify({"ok": True, "blueprint": current_runtime().blueprint(blueprint).definition})


@bp.get("/blueprints/<blueprint>/entities")
def list_entities(blueprint):
    """Port's read options apply (app.views.reading)."""
    state = current_runtime()
    state.blueprint(blueprint)
    limit, offset = page_args()
    options = read_options()
    items, total = queries.list_entities(state.store.engine, blueprint, limit, offset,
                                         blueprints=state.blueprints if options.calculated else None)
    return paged("entities", shape(items, options), total, limit, offset)


@bp.get("/blueprints/<blueprint>/entities/<path:identifier>")
def get_entity(blueprint, identifier):
    """Port's read options apply (app.views.reading); `include=relations` also adds
    `relatedEntities`, the entities the relations name."""
    state = current_runtime()
    state.blueprint(blueprint)
    options = read_options()
    entity = queries.get_entity(state.store.engine, blueprint, identifier,
                                state.blueprints if options.calculated else None)
    if entity is None:
        raise NotFound(f"no entity {identifier!r} of blueprint {blueprint!r}", "entity_not_found")
    answer = {"ok": True, "entity": shape([entity], options)[0]}
    if "relations" in options.include:
        answer["relatedEntities"] = queries.related_entities(state.store.engine,
                                                             state.blueprints, entity)
    return jsonify(answer)


@bp.get("/events")
def list_events():
    """`?status=` an event status, `?webhook=` a configured one (or one in the log); 400 otherwise."""
    state = current_runtime()
    filters = {"status": request.args.get("status"), "webhook": request.args.get("webhook")}
    queries.check_event_filters(state.store.engine, state.configs, **filters)
    limit, offset = page_args()
    items, total = queries.list_events(state.store.engine, limit, offset, **filters)
    return paged("events", items, total, limit, offset)


@bp.get("/events/<int:event_id>")
def get_event(event_id):
    state = current_runtime()
    event = queries.get_event(state.store.engine, event_id, hidden_headers(state.configs.values()))
    if event is None:
        raise NotFound(f"no event {event_id}", "event_not_found")
    return jsonify({"ok": True, "event": event})


@bp.post("/events/<int:event_id>/replay")
def replay(event_id):
    """Re-run the current configuration over one stored event."""
    state = current_runtime()
    outcome = replay_event(state.store, state.configs, event_id)
    return jsonify({"ok": True, "eventId": outcome.event_id, "status": outcome.status,
                    "entities": outcome.entities, "failure": None, **explanation(outcome)})
