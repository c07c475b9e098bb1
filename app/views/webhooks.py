"""POST /webhooks/<identifier>: Jira (or any sender) delivers events here."""

from flask import Blueprint, g, jsonify, request

from ..errors import UnsupportedMediaType
from ..ingest import process_request
from ..security import verify_request
from . import runtime

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/<identifier>")
def receive(identifier):
    """Verify the signature over the raw body, then translate and record the event."""
    state = runtime()
    config = state.webhook(identifier)
    raw = request.get_data(cache=False)
    verify_request(config.security, raw, request.headers, request.args,
                   state.settings.ALLOW_UNSIGNED_WEBHOOKS)
    check_content_type(request.mimetype)
    outcome = process_request(state, config, raw, dict(request.headers), request.args.to_dict())
    g.event_fields = {"event_id": outcome.event_id, "event_status": outcome.status,
                      "entities": len(outcome.entities)}
    answer = {"ok": True, "eventId": outcome.event_id, "status": outcome.status,
              "entities": [{k: e[k] for k in ("blueprint", "identifier", "operation", "result")}
                           for e in outcome.entities]}
    if outcome.detail:
        answer["failure"] = outcome.detail
    return jsonify(answer), 202


def check_content_type(mimetype):
    """Jira sends application/json; an absent type is tolerated, any other is refused."""
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type must be application/json, got {mimetype}",
                                   "unsupported_content_type")
