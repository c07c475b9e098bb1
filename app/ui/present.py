"""Shaping stored data for pages: capped pretty JSON, the headers worth showing, filters, the
columns of an entity list."""

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from ..mapping.blueprints import Blueprint

PRETTY_LIMIT = 200_000
# Bodies larger than this are shown as stored, without parsing them for indentation.
PARSE_LIMIT = 10_000_000
OPEN_BELOW = 20_000
KEY_HEADERS = ("content-type", "user-agent", "x-atlassian-webhook-identifier",
               "x-atlassian-webhook-retry", "x-atlassian-webhook-flow", "x-forwarded-for")
CREDENTIAL_WORDS = ("signature", "token", "secret", "auth", "cookie", "key")
PAGE_SIZE = 50
# Past this page the offset would outgrow what the databases accept; no log is that long.
MAX_PAGE_NUMBER = 10**7
# What a reader scans an entity list for, first where a blueprint has them (properties or relations).
SCANNED_FIELDS = ("status", "issueType", "assignee", "priority")
# Long text, or a repeat of the title column: never a list column.
UNSCANNED_FIELDS = ("description", "summary")
LIST_COLUMNS = 4


def payload_preview(text: str) -> dict:
    """The body for display: indented JSON cut at PRETTY_LIMIT characters, and whether it was.

    The indented text is produced piece by piece and only up to the limit, so a body of
    megabytes costs one parse, not a full re-encoding.
    """
    pieces = [text]
    if len(text) <= PARSE_LIMIT:
        try:
            pieces = json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(json.loads(text))
        except ValueError:
            pass
    shown, length = [], 0
    for piece in pieces:
        shown.append(piece)
        length += len(piece)
        if length > PRETTY_LIMIT:
            break
    return {"text": "".join(shown)[:PRETTY_LIMIT], "truncated": length > PRETTY_LIMIT,
            "size": len(text.encode("utf-8")), "open": length <= OPEN_BELOW}


def pretty(value: object) -> str:
    """A small JSON value, indented, for property and outcome cells."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def visible_headers(headers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(the headers that matter, every header) with credential-like values replaced."""
    shown = {name: "(present, not shown)" if any(w in name for w in CREDENTIAL_WORDS) else value
             for name, value in sorted(headers.items())}
    return {name: shown[name] for name in KEY_HEADERS if name in shown}, shown


def parse_time(value: str | None) -> datetime | None:
    """A `datetime-local` form value (read as UTC) as an aware datetime; None when blank or bad."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def page_number(raw: str | None) -> int:
    """A 1-based page number from the query string, at most MAX_PAGE_NUMBER."""
    text = (raw or "1").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > len(str(MAX_PAGE_NUMBER)):
        return MAX_PAGE_NUMBER
    return min(MAX_PAGE_NUMBER, max(1, int(text)))


def page_links(page: int, total: int, size: int = PAGE_SIZE) -> dict:
    """Paging facts for the pager macro."""
    last = max(1, (total + size - 1) // size)
    return {"page": page, "last": last, "total": total,
            "previous": page - 1 if page > 1 else None, "next": page + 1 if page < last else None}


def list_columns(blueprint: Blueprint) -> list[dict]:
    """The entity list's columns after identifier and title: the SCANNED_FIELDS the blueprint has,
    then its other scalar properties, LIST_COLUMNS at most; a relation column names its target."""
    names = [n for n in SCANNED_FIELDS if n in blueprint.properties or n in blueprint.relations]
    names += [n for n, spec in blueprint.properties.items() if n not in names
              and n not in UNSCANNED_FIELDS and spec.get("type") not in ("array", "object")]
    columns = []
    for name in names[:LIST_COLUMNS]:
        spec = blueprint.properties.get(name) or blueprint.relations[name]
        target = None if name in blueprint.properties else spec["target"]
        columns.append({"name": name, "title": spec.get("title") or name, "target": target})
    return columns


def split_properties(blueprint: Blueprint, entity: dict) -> tuple[list[str], list[str]]:
    """(the blueprint's properties the entity sets, those it leaves empty), in blueprint order;
    a property the entity sets outside the blueprint comes last among the set ones."""
    values = entity.get("properties") or {}
    names = list(blueprint.properties) + [n for n in values if n not in blueprint.properties]
    filled = [n for n in names if values.get(n) not in (None, "", [], {})]
    return filled, [n for n in names if n not in filled]
