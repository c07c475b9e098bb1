"""Shaping stored data for pages: capped pretty JSON, the headers worth showing, filters."""

import json
from datetime import datetime, timezone

PRETTY_LIMIT = 200_000
# Bodies this large are shown raw (no parsing) up to PRETTY_LIMIT, with a download link.
PARSE_LIMIT = 1_000_000
OPEN_BELOW = 20_000
KEY_HEADERS = ("content-type", "user-agent", "x-atlassian-webhook-identifier",
               "x-atlassian-webhook-retry", "x-atlassian-webhook-flow", "x-forwarded-for")
CREDENTIAL_WORDS = ("signature", "token", "secret", "auth", "cookie", "key")
PAGE_SIZE = 50


def payload_preview(text):
    """The body for display: pretty JSON cut at PRETTY_LIMIT characters, and how it was cut."""
    pretty = text
    if len(text) <= PARSE_LIMIT:
        try:
            pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    return {"text": pretty[:PRETTY_LIMIT], "truncated": len(pretty) > PRETTY_LIMIT,
            "size": len(text.encode("utf-8")), "open": len(pretty) <= OPEN_BELOW}


def pretty(value):
    """A small JSON value, indented, for property and outcome cells."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def visible_headers(headers):
    """(the headers that matter, every header) with credential-like values replaced."""
    shown = {name: "(present, not shown)" if any(w in name for w in CREDENTIAL_WORDS) else value
             for name, value in sorted(headers.items())}
    return {name: shown[name] for name in KEY_HEADERS if name in shown}, shown


def parse_time(value):
    """A `datetime-local` form value (read as UTC) as an aware datetime; None when blank or bad."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def page_number(raw):
    """A 1-based page number from the query string."""
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def page_links(page, total, size=PAGE_SIZE):
    """Paging facts for the pager macro."""
    last = max(1, (total + size - 1) // size)
    return {"page": page, "last": last, "total": total,
            "previous": page - 1 if page > 1 else None, "next": page + 1 if page < last else None}
