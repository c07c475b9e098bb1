"""POST /webhooks/<identifier>: Jira (or any sender) delivers events here."""

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import Settings
from ..errors import BridgeError, PayloadTooLarge, UnsupportedMediaType
from ..ingest.batch import PAGE_TYPE, PageLimits, process_page
from ..ingest.events import outcome_answer, process_request
from ..ingest.refusals import record_refusal
from ..ingest.security import verify_request
from ..runtime import current_runtime

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/<identifier>")
def receive(identifier):
    """Verify the signature over the raw body, then translate and record the event (or the page of
    events, application/x-ndjson); a refused delivery is counted (app.ingest.refusals) before it
    is answered."""
    state = current_runtime()
    config = state.webhook(identifier)
    settings = state.settings
    try:
        raw = read_body(settings.MAX_BODY_BYTES)
        verify_request(config.security, raw, request.headers, request.args,
                       settings.ALLOW_UNSIGNED_WEBHOOKS, config.source, config.references)
        check_content_type(request.mimetype)
        if request.mimetype == PAGE_TYPE:
            page = process_page(state.store, config, raw, request.args.to_dict(), page_limits(settings))
        else:
            outcome = process_request(state.store, config, raw, dict(request.headers),
                                      request.args.to_dict(), settings.MAX_JSON_DEPTH,
                                      settings.MAX_ENTITIES_PER_EVENT)
    except BridgeError as exc:
        record_refusal(state.store, config, exc.reason)
        raise
    except RequestEntityTooLarge:
        record_refusal(state.store, config, PayloadTooLarge.reason)
        raise
    if request.mimetype == PAGE_TYPE:
        g.event_fields = page.log_fields()
        return jsonify({"ok": True, "results": page.results}), 202
    g.event_fields = {"event_id": outcome.event_id, "event_status": outcome.status,
                      "entities": len(outcome.entities)}
    return jsonify(outcome_answer(outcome)), 202


def page_limits(settings: Settings) -> PageLimits:
    return PageLimits(settings.MAX_JSON_DEPTH, settings.MAX_ENTITIES_PER_EVENT,
                      settings.MAX_EVENTS_PER_REQUEST, settings.MAX_ENTITIES_PER_REQUEST)


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
    """Jira sends application/json, a page of events application/x-ndjson; an absent type is
    tolerated (one event), any other is refused."""
    if mimetype and mimetype not in ("application/json", PAGE_TYPE) and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type must be application/json or {PAGE_TYPE}, got {mimetype}",
                                   "unsupported_content_type")


@bp.after_request
def prune_after_response(response):
    """Prune the event log in the background of accepted deliveries, once an hour per process."""
    if response.status_code == 202:
        response.call_on_close(current_runtime().retention.run_if_due)
    return response
