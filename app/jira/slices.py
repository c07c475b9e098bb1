"""Splitting an issue query into independent slices that are paged side by side.

Jira Cloud pages one query strictly one page after the other (each page names the next by token), so a
large import is split by project and then by ``created`` windows, sized with Cloud's approximate count.
Data Center pages by ``startAt``, which grows slow or refused past about 10,000 results, so a large query
is split into ``created`` windows each small enough to page without deep offsets. Windows are half-open
(``created >= a AND created < b``) on minute boundaries written in the Jira user's time zone, the first
and last open-ended, so every issue is in exactly one slice.

Imports no more of the app than its errors, like the client.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from .client import ALL_FIELDS, JiraClient, JiraError, Page

MIN_SLICE_ISSUES = 200  # a query this small is paged as it is
SLICES_PER_FETCHER = 2  # slices per concurrent fetch, so a slow slice does not leave the others idle
MAX_KEYS_PER_SLICE = 50  # small projects grouped in one `project in (...)` slice
EARLIEST = int(datetime(2000, 1, 1).timestamp() * 1000)  # where windows start splitting; the first is open
WINDOW_ORDER = " ORDER BY created ASC, key ASC"


@dataclass
class Slice:
    """One independent part of a query: its JQL and where its paging stands (a Cloud nextPageToken or a
    Data Center startAt; None from the beginning)."""

    jql: str
    cursor: int | str | None = None
    done: bool = False

    def to_json(self) -> dict:
        """The slice as the checkpoint stores it."""
        return {"jql": self.jql, "cursor": self.cursor, "done": self.done}

    @classmethod
    def from_json(cls, data: dict) -> Slice:
        """A slice read back from a checkpoint."""
        return cls(data["jql"], data.get("cursor"), bool(data.get("done")))


@dataclass
class SlicePlan:
    """The slices of one query and the approximate number of issues it selects (None when unknown)."""

    slices: list[Slice]
    total: int | None = None
    resumed: bool = field(default=False, compare=False)
    # Issues whose pages were all posted in earlier runs of the plan (None: a checkpoint that did not say).
    imported: int | None = field(default=0, compare=False)
    # Server: the answer that told the total, which is the only slice's first page (never checkpointed).
    first_page: dict | None = field(default=None, compare=False, repr=False)

    def __repr__(self) -> str:
        """How the resume log names the plan."""
        left = sum(not s.done for s in self.slices)
        return f"{left} of {len(self.slices)} slices"

    def to_json(self) -> dict:
        """The plan as the checkpoint stores it."""
        return {"slices": [s.to_json() for s in self.slices], "total": self.total, "imported": self.imported}

    @classmethod
    def from_json(cls, data: dict) -> SlicePlan:
        """A plan read back from a checkpoint."""
        return cls([Slice.from_json(s) for s in data["slices"]], data.get("total"), resumed=True,
                   imported=data.get("imported"))

    def remaining(self) -> int | None:
        """About how many issues are left to import (the total is Cloud's estimate there), None when
        unknown."""
        if self.total is None or self.imported is None:
            return None
        return max(self.total - self.imported, 0)


def split_order_by(jql: str) -> tuple[str, str]:
    """The query's restriction and its ``ORDER BY`` clause (with the keyword; "" without one), found
    outside quoted strings."""
    quote = None
    upper = jql.upper()
    for index, char in enumerate(jql):
        if quote:
            quote = None if char == quote and jql[index - 1] != "\\" else quote
        elif char in "\"'":
            quote = char
        elif upper.startswith("ORDER", index) and (index == 0 or not jql[index - 1].isalnum()):
            rest = upper[index + 5:]
            if rest[:1].isspace() and rest.lstrip().startswith("BY"):
                return jql[:index].strip(), jql[index:].strip()
    return jql.strip(), ""


def restricted(where: str, clause: str) -> str:
    """``clause AND (where)``, or the clause alone when there is no restriction."""
    return f"{clause} AND ({where})" if where else clause


def window_clause(client: JiraClient, low: int | None, high: int | None) -> str:
    """The half-open ``created`` window [low, high) in JQL; None on a side leaves it open."""
    parts = ([f"created >= {client.jql_time(low)}"] if low is not None else []) + (
        [f"created < {client.jql_time(high)}"] if high is not None else [])
    return " AND ".join(parts)


def minute_boundary(client: JiraClient, moment: int) -> int | None:
    """The start of the Jira user's minute holding ``moment`` (epoch ms), None when that wall-clock
    minute happens twice (a daylight-saving fall back), since Jira could read it either way."""
    zone = client.time_zone()
    local = datetime.fromtimestamp(moment / 1000, zone).replace(second=0, microsecond=0)
    naive = local.replace(tzinfo=None)
    readings = {naive.replace(tzinfo=zone, fold=fold).timestamp() for fold in (0, 1)}
    return int(local.timestamp() * 1000) if len(readings) == 1 else None


def split_point(client: JiraClient, low: int | None, high: int | None) -> int | None:
    """A minute boundary strictly inside [low, high), near its middle; None when the window is too
    narrow to split."""
    start = EARLIEST if low is None else low
    end = int(time.time() * 1000) if high is None else high
    for shift in (0, 3_600_000, -3_600_000):  # an hour off the middle when the middle is ambiguous
        point = minute_boundary(client, (start + end) // 2 + shift)
        if point is not None and start < point < end:
            return point
    return None


def split_windows(client: JiraClient, count: Callable[[str], int | None], where: str, total: int,
                  target: int) -> list[tuple[int | None, int | None]]:
    """``created`` windows covering every issue of ``where``, each about ``target`` issues or fewer
    (a single minute holding more stays whole), adjacent small windows merged."""
    leaves: list[tuple[int | None, int | None, int]] = []

    def split(low: int | None, high: int | None, size: int) -> None:
        point = split_point(client, low, high) if size > target else None
        if point is None:
            leaves.append((low, high, size))
            return
        left = count(restricted(where, window_clause(client, low, point)))
        if left is None:  # no count to size the halves by: keep the window whole
            leaves.append((low, high, size))
            return
        left = min(left, size)
        split(low, point, left)
        split(point, high, size - left)

    split(None, None, total)
    merged: list[list] = []
    for low, high, size in leaves:
        if merged and merged[-1][2] + size <= target:
            merged[-1][1], merged[-1][2] = high, merged[-1][2] + size
        else:
            merged.append([low, high, size])
    return [(low, high) for low, high, _ in merged]


def windowed(client: JiraClient, count: Callable[[str], int | None], where: str, total: int | None,
             target: int) -> list[str]:
    """The JQL of the windows of ``where`` (one query when it is small enough or its size unknown)."""
    if total is None or total <= target:
        return [where]
    return [restricted(where, window_clause(client, low, high)) if (low, high) != (None, None) else where
            for low, high in split_windows(client, count, where, total, target)]


def slice_target(total: int, fetchers: int, ceiling: int | None = None) -> int:
    """How many issues a slice should hold: enough slices to keep every fetcher busy, none tiny."""
    size = max(MIN_SLICE_ISSUES, math.ceil(total / (fetchers * SLICES_PER_FETCHER)))
    return min(size, ceiling) if ceiling else size


def plan_slices(client: JiraClient, jql: str, fields: tuple[str, ...] = ALL_FIELDS) -> SlicePlan:
    """The slices of ``jql`` on this instance, whose issues are fetched with ``fields``: the query
    itself when it is small."""
    if client.detect_deployment() == "cloud":
        return plan_cloud(client, jql)
    return plan_server(client, jql, fields)


def plan_server(client: JiraClient, jql: str, fields: tuple[str, ...]) -> SlicePlan:
    """Data Center: the query as it is when startAt paging stays shallow, else ``created`` windows.
    The total comes with the query's first page, kept for the slice: a query too large for one slice
    wastes that one page instead of every import paying a round trip for a count."""
    first = client.search_server(jql, 0, client.page_size, fields)
    total = int(first.get("total") or 0)
    limit = client.deep_paging_limit
    if total <= limit:
        return SlicePlan([Slice(jql)], total, first_page=first)
    where, _order = split_order_by(jql)
    target = slice_target(total, client.fetch_concurrency, limit // 2)
    windows = windowed(client, client.server_count, where, total, target)
    return SlicePlan([Slice(w + WINDOW_ORDER) for w in windows], total)


def resume_or_plan(client: JiraClient, jql: str, cursor, fields: tuple[str, ...] = ALL_FIELDS) -> SlicePlan:
    """The plan a checkpoint's ``cursor`` holds, one slice from a single cursor (a checkpoint written
    before slices), or without a cursor a new plan."""
    if isinstance(cursor, SlicePlan):
        return cursor
    return plan_slices(client, jql, fields) if cursor is None else SlicePlan([Slice(jql, cursor)], resumed=True)


def plan_cloud(client: JiraClient, jql: str) -> SlicePlan:
    """Cloud: one slice per large project (split further into ``created`` windows when still large),
    small projects grouped; the query as it is when small or when no project is listed."""
    total = client.count_issues(jql)
    where, _order = split_order_by(jql)
    projects = [] if total is not None and total <= MIN_SLICE_ISSUES else listed_projects(client)
    if not projects:
        return SlicePlan([Slice(jql)], total)
    target = slice_target(total or 0, client.fetch_concurrency)
    with ThreadPoolExecutor(client.fetch_concurrency, thread_name_prefix="jira-plan") as pool:
        sized = list(pool.map(lambda p: project_size(client, where, p, target), projects))
        large = [(key, size) for key, size in sized if size is None or size > target]
        queries = [query for windows in pool.map(
            lambda p: windowed(client, client.count_issues, restricted(where, f'project = "{p[0]}"'), p[1], target),
            large) for query in windows]
    queries += [restricted(where, f"project in ({key_list(keys)})") for keys in group_small(sized, target)]
    # Issues of a project the listing did not show (one created during the run) come in a slice of their own.
    queries.append(restricted(where, f"project not in ({key_list(key for key, _ in projects)})"))
    return SlicePlan([Slice(q + WINDOW_ORDER) for q in queries], total)


def listed_projects(client: JiraClient) -> list[tuple[str, int | None]]:
    """The projects and their sizes, or none when Jira fails to list them (the query is then paged whole)."""
    try:
        return client.project_sizes()
    except JiraError:
        return []


def key_list(keys) -> str:
    """Project keys as a JQL list's items: ``"A", "B"``."""
    return ", ".join(f'"{key}"' for key in keys)


