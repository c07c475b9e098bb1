"""Offset paging of the JSON API's lists: the query arguments and the answer's shape."""

from flask import Response, jsonify, request

from ..errors import BadRequest

MAX_PAGE = 1000


def page_args() -> tuple[int, int]:
    """`limit` (1..1000, default 100) and `offset` from the query string."""
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        raise BadRequest("limit and offset must be whole numbers", "invalid_paging") from None
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise BadRequest(f"limit must be 1..{MAX_PAGE} and offset >= 0", "invalid_paging")
    return limit, offset


def paged(key: str, items: list, total: int, limit: int, offset: int, **extra) -> Response:
    """A page of results with the offset of the next page (null on the last)."""
    following = offset + limit if offset + limit < total else None
    return jsonify({"ok": True, key: items, "total": total, "limit": limit, "offset": offset,
                    "next": following, **extra})
