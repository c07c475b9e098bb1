"""POST /webhooks/<identifier>: Jira (or any sender) delivers events here."""

from flask import Blueprint, g, jsonify, request

from ..errors import UnsupportedMediaType
from ..ingest.events import process_request
from ..ingest.security import verify_request
from ..runtime import current_runtime

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/<identifier>")
def receive(identifier):
    """Verify the signature over the raw body, then translate and record the event."""
    state = current_runtime()
    config = state.webhook(identifier)
    raw = request.get_data(cache=False)
    verify_request(config.security, raw, request.headers, request.args,
                   state.settings.ALLOW_UNSIGNED_WEBHOOKS)
    check_content_type(request.mimetype)
    outcome = process_request(state.store, config, raw, dict(request.headers),
                              request.args.to_dict(), state.settings.MAX_JSON_DEPTH)
    g.event_fields = {"event_id": outcome.event_id, "event_status": outcome.status,
                      "entities": len(outcome.entities)}
    answer = {"ok": True, "eventId": outcome.event_id, "status": outcome.status,
              "entities": [{k: e[k] for k in ("blueprint", "identifier", "operation", "result")}
                           for e in outcome.entities]}
    if outcome.detail:
        answer["failure"] = outcome.detail
    return jsonify(answer), 202


def check_content_type(mimetype: str) -> None:
    """Jira sends application/json; an absent type is tolerated, any other is refused."""
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type must be application/json, got {mimetype}",
                                   "unsupported_content_type")


@bp.after_request
def prune_after_response(response):
    """Prune the event log in the background of accepted deliveries, once an hour per process."""
    if response.status_code == 202:
        response.call_on_close(current_runtime().retention.run_if_due)
    return response
