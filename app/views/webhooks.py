"""POST /webhooks/<identifier>: Jira (or any sender) delivers events here."""

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..catalog.store import EventOutcome
from ..errors import BridgeError, PayloadTooLarge, UnsupportedMediaType
from ..ingest.events import process_request
from ..ingest.refusals import record_refusal
from ..ingest.security import verify_request
from ..runtime import current_runtime

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/<identifier>")
def receive(identifier):
    """Verify the signature over the raw body, then translate and record the event; a refused
    delivery is counted (app.ingest.refusals) before it is answered."""
    state = current_runtime()
    config = state.webhook(identifier)
    try:
        raw = read_body(state.settings.MAX_BODY_BYTES)
        verify_request(config.security, raw, request.headers, request.args,
                       state.settings.ALLOW_UNSIGNED_WEBHOOKS, config.source, config.references)
        check_content_type(request.mimetype)
        outcome = process_request(state.store, config, raw, dict(request.headers),
                                  request.args.to_dict(), state.settings.MAX_JSON_DEPTH,
                                  state.settings.MAX_ENTITIES_PER_EVENT)
    except BridgeError as exc:
        record_refusal(state.store, config, exc.reason)
        raise
    except RequestEntityTooLarge:
        record_refusal(state.store, config, PayloadTooLarge.reason)
        raise
    g.event_fields = {"event_id": outcome.event_id, "event_status": outcome.status,
                      "entities": len(outcome.entities)}
    answer = {"ok": True, "eventId": outcome.event_id, "status": outcome.status,
              "entities": [{k: e[k] for k in ("blueprint", "identifier", "operation", "result")}
                           for e in outcome.entities], **explanation(outcome)}
    return jsonify(answer), 202


def explanation(outcome: EventOutcome) -> dict:
    """A failed or ignored event's `reason` and `message`, and a failed one's `failure` detail."""
    if not outcome.detail:
        return {}
    fields = {"reason": outcome.detail["reason"], "message": outcome.detail["message"]}
    if outcome.status == "failed":
        fields["failure"] = outcome.detail
    return fields


def read_body(max_bytes: int) -> bytes:
    """The raw body; 413 `body_too_large` past `max_bytes`, whether its length was announced
    (Content-Length) or not (chunked).

    Werkzeug stops a chunked stream at the limit without saying whether more followed, so the
    stream is read with a limit one byte higher: a body that reaches it is over the limit.
    """
    request.max_content_length = max_bytes + 1
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"body over MAX_BODY_BYTES ({max_bytes} bytes)")
    return raw


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
