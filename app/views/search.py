"""Port's search routes over the catalog: one blueprint's entities a page at a time, or every
blueprint's at once (bounded). Queries are Port's rule language (app.catalog.rules)."""

from flask import Blueprint, jsonify

from ..catalog.rules import parse_query
from ..catalog.search import DEFAULT_LIMIT, MATCH_ALL, MAX_LIMIT, search_all, search_page
from ..errors import BadRequest
from ..ingest.events import parse_body
from ..runtime import current_runtime
from .auth import no_store, require_api_token
from .reading import read_options, shape_rows
from .webhooks import read_body

bp = Blueprint("search", __name__, url_prefix="/v1")
bp.before_request(require_api_token)
bp.after_request(no_store)

SEARCH_FIELDS = {"query", "include", "exclude", "limit", "from"}


def json_body() -> dict:
    """The request's JSON object, size- and depth-checked before it is parsed."""
    settings = current_runtime().settings
    return parse_body(read_body(settings.MAX_BODY_BYTES), settings.MAX_JSON_DEPTH)[1]


def page_size(body: dict) -> int:
    limit = body.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number 1..{MAX_LIMIT}", "invalid_paging")
    return limit


@bp.post("/blueprints/<blueprint>/entities/search")
def search_blueprint(blueprint):
    """`{"query": {combinator, rules}, "include", "exclude", "limit", "from"}` →
    `{"ok", "next", "entities"}`; `next` is the `from` of the following page (null on the last)."""
    state = current_runtime()
    state.blueprint(blueprint)
    body = json_body()
    unknown = sorted(set(body) - SEARCH_FIELDS)
    if unknown:
        raise BadRequest(f"unknown field {unknown[0][:64]!r}; a search takes "
                         f"{', '.join(sorted(SEARCH_FIELDS))}", "invalid_query")
    options = read_options(body)
    query = parse_query(body.get("query", MATCH_ALL), state.blueprints)
    cursor = body.get("from")
    page = search_page(state.store.engine, state.blueprints, query, blueprint, page_size(body),
                       None if cursor is None else cursor)
    return jsonify({"ok": True, "next": page.next, "entities": shape_rows(page.rows, options)})


@bp.post("/entities/search")
def search_everything():
    """A bare `{combinator, rules}` → `{"ok", "matchingBlueprints", "entities"}`: the first
    MAX_LIMIT entities by blueprint and identifier."""
    state = current_runtime()
    options = read_options()
    query = parse_query(json_body(), state.blueprints)
    names, rows = search_all(state.store.engine, state.blueprints, query, MAX_LIMIT)
    return jsonify({"ok": True, "matchingBlueprints": names, "entities": shape_rows(rows, options)})
