"""Reading issues, projects, users and teams from Jira Server/Data Center and Jira Cloud over REST.

Imports no more of the app than its errors, so the backfill script uses it without loading the web app.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from ..errors import BridgeError, ConfigError
from .retry import HttpClient, Pace, RetryPolicy

ALL_FIELDS = ("*all",)
# What a cheap listing asks for: the key comes with every issue, `updated` is its version.
LISTING_FIELDS = ("updated",)
CLOUD_SEARCH_PATHS = ("/rest/api/2/search/jql", "/rest/api/3/search/jql")
DEEP_PAGING_LIMIT = 10_000  # Server startAt past this is slow or refused on large instances


class JiraError(BridgeError):
    """Jira answered with an error we cannot retry."""

    status = 502
    reason = "jira_error"

    def __init__(self, message: str, jira_status: int | None = None):
        super().__init__(message)
        self.jira_status = jira_status


class JiraRejected(ConfigError):
    """Jira answered 400: the request (a JQL query, a parameter) is not one it accepts."""

    jira_status = 400


@dataclass(frozen=True)
class JiraSettings:
    """Where Jira is and how to authenticate; secrets are kept out of ``repr``."""

    url: str
    user: str | None = None
    token: str | None = field(default=None, repr=False)
    pat: str | None = field(default=None, repr=False)
    deployment: str = "auto"
    retries: int = 6
    retry_base: float = 0.5
    timeout: float = 30.0

    def secrets(self) -> list[str]:
        """The secret values to keep out of any output."""
        return [s for s in (self.token, self.pat) if s]


@dataclass
class Page:
    """One page of results, the cursor that fetched it (a startAt, or a Cloud nextPageToken) and the
    cursor of the page after it (None after the last)."""

    cursor: int | str | None
    items: list
    next_cursor: int | str | None = None
    total: int | None = None


def describe_error(response) -> str:
    """Jira's own error messages from a failed response, or its status line."""
    try:
        body = response.json()
        messages = list(body.get("errorMessages") or []) + [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    except (ValueError, AttributeError):
        messages = []
    return "; ".join(messages) or f"HTTP {response.status_code}"


class JiraClient:
    """Pages through one kind of Jira object, Server or Cloud style."""

    def __init__(self, settings: JiraSettings, page_size: int = 1000, fetch_concurrency: int = 4,
                 org_id: str | None = None, credentials_hint: str = ""):
        self.base = settings.url
        self.credentials_hint = credentials_hint
        self.org_id = org_id
        self.page_size = page_size
        self.fetch_concurrency = max(1, fetch_concurrency)
        self.deployment = settings.deployment if settings.deployment != "auto" else None
        headers = {"Accept": "application/json"}
        if settings.pat:
            headers["Authorization"] = f"Bearer {settings.pat}"
        auth = None if settings.pat else (settings.user, settings.token)
        self.pace = Pace(self.fetch_concurrency, settings.retry_base)
        self.http = HttpClient(RetryPolicy(settings.retries, settings.retry_base), settings.timeout, headers, auth,
                               self.pace)
        self.cloud_search_path = CLOUD_SEARCH_PATHS[0]
        self.zone: ZoneInfo | None = None
        self.deep_paging_limit = DEEP_PAGING_LIMIT

    def call(self, method: str, path: str, **kwargs):
        """JSON of a Jira call (None when empty); 401/403 and 400 are configuration errors, other failures
        JiraError."""
        response = self.http.request(method, self.base + path, **kwargs)
        if response.status_code in (401, 403):
            raise ConfigError(f"Jira refused the credentials ({response.status_code} on {path.split('?')[0]})"
                              + (f": check {self.credentials_hint}" if self.credentials_hint else ""))
        if response.status_code == 400:
            raise JiraRejected(f"Jira rejected the request: {describe_error(response)}")
        if not response.ok:
            raise JiraError(f"{method} {path.split('?')[0]}: {describe_error(response)}", response.status_code)
        return orjson.loads(response.content) if response.content else None

    def detect_deployment(self) -> str:
        """'cloud' or 'server' (Data Center counts as server), from serverInfo unless given."""
        if self.deployment is None:
            info = self.call("GET", "/rest/api/2/serverInfo")
            self.deployment = "cloud" if info.get("deploymentType") == "Cloud" else "server"
        return self.deployment

    def time_zone(self) -> ZoneInfo:
        """The Jira user's time zone (``/myself``), in which Jira reads the dates of a JQL query;
        UTC when Jira names none this machine knows."""
        if self.zone is None:
            name = (self.call("GET", "/rest/api/2/myself") or {}).get("timeZone") or "UTC"
            try:
                self.zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                self.zone = ZoneInfo("UTC")
        return self.zone

    def jql_time(self, epoch_ms: int) -> str:
        """A moment as a JQL date (``"2026-11-30 12:00"``, minutes only) in the Jira user's time zone,
        rounded down to the minute so that the query never starts after the moment."""
        moment = datetime.fromtimestamp(epoch_ms / 1000, self.time_zone())
        return moment.strftime('"%Y-%m-%d %H:%M"')

    def count_issues(self, jql: str) -> int | None:
        """Cloud's approximate issue count for a progress bar; None where the instance lacks it."""
        try:
            return int(self.call("POST", "/rest/api/3/search/approximate-count", json={"jql": jql})["count"])
        except (JiraError, ConfigError, KeyError, TypeError, ValueError):
            return None

    def pages(self, kind: str, jql: str, cursor=None, fields: tuple[str, ...] = ALL_FIELDS) -> Iterator[Page]:
        """Pages of ``kind`` objects from ``cursor`` on (None: the beginning); issues with ``fields``;
        releases, components, boards and sprints as app.jira.kinds reads them."""
        cloud = self.detect_deployment() == "cloud"
        if kind == "issue":
            return self.issue_pages(jql, cursor, fields)
        if kind == "project":
            return self.cloud_project_pages(cursor or 0) if cloud else self.server_project_pages()
        if kind == "team":
            if not cloud:
                raise ConfigError("teams come from the Atlassian Teams API, which only Jira Cloud has")
            return self.team_pages(cursor)
        if kind in ("release", "component", "board", "sprint"):
            from .kinds import object_pages  # imported here: kinds builds on this module's Page

            return object_pages(self, kind, cursor)
        return self.user_pages(cursor or 0, cloud)

    def issue_pages(self, jql: str, cursor=None, fields: tuple[str, ...] = ALL_FIELDS,
                    ahead: int | None = None, first: dict | None = None) -> Iterator[Page]:
        """Pages of the issues ``jql`` selects from ``cursor`` on, Cloud or Server style; on Server
        ``ahead`` pages at a time (default: the fetch concurrency), starting from ``first`` when that
        answer to the first search is already at hand."""
        if self.detect_deployment() == "cloud":
            return self.cloud_issue_pages(jql, cursor, fields)
        return self.server_issue_pages(jql, cursor or 0, fields, ahead or self.fetch_concurrency, first)

    def server_count(self, jql: str) -> int:
        """How many issues ``jql`` selects on Server (a search for no results still tells the total)."""
        return int(self.search_server(jql, 0, 0, ("id",)).get("total") or 0)

    def project_sizes(self) -> list[tuple[str, int | None]]:
        """Every project's key and whole issue count (None where Jira does not say), on Cloud."""
        sizes = []
        for page in self.cloud_project_pages(0):
            sizes += [(p["key"], (p.get("insight") or {}).get("totalIssueCount")) for p in page.items]
        return sizes

    def search_server(self, jql: str, start_at: int, max_results: int, fields: tuple[str, ...]) -> dict:
        """One /rest/api/2/search page with ``fields``."""
        body = {"jql": jql, "startAt": start_at, "maxResults": max_results, "fields": list(fields)}
        return self.call("POST", "/rest/api/2/search", json=body)

    def server_issue_pages(self, jql: str, start_at: int, fields: tuple[str, ...],
                           ahead: int | None = None, first: dict | None = None) -> Iterator[Page]:
        """Server search pages; once the first page (``first`` when already fetched) gives the total
        and the granted page size, the following pages are fetched ``ahead`` at a time (default: the
        fetch concurrency), still yielded in order."""
        ahead = ahead or self.fetch_concurrency
        if first is None:
            first = self.search_server(jql, start_at, self.page_size, fields)
        yield Page(start_at, first["issues"], start_at + len(first["issues"]), first.get("total"))
        size = first.get("maxResults") or len(first["issues"])
        total, offset = first.get("total") or 0, start_at + len(first["issues"])
        if not first["issues"] or size <= 0:
            return
        with ThreadPoolExecutor(ahead, thread_name_prefix="jira-fetch") as pool:
            pending: deque = deque()
            while True:
                while len(pending) < ahead and offset < total:
                    pending.append((offset, pool.submit(self.search_server, jql, offset, size, fields)))
                    offset += size
                if not pending:
                    return
                page_start, future = pending.popleft()
                result = future.result()
                total = result.get("total", total)
                yield Page(page_start, result["issues"], page_start + len(result["issues"]), total)

    def search_cloud(self, body: dict) -> dict:
        """One Cloud /search/jql page: version 2 (descriptions as text, as webhooks carry them), or
        version 3 where version 2 answers 404, remembered for the following pages."""
        try:
            return self.call("POST", self.cloud_search_path, json=body)
        except JiraError as exc:
            if exc.jira_status != 404 or self.cloud_search_path == CLOUD_SEARCH_PATHS[-1]:
                raise
        self.cloud_search_path = CLOUD_SEARCH_PATHS[-1]
        return self.call("POST", self.cloud_search_path, json=body)

    def cloud_issue_pages(self, jql: str, token: str | None, fields: tuple[str, ...]) -> Iterator[Page]:
        """Cloud /search/jql pages, chained by nextPageToken (so fetched one after the other)."""
        while True:
            body = {"jql": jql, "maxResults": self.page_size, "fields": list(fields)}
            if token:
                body["nextPageToken"] = token
            result = self.search_cloud(body)
            following = result.get("nextPageToken")
            last = not following or result.get("isLast") is True
            yield Page(token, result.get("issues") or [], None if last else following)
            if last:
                return
            token = following

    def server_project_pages(self) -> Iterator[Page]:
        """Server's project list comes whole in one response."""
        projects = self.call("GET", "/rest/api/2/project", params={"expand": "description,lead,url,insight"})
        yield Page(0, projects, None, len(projects))

    def cloud_project_pages(self, start_at: int) -> Iterator[Page]:
        """Cloud's paged project search."""
        while True:
            params = {"startAt": start_at, "maxResults": self.page_size, "expand": "description,lead,url,insight"}
            result = self.call("GET", "/rest/api/3/project/search", params=params)
            values = result.get("values") or []
            start_at += len(values)
            yield Page(start_at - len(values), values, start_at, result.get("total"))
            if not values or result.get("isLast", start_at >= (result.get("total") or 0)):
                return

    def user_pages(self, start_at: int, cloud: bool) -> Iterator[Page]:
        """Users paged by startAt; both flavours may return short pages early, so stop on an empty one."""
        path, params = ("/rest/api/3/users/search", {}) if cloud else (
            "/rest/api/2/user/search", {"username": ".", "includeInactive": "true"})
        while True:
            users = self.call("GET", path, params={**params, "startAt": start_at, "maxResults": self.page_size})
            if not users:
                return
            start_at += len(users)
            yield Page(start_at - len(users), users, start_at)

    def team_pages(self, cursor: str | None) -> Iterator[Page]:
        """Atlassian Teams API pages, chained by cursor; each team carries its members as ``__members``."""
        path = f"/gateway/api/public/teams/v1/org/{self.org_id}/teams"
        while True:
            result = self.call("GET", path, params={"cursor": cursor} if cursor else None) or {}
            teams = [{**team, "__members": self.team_members(team["teamId"])}
                     for team in result.get("entities") or []]
            following = result.get("cursor") or next_cursor(result)
            yield Page(cursor, teams, following if teams else None)
            if not teams or not following:
                return
            cursor = following

    def team_members(self, team_id: str) -> list[dict]:
        """Every member of a team ({"accountId": ...}), paged by ``after``."""
        path = f"/gateway/api/public/teams/v1/org/{self.org_id}/teams/{team_id}/members"
        members, after = [], None
        while True:
            body = {"first": 50, **({"after": after} if after else {})}
            result = self.call("POST", path, json=body) or {}
            members.extend(result.get("results") or [])
            after = next_cursor(result)
            if not after:
                return members


def next_cursor(result: dict) -> str | None:
    """The cursor of the next page from a ``pageInfo`` block, None on the last page."""
    info = result.get("pageInfo") or {}
    return info.get("endCursor") if info.get("hasNextPage") else None
