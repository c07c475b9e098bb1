"""Offset paging of the JSON API's lists: the query arguments and the answer's shape; and the
bounded whole numbers every route and list accepts.

Python reads a number of any length, the databases do not: an id or an offset past a 64-bit integer
made PostgreSQL and SQLite fail with a 500. `BoundedIntConverter` replaces the routes' `int`
converter, so that an id past the largest stored one matches no route (404), and `page_args` caps
the offset (400).
"""

from flask import Response, jsonify, request
from werkzeug.routing import IntegerConverter

from ..errors import BadRequest

MAX_PAGE = 1000
# The largest id the events and entities tables can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1
MAX_OFFSET = 10**9


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` limited to 0..MAX_ID: a larger number matches no route."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def page_args() -> tuple[int, int]:
    """`limit` (1..1000, default 100) and `offset` (0..MAX_OFFSET) from the query string."""
    limit = whole_number("limit", 100)
    offset = whole_number("offset", 0)
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"limit must be 1..{MAX_PAGE} and offset 0..{MAX_OFFSET}",
                         "invalid_paging")
    return limit, offset


def whole_number(name: str, default: int) -> int:
    """A query argument read as a whole number of at most 19 digits; 400 invalid_paging otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    text = raw.strip().removeprefix("-")
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise BadRequest("limit and offset must be whole numbers", "invalid_paging")
    return int(raw)


def paged(key: str, items: list, total: int, limit: int, offset: int, **extra) -> Response:
    """A page of results with the offset of the next page (null on the last)."""
    following = offset + limit if offset + limit < total else None
    return jsonify({"ok": True, key: items, "total": total, "limit": limit, "offset": offset,
                    "next": following, **extra})
