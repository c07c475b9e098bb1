"""Running a search: live entities matching a rule tree, a page at a time.

Pages follow the identifier (keyset paging, no OFFSET): the cursor holds the last identifier
served, so an entity present from the first page to the last is served exactly once however
entities are added or deleted meanwhile, and each page costs the same whatever its position.
"""

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import BadRequest
from ..mapping.blueprints import Blueprint
from .queries import read_entity
from .rules import Group
from .search_sql import condition
from .tables import entities

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
MATCH_ALL = {"combinator": "and", "rules": []}


@dataclass(frozen=True)
class Page:
    """The entities (as rows) of one page and the cursor of the next one (None on the last)."""

    rows: list
    next: str | None


def inline(count: int) -> sa.ColumnElement[int]:
    """A LIMIT written into the statement: with `LIMIT ?` SQLite's planner assumes a large
    limit and walks the identifier index in order instead of a selective property index."""
    return sa.literal_column(str(int(count)))


def encode_cursor(blueprint: str | None, identifier: str) -> str:
    raw = json.dumps({"b": blueprint, "i": identifier}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, blueprint: str | None) -> str:
    """The identifier after which the page starts; BadRequest `invalid_cursor` for a cursor
    this search did not hand out."""
    problem = BadRequest("from: not a cursor of this search; pass the 'next' of the previous "
                         "page unchanged", "invalid_cursor")
    if not isinstance(cursor, str) or len(cursor) > 4096:
        raise problem
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise problem from None
    if not isinstance(data, dict) or data.get("b") != blueprint or not isinstance(data.get("i"), str) \
            or "\x00" in data["i"]:
        raise problem
    return data["i"]


def matching(query: Group, dialect: str, blueprints: dict[str, Blueprint],
             blueprint: str | None) -> sa.ColumnElement[bool]:
    """Live entities (of `blueprint` when given) that `query` matches."""
    parts = [entities.c.deleted.is_(False), condition(query, dialect, blueprints)]
    if blueprint is not None:
        parts.insert(0, entities.c.blueprint == blueprint)
    return sa.and_(*parts)


def search_page(engine: sa.Engine, blueprints: dict[str, Blueprint], query: Group,
                blueprint: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page:
    """One page of `blueprint`'s live entities matching `query`, in identifier order."""
    where = matching(query, engine.dialect.name, blueprints, blueprint)
    if cursor is not None:
        where = sa.and_(where, entities.c.identifier > decode_cursor(cursor, blueprint))
    statement = sa.select(entities).where(where).order_by(entities.c.identifier).limit(inline(limit + 1))
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    following = encode_cursor(blueprint, rows[limit - 1].identifier) if len(rows) > limit else None
    return Page(rows[:limit], following)


def search_all(engine: sa.Engine, blueprints: dict[str, Blueprint], query: Group,
               limit: int = MAX_LIMIT) -> tuple[list[str], list]:
    """Across blueprints: the blueprints with a live entity `query` matches, and the first
    `limit` of those entities by (blueprint, identifier)."""
    where = matching(query, engine.dialect.name, blueprints, None)
    with engine.connect() as conn:
        names = conn.execute(sa.select(entities.c.blueprint).where(where).distinct()
                             .order_by(entities.c.blueprint)).scalars().all()
        rows = conn.execute(sa.select(entities).where(where)
                            .order_by(entities.c.blueprint, entities.c.identifier).limit(inline(limit))).all()
    return list(names), rows


def match_pages(engine: sa.Engine, blueprints: dict[str, Blueprint], query: Group,
                blueprint: str, limit: int = MAX_LIMIT) -> Iterator[list[dict]]:
    """Every live entity of `blueprint` matching `query` (Port's read shape), a page at a time."""
    cursor = None
    while True:
        page = search_page(engine, blueprints, query, blueprint, limit, cursor)
        yield [read_entity(row, blueprints) for row in page.rows]
        if page.next is None:
            return
        cursor = page.next
