"""Jira's versions of an event: its `timestamp`, or the issue's `updated`, as epoch milliseconds.

Imports nothing beyond the standard library, so the backfill script reads Jira's timestamps with the
same code without loading the web app.
"""

from datetime import datetime

# Versions are stored as signed 64-bit integers; a timestamp outside that range is no version.
VERSION_RANGE = range(-2 ** 63, 2 ** 63)


def source_version(body: dict) -> int | None:
    """The event's source version in epoch ms: its `timestamp`, else the issue's `updated`."""
    stamp = body.get("timestamp")
    if isinstance(stamp, int) and not isinstance(stamp, bool) and stamp in VERSION_RANGE:
        return stamp
    issue = body.get("issue")
    fields = issue.get("fields") if isinstance(issue, dict) else None
    updated = fields.get("updated") if isinstance(fields, dict) else None
    return parse_jira_time(updated)


def parse_jira_time(value: object) -> int | None:
    """Jira's `2023-06-16T14:51:06.116+0000` (or ISO 8601) as epoch ms; None when unreadable."""
    if not isinstance(value, str):
        return None
    for read in (datetime.fromisoformat, read_jira_form):
        try:
            return int(read(value).timestamp() * 1000)
        except ValueError:
            pass
    return None


def read_jira_form(value: str) -> datetime:
    """Jira's form read field by field, which also takes fields narrower than ISO 8601's."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
