"""The entity list filtered through the search engine (app.catalog.search), and its exports."""

from flask import Response, render_template, request

from ..catalog.queries import read_entity
from ..catalog.rules import Group, parse_query
from ..catalog.search import MATCH_ALL, match_pages, search_page
from ..errors import BadRequest
from ..mapping.blueprints import Blueprint
from ..runtime import current_runtime
from . import bp
from .filters import csv_lines, filter_fields, filter_query, given_filters, json_chunks
from .present import PAGE_SIZE, list_columns


def page_query(document: dict | None) -> Group:
    return parse_query(document or MATCH_ALL, current_runtime().blueprints)


def render_filtered(blueprint: Blueprint, document: dict, search: str):
    """A page of the filtered list (cursor `from`); a filter that cannot be read is 400 with
    the reason above the form."""
    state = current_runtime()
    try:
        page = search_page(state.store.engine, state.blueprints, page_query(document),
                           blueprint.identifier, PAGE_SIZE, request.args.get("from") or None)
    except BadRequest as exc:
        return render_list(blueprint, [], search, None, error=exc.message), 400
    items = [read_entity(row, state.blueprints) for row in page.rows]
    return render_list(blueprint, items, search, None, following=page.next)


def render_list(blueprint: Blueprint, items: list[dict], search: str, paging: dict | None,
                following: str | None = None, error: str | None = None) -> str:
    args = request.args.to_dict()
    return render_template("entities.html", blueprint=blueprint, entities=items, search=search,
                           columns=list_columns(blueprint), paging=paging, following=following,
                           fields=filter_fields(blueprint), given=given_filters(blueprint, request.args),
                           advanced=request.args.get("query", ""), error=error,
                           export_args={k: v for k, v in args.items() if k not in ("from", "page")})


def export_pages(blueprint: Blueprint):
    state = current_runtime()
    query = page_query(filter_query(blueprint, request.args))
    return match_pages(state.store.engine, state.blueprints, query, blueprint.identifier)


def download(body, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/exports/<blueprint>.csv")
def export_csv(blueprint):
    """Every entity the list's filters keep, as CSV (one column per property and relation)."""
    target = current_runtime().blueprint(blueprint)
    return download(csv_lines(target, export_pages(target)), "text/csv", f"{target.identifier}.csv")


@bp.get("/exports/<blueprint>.json")
def export_json(blueprint):
    """Every entity the list's filters keep, as a JSON array in Port's read shape."""
    target = current_runtime().blueprint(blueprint)
    return download(json_chunks(export_pages(target)), "application/json", f"{target.identifier}.json")
