"""The UI's pages: overview, events, entities. Reads go through app.catalog.queries."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ..catalog import queries
from ..errors import BadRequest, BridgeError, NotFound
from ..ingest.events import hidden_headers
from ..ingest.refusals import list_refusals
from ..ingest.replay import replay_event
from ..mapping.calculations import explain_calculations
from ..reconcile.passes import DRIFT_PASSES, list_passes, webhooks_missing_changes
from ..runtime import current_runtime
from . import bp
from .entity_search import render_filtered, render_list
from .filters import filter_query
from .present import (
    PAGE_SIZE,
    page_links,
    page_number,
    parse_time,
    payload_preview,
    pretty,
    split_properties,
    visible_headers,
)

STATUSES = queries.EVENT_STATUSES
TIME_FILTERS = {"since": "From (UTC)", "until": "Until (UTC)"}


@bp.app_template_filter("pretty")
def pretty_filter(value):
    return pretty(value)


@bp.errorhandler(BridgeError)
def show_bridge_error(exc):
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


@bp.errorhandler(HTTPException)
def show_http_error(exc):
    return render_template("error.html", status=exc.code, message=exc.description), exc.code


def engine() -> sa.Engine:
    return current_runtime().store.engine


@bp.get("/")
def overview():
    state = current_runtime()
    rows = queries.pipeline_overview(engine(), state.configs, datetime.now(UTC))
    outbox = state.forwarding.counts() if state.forwarding.enabled else None
    refusals = list_refusals(state.store, state.configs)
    passes = list_passes(engine(), 1)[0]
    return render_template("overview.html", rows=rows, configs=state.configs,
                           statuses=STATUSES, counts=queries.count_entities(engine()),
                           blueprints=state.blueprints, outbox=outbox, refusals=refusals,
                           refused=refused_per_webhook(refusals), jira_url=state.settings.JIRA_URL,
                           last_pass=passes[0] if passes else None,
                           drift=webhooks_missing_changes(engine()), drift_passes=DRIFT_PASSES)


def refused_per_webhook(refusals: list[dict]) -> dict[str, int]:
    """Refused deliveries per webhook, every reason together."""
    totals = {}
    for row in refusals:
        totals[row["webhook"]] = totals.get(row["webhook"], 0) + row["count"]
    return totals


def event_filters() -> tuple[dict[str, str], dict]:
    """The event list's filters from the query string, as given and as query arguments;
    BadRequest naming the filter when one can match nothing (an unknown status, a bad time)."""
    given = {name: request.args.get(name, "").strip()
             for name in ("webhook", "status", "event_type", "since", "until")}
    parsed = {name: given[name] or None for name in ("webhook", "status", "event_type")}
    queries.check_event_filters(engine(), current_runtime().configs, parsed["status"],
                                parsed["webhook"])
    for name, label in TIME_FILTERS.items():
        parsed[name] = parse_time(given[name])
        if given[name] and parsed[name] is None:
            raise BadRequest(f"{label} {given[name][:64]!r} is not a date and time "
                             "(YYYY-MM-DDTHH:MM)", "invalid_time")
    return given, parsed


@bp.get("/events")
def events():
    """The event log, filtered; a filter that can match nothing is answered 400 with the reason
    above the form, not an empty list."""
    page = page_number(request.args.get("page"))
    try:
        given, parsed = event_filters()
    except BadRequest as exc:
        return render_events(request.args.to_dict(), [], page_links(1, 0), exc.message), 400
    items, total = queries.list_events(engine(), PAGE_SIZE, (page - 1) * PAGE_SIZE, **parsed)
    return render_events(given, items, page_links(page, total))


def render_events(filters: dict, items: list[dict], paging: dict, error: str | None = None) -> str:
    return render_template("events.html", events=items, filters=filters, statuses=STATUSES,
                           webhooks=sorted(current_runtime().configs),
                           event_types=queries.event_types(engine()), paging=paging, error=error)


def stored_event(event_id: int) -> dict:
    event = queries.get_event(engine(), event_id, hidden_headers(current_runtime().configs.values()))
    if event is None:
        raise NotFound(f"no event {event_id}", "event_not_found")
    return event


@bp.get("/events/<int:event_id>")
def event(event_id):
    item = stored_event(event_id)
    key_headers, all_headers = visible_headers(item["headers"])
    return render_template("event.html", event=item, payload=payload_preview(item["body"]),
                           key_headers=key_headers, all_headers=all_headers)


@bp.get("/events/<int:event_id>/raw")
def event_raw(event_id):
    """The stored body, byte for byte, as a download."""
    return Response(stored_event(event_id)["body"], mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="event-{event_id}.json"'})


@bp.post("/events/<int:event_id>/replay")
def replay(event_id):
    state = current_runtime()
    outcome = replay_event(state.store, state.configs, event_id)
    flash(f"Replayed with the current configuration: {outcome.status}"
          + (f" ({outcome.reason})" if outcome.reason else ""), outcome.status)
    return redirect(url_for("ui.event", event_id=event_id))


@bp.get("/entities")
def blueprints():
    return render_template("blueprints.html", blueprints=current_runtime().blueprints,
                           counts=queries.count_entities(engine()))


@bp.get("/entities/<blueprint>")
def entities(blueprint):
    """The blueprint's entities; with filters (app.ui.filters) through the search engine, a
    page at a time by cursor, else in natural order with page numbers and `q` on identifier or title."""
    target = current_runtime().blueprint(blueprint)
    search = request.args.get("q", "").strip()
    try:
        document = filter_query(target, request.args)
    except BadRequest as exc:
        return render_list(target, [], search, None, error=exc.message), 400
    if document is not None:
        if search:
            document["rules"].append({"combinator": "or", "rules": [
                {"property": p, "operator": "contains", "value": search} for p in ("$identifier", "$title")]})
        return render_filtered(target, document, search)
    page = page_number(request.args.get("page"))
    items, total = queries.list_entities(engine(), blueprint, PAGE_SIZE, (page - 1) * PAGE_SIZE,
                                         search=search or None, natural=True)
    return render_list(target, items, search, page_links(page, total))


@bp.get("/entities/<blueprint>/<path:identifier>")
def entity(blueprint, identifier):
    target = current_runtime().blueprint(blueprint)
    item = queries.get_entity(engine(), blueprint, identifier)
    history = queries.entity_history(engine(), blueprint, identifier)
    if item is None and not history:
        raise NotFound(f"no entity {identifier!r} of blueprint {blueprint!r}", "entity_not_found")
    filled, empty = split_properties(target, item) if item else ([], [])
    return render_template("entity.html", blueprint=target, entity=item, identifier=identifier,
                           filled=filled, empty=empty,
                           calculated=explain_calculations(target, item) if item else {},
                           history=history)