def project_size(client: JiraClient, where: str, project: tuple[str, int | None], target: int):
    """(key, issues of ``where`` in the project): the project's whole issue count when that is already
    small, else the query's approximate count there (None when unknown)."""
    key, whole = project
    if whole is not None and whole <= target:
        return key, whole
    return key, client.count_issues(restricted(where, f'project = "{key}"'))


def group_small(sized: list[tuple[str, int | None]], target: int) -> list[list[str]]:
    """Keys of the small projects in groups of about ``target`` issues (an empty project costs a group
    nothing, but is still searched, so an approximate count that lags loses no issue)."""
    groups: list[list[str]] = []
    filled = target + 1
    for key, size in sorted((s for s in sized if s[1] is not None and s[1] <= target), key=lambda s: s[1]):
        if filled + size > target or len(groups[-1]) >= MAX_KEYS_PER_SLICE:
            groups.append([])
            filled = 0
        groups[-1].append(key)
        filled += size
    return groups


def slice_pages(client: JiraClient, plan: SlicePlan, fields: tuple[str, ...]) -> Iterator[tuple[int, Page]]:
    """(slice index, page) of every unfinished slice, as pages arrive: up to ``fetch_concurrency``
    slices are paged at once, each one page after the other from its cursor (a single slice with
    ``fetch_concurrency`` pages ahead on Server). A slice's last page has
    no ``next_cursor`` (one without items closes a slice whose pages ran out without saying so)."""
    waiting = [index for index, s in enumerate(plan.slices) if not s.done][::-1]
    with ThreadPoolExecutor(client.fetch_concurrency, thread_name_prefix="jira-slice") as pool:
        running: dict[Future, tuple[int, Iterator[Page], object]] = {}
        while waiting or running:
            while waiting and len(running) < client.fetch_concurrency:
                index = waiting.pop()
                # Slices side by side are the concurrency: each pages one after the other, so that Jira
                # sees at most about fetch_concurrency searches and the pages held stay few.
                first = plan.first_page if plan.slices[index].cursor is None else None
                pages = client.issue_pages(plan.slices[index].jql, plan.slices[index].cursor, fields,
                                           ahead=1 if len(plan.slices) > 1 else None, first=first)
                running[pool.submit(next, pages, None)] = (index, pages, plan.slices[index].cursor)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index, pages, cursor = running.pop(future)
                page = future.result() or Page(cursor, [], None)
                yield index, page
                if page.next_cursor is not None:
                    running[pool.submit(next, pages, None)] = (index, pages, page.next_cursor)
