"""Shaping stored data for pages: capped pretty JSON, the headers worth showing, filters."""

import json
from collections.abc import Mapping
from datetime import UTC, datetime

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
