"""A fake Jira (Server/Data Center or Cloud) following the documented REST API, served over real HTTP.

Covers what the backfill, the reconcile passes and webhook registration use: serverInfo, ``/myself``
with the user's time zone, issue search (Server ``startAt`` paging with ``total``; Cloud ``/search/jql``
with ``nextPageToken``/``isLast`` and ``fields`` defaulting to ``id``, on version 2 or, with
``v2_search=False``, only on version 3; JQL dates such as ``updated >= "yyyy-MM-dd HH:mm"`` read in the
user's time zone), Cloud's approximate count, projects, users, Cloud's Atlassian Teams API (teams paged by
``cursor``, members by ``pageInfo``/``after``), releases, components, boards and sprints
(tests/support/fake_jira_objects.py) and the webhook registration APIs of each version
(tests/support/fake_jira_webhooks.py). Page sizes are capped like an instance setting; basic auth or
(Server) a personal access token is required. With ``GeneratedIssues`` it serves any number of minimal
issues without holding them, for benchmarks.
"""

from __future__ import annotations

import base64
import copy
import functools
import math
import re
import threading
import time
from datetime import UTC, datetime
from operator import ge, gt, le, lt
from zoneinfo import ZoneInfo

from app.ingest.versions import parse_jira_time
from tests.support.fake_http import JsonServer, Request
from tests.support.fake_jira_objects import ObjectApi
from tests.support.fake_jira_webhooks import WebhookAdmin
from tests.support.helpers import load_fixture

STATUSES = ("To Do", "In Progress", "Done")
JQL_CLAUSE = re.compile(r'^\s*(\w+)\s*(<=|>=|<|>|=|not\s+in|in)\s*(.+?)\s*$', re.IGNORECASE)
TEAMS_PATH = re.compile(r"^/gateway/api/public/teams/v1/org/([^/]+)/teams(?:/([^/]+)/members)?$")
ISSUE_PATH = re.compile(r"^/rest/api/2/issue/([^/]+)$")
# GET /rest/api/2/field as Jira Cloud answers it: system fields, then custom fields with their schema.
FIELD_LIST = [
    {"id": "summary", "key": "summary", "name": "Summary", "custom": False,
     "schema": {"type": "string", "system": "summary"}},
    {"id": "customfield_10020", "key": "customfield_10020", "name": "Sprint", "custom": True,
     "schema": {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint",
                "customId": 10020}},
    {"id": "customfield_10016", "key": "customfield_10016", "name": "Story point estimate", "custom": True,
     "schema": {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points", "customId": 10016}},
    {"id": "customfield_10028", "key": "customfield_10028", "name": "Story Points", "custom": True,
     "schema": {"type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
                "customId": 10028}},
]
JQL_FIELDS = {"status": lambda i: i["fields"]["status"]["name"], "project": lambda i: i["fields"]["project"]["key"],
              "key": lambda i: i["key"]}
JQL_DATES = ("created", "updated")
COMPARE = {"<=": le, ">=": ge, "<": lt, ">": gt}


def seed_issue() -> dict:
    """The issue object of the seed's example webhook payload."""
    return load_fixture("seed-issue-created.json")["issue"]


GENERATED_EPOCH = datetime(2020, 1, 1, tzinfo=UTC).timestamp()


def make_issues(count: int, base: str = "https://jira.example.com", project: str = "PI") -> list[dict]:
    """``count`` issues shaped like the seed's, with varied keys, summaries, statuses and update times."""
    template = seed_issue()
    issues = []
    for n in range(1, count + 1):
        issue = copy.deepcopy(template)
        issue.update(id=str(10000 + n), key=f"{project}-{n}", self=f"{base}/rest/api/2/issue/{10000 + n}")
        fields = issue["fields"]
        fields["summary"] = f"Issue number {n}"
        fields["description"] = f"Description of issue {n}" if n % 4 else None
        fields["status"] = {**fields["status"], "name": STATUSES[n % 3]}
        fields["updated"] = f"2024-01-{1 + n % 28:02d}T10:{n % 60:02d}:00.000+0000"
        fields["project"] = {**fields["project"], "key": project}
        issues.append(issue)
    return issues


def spread_created(issues: list[dict], start: str, step_seconds: float) -> list[dict]:
    """The issues with ``created`` from ``start`` (ISO, UTC) on, ``step_seconds`` apart (0: all alike)."""
    first = datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp()
    for n, issue in enumerate(issues):
        moment = datetime.fromtimestamp(first + n * step_seconds, UTC)
        issue["fields"]["created"] = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    return issues


class GeneratedIssues:
    """Minimal issues (key ``PI-n``, summary, status, created, updated), each made when a page asks for
    it, none held: a FakeJira of a million issues for benchmarks. Issue ``n`` was created ``n`` minutes
    after GENERATED_EPOCH, so ``created`` windows select a range of them; other clauses select all."""

    def __init__(self, count: int, base: str = "https://jira.example.com", first: int = 1):
        self.count, self.base, self.first = count, base, first

    def __len__(self) -> int:
        return max(0, self.count - self.first + 1)

    def __getitem__(self, window: slice) -> list[dict]:
        start, stop = self.first + window.start, min(self.first + window.stop, self.count + 1)
        return [self.issue(n) for n in range(start, stop)]

    def issue(self, n: int) -> dict:
        """Issue number ``n`` (1-based)."""
        created = datetime.fromtimestamp(GENERATED_EPOCH + n * 60, UTC).strftime("%Y-%m-%dT%H:%M:00.000+0000")
        return {"id": str(10000 + n), "key": f"PI-{n}", "self": f"{self.base}/rest/api/2/issue/{10000 + n}",
                "fields": {"summary": f"Issue {n}", "status": {"name": STATUSES[n % 3]}, "created": created,
                           "updated": f"2024-01-{1 + n % 28:02d}T10:{n % 60:02d}:00.000+0000"}}

    def matching(self, jql: str, zone: ZoneInfo) -> GeneratedIssues:
        """The issues of ``jql``'s ``created`` bounds (``>=``/``<`` a minute), in key (and creation) order."""
        first, last = self.first, self.count
        where = re.split(r"\s*ORDER\s+BY\s+", jql or "", flags=re.I)[0]
        for operator, value in re.findall(r'created\s*(>=|<)\s*"([^"]+)"', where, flags=re.I):
            minute = (datetime.fromisoformat(value).replace(tzinfo=zone).timestamp() - GENERATED_EPOCH) / 60
            if operator == ">=":
                first = max(first, math.ceil(minute))
            else:
                last = min(last, math.ceil(minute) - 1)
        return GeneratedIssues(max(last, first - 1), self.base, first)


def make_projects(count: int, base: str = "https://jira.example.com") -> list[dict]:
    """Projects as /rest/api/2/project lists them (without expansions)."""
    return [{"self": f"{base}/rest/api/2/project/{100 + n}", "id": str(100 + n), "key": f"P{n}",
             "name": f"Project {n}", "projectTypeKey": "software",
             "lead": {"accountId": f"lead-{n}", "displayName": f"Lead {n}"}} for n in range(1, count + 1)]


def make_users(count: int, cloud: bool) -> list[dict]:
    """Users shaped like Cloud (accountId) or Server (name, key, emailAddress)."""
    if cloud:
        return [{"accountId": f"acc-{n}", "displayName": f"User {n}", "active": True, "accountType": "atlassian"}
                for n in range(1, count + 1)]
    return [{"name": f"user{n}", "key": f"JIRAUSER{n}", "emailAddress": f"user{n}@example.com",
             "displayName": f"User {n}", "active": True} for n in range(1, count + 1)]


def parse_jql(jql: str, zone: ZoneInfo = ZoneInfo("UTC")):
    """A predicate for the small JQL subset tests use: clauses ``f = v`` / ``f in (a, b)`` / ``f not in``, and
    ``created``/``updated`` ``<=``/``>=``/``<``/``>`` ``now()`` or a date read in ``zone``, joined by AND
    (parentheses around clauses allowed); ORDER BY is ignored."""
    clauses = []
    for clause in re.split(r"\s+AND\s+", re.split(r"\s*ORDER\s+BY\s+", jql or "", flags=re.I)[0], flags=re.I):
        if not clause.strip():
            continue
        match = JQL_CLAUSE.match(unwrap(balance(clause.strip())))
        field = match.group(1).lower() if match else None
        if field in JQL_DATES and match.group(2) in COMPARE:
            clauses.append(date_clause(field, match.group(2), match.group(3), zone))
        elif field in JQL_FIELDS and match.group(2) not in COMPARE:
            values = {v.strip().strip('"\'') for v in match.group(3).strip("()").split(",")}
            outside = match.group(2)[:3].lower() == "not"
            clauses.append(lambda issue, get=JQL_FIELDS[field], values=values, outside=outside:
                           (get(issue) in values) != outside)
        else:
            raise ValueError(f"Error in the JQL Query: cannot parse {clause!r}")
    return lambda issue: all(matches(issue) for matches in clauses)


def balance(clause: str) -> str:
    """The clause without the parentheses it opens or closes for its neighbours (``(a`` or ``b)``)."""
    while clause.startswith("(") and clause.count("(") > clause.count(")"):
        clause = clause[1:].strip()
    while clause.endswith(")") and clause.count(")") > clause.count("("):
        clause = clause[:-1].strip()
    return clause


def unwrap(clause: str) -> str:
    """The clause without the parentheses around the whole of it."""
    while clause.startswith("(") and clause.endswith(")"):
        clause = clause[1:-1].strip()
    return clause


def date_clause(field: str, operator: str, value: str, zone: ZoneInfo):
    """A predicate comparing the issue's ``field`` time with ``now()`` or a quoted ``YYYY-MM-DD[ HH:MM]``
    read in ``zone``, as Jira reads JQL dates in the user's time zone."""
    value = value.strip().strip('"\'')
    bound = datetime.now(UTC) if value.lower() == "now()" else datetime.fromisoformat(value).replace(tzinfo=zone)
    limit, compare = int(bound.timestamp() * 1000), COMPARE[operator]
    return lambda issue: compare(jira_time(issue["fields"][field]), limit)


@functools.lru_cache(maxsize=100_000)
def jira_time(value: str) -> int | None:
    """``parse_jira_time``, remembered: every search reads the dates of every issue."""
    return parse_jira_time(value)


def select_fields(issue: dict, fields: list[str]) -> dict:
    """The issue as search returns it for the requested ``fields``."""
    if fields == ["id"]:
        return {"id": issue["id"]}
    chosen = issue["fields"] if {"*all", "*navigable"} & set(fields) else {
        k: v for k, v in issue["fields"].items() if k in fields}
    return {"expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": issue["id"], "self": issue["self"], "key": issue["key"], "fields": chosen}


def field_list(value) -> list[str] | None:
    """``fields`` from a JSON list or a comma-separated query parameter."""
    if value is None:
        return None
    return value if isinstance(value, list) else [f.strip() for f in value.split(",") if f.strip()]


def encode_token(offset: int) -> str:
    """An opaque nextPageToken."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_token(token: str) -> int:
    """The offset inside a token made by ``encode_token``."""
    return int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])


class FakeJira(JsonServer, WebhookAdmin, ObjectApi):
    """A Jira instance in ``mode`` "server" or "cloud" holding the given issues, projects, users,
    versions and components (by project key), boards and sprints (by board id);
    ``version`` is what serverInfo reports (default 9.12.2 on Server, Data Center before 10)."""

    def __init__(self, mode: str = "server", issues=(), projects=(), users=(), page_cap: int = 100,
                 latency: float = 0.0, user: str = "bot@example.com", token: str = "jira-token",
                 pat: str | None = None, approximate_count: bool = True, teams=(), members=None,
                 org_id: str = "org-1", stops_at: int | None = None, version: str | None = None,
                 time_zone: str = "UTC", v2_search: bool = True, versions=None, components=None,
                 boards=(), sprints=None, software: bool = True, page_delay: float = 0.0):
        super().__init__(latency)
        self.versions, self.components = dict(versions or {}), dict(components or {})
        self.boards, self.sprints, self.software = list(boards), dict(sprints or {}), software
        # Each issue search takes page_delay seconds; searches_in_flight[i] is how many were being
        # answered when search i arrived (itself included). near_limit marks every search answer
        # X-RateLimit-NearLimit: true; Server refuses startAt beyond max_start_at, as large instances do.
        self.page_delay, self.near_limit, self.max_start_at = page_delay, False, None
        self.searches_in_flight: list[int] = []
        self.searching, self.search_lock = 0, threading.Lock()
        self.version = version or ("1001.0.0-SNAPSHOT" if mode == "cloud" else "9.12.2")
        self.time_zone, self.v2_search = ZoneInfo(time_zone), v2_search
        # Search pages from this offset on answer 503 (with Retry-After: 0), as an overloaded instance does.
        self.fails_from: int | None = None
        # Server search answers empty pages from this startAt on while still announcing the full
        # total, as instances under index trouble do.
        self.stops_at = stops_at
        self.teams, self.members, self.org_id = list(teams), dict(members or {}), org_id
        self.mode, self.page_cap, self.user, self.token, self.pat = mode, page_cap, user, token, pat
        self.issues = issues if isinstance(issues, GeneratedIssues) else list(issues)
        self.projects, self.users = list(projects), list(users)
        self.approximate_count = approximate_count
        self.webhooks: dict[int, dict] = {}
        self.fields = copy.deepcopy(FIELD_LIST)
        self.routes = {
            ("GET", "/rest/api/2/serverInfo"): self.server_info,
            ("POST", "/rest/api/2/search"): self.paced(self.search_server),
            ("GET", "/rest/api/2/search"): self.paced(self.search_server),
            ("POST", "/rest/api/2/search/jql"): self.paced(self.search_cloud),
            ("GET", "/rest/api/2/search/jql"): self.paced(self.search_cloud),
            ("POST", "/rest/api/3/search/jql"): self.paced(self.search_cloud),
            ("GET", "/rest/api/3/search/jql"): self.paced(self.search_cloud),
            ("GET", "/rest/api/2/myself"): self.myself,
            ("POST", "/rest/api/3/search/approximate-count"): self.count,
            ("GET", "/rest/api/2/project"): self.list_projects,
            ("GET", "/rest/api/3/project/search"): self.search_projects,
            ("GET", "/rest/api/3/users/search"): self.search_users,
            ("GET", "/rest/api/2/user/search"): self.search_users,
        }

    @property
    def cloud(self) -> bool:
        """Whether this instance plays Jira Cloud."""
        return self.mode == "cloud"

    @property
    def major_version(self) -> int:
        """The first of serverInfo's versionNumbers."""
        return int(self.version.split(".")[0])

    def authorized(self, request: Request) -> bool:
        """Basic auth with the configured user and token, or (Server only) the personal access token."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return not self.cloud and self.pat is not None and header[7:] == self.pat
        expected = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        return header == f"Basic {expected}"

    def route(self, request: Request):
        """Dispatch to the matching API handler."""
        if request.path != "/rest/api/2/serverInfo" and not self.authorized(request):
            return 401, {"errorMessages": ["You are not authenticated."]}, {}
        handler = (self.routes.get((request.method, request.path)) or self.webhook_handler(request)
                   or self.object_handler(request))
        if request.path.startswith("/rest/api/2/search/jql") and not self.v2_search:
            handler = None
        if handler is None and TEAMS_PATH.match(request.path) and self.cloud:
            handler = self.teams_api
        if handler is None and request.method == "GET" and ISSUE_PATH.match(request.path):
            handler = self.get_issue
        if handler is None and (request.method, request.path) == ("GET", "/rest/api/2/field"):
            handler = self.list_fields
        if handler is None:
            return 404, {"errorMessages": ["Not found"]}, {}
        return handler(request)

    def params(self, request: Request) -> dict:
        """Query parameters merged with a JSON body (search accepts both)."""
        return {**request.query, **(request.json() or {})} if request.method == "POST" else dict(request.query)

    def server_info(self, request: Request):
        """GET /rest/api/2/serverInfo: open to anonymous callers, as on real instances."""
        numbers = [int(part) for part in self.version.split("-")[0].split(".")]
        return 200, {"baseUrl": self.url, "version": self.version, "versionNumbers": numbers,
                     "deploymentType": "Cloud" if self.cloud else "Server"}, {}

    def myself(self, request: Request):
        """GET /rest/api/2/myself: the signed-in user, with the time zone Jira reads JQL dates in."""
        return 200, {"name": self.user, "accountId": "acc-bot", "timeZone": str(self.time_zone)}, {}

    def matching(self, jql: str) -> list[dict]:
        """Issues matching the JQL, in key order (every one of GeneratedIssues)."""
        if isinstance(self.issues, GeneratedIssues):
            return self.issues.matching(jql, self.time_zone)
        test = parse_jql(jql, self.time_zone)
        return [i for i in self.issues if test(i)]

    def search_requests(self) -> list[dict]:
        """The parameters (JQL, fields, paging) of every issue search made so far."""
        paths = {"/rest/api/2/search", "/rest/api/2/search/jql", "/rest/api/3/search/jql"}
        return [self.params(r) for r in self.log if r.path in paths]

    def searches(self) -> list[str]:
        """The JQL of every issue search made so far."""
        return [params.get("jql", "") for params in self.search_requests()]

    def issue(self, key: str) -> dict:
        """The stored issue with this key."""
        return next(i for i in self.issues if i["key"] == key)

    def get_issue(self, request: Request):
        """GET /rest/api/2/issue/{idOrKey}: the whole issue; 404 for one Jira does not have."""
        wanted = ISSUE_PATH.match(request.path).group(1)
        found = next((i for i in self.issues if wanted in (i["id"], i["key"])), None)
        if found is None:
            return 404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."]}, {}
        return 200, found, {}

    def list_fields(self, request: Request):
        """GET /rest/api/2/field: every field, system and custom."""
        return 200, self.fields, {}

    def paced(self, answer):
        """Serve one search ``answer`` function page_delay seconds long, counting the searches in flight
        and adding the near-limit header when asked."""
        def serve(request: Request):
            with self.search_lock:
                self.searching += 1
                self.searches_in_flight.append(self.searching)
            try:
                time.sleep(self.page_delay)
                status, body, headers = answer(request)
            finally:
                with self.search_lock:
                    self.searching -= 1
            return status, body, {**headers, **({"X-RateLimit-NearLimit": "true"} if self.near_limit else {})}
        return serve

    def search_server(self, request: Request):
        """/rest/api/2/search: startAt paging with total; Cloud answers 410 as since 2025."""
        if self.cloud:
            return 410, {"errorMessages": ["The requested API has been removed. Use /rest/api/2/search/jql."]}, {}
        params = self.params(request)
        try:
            found = self.matching(params.get("jql", ""))
        except ValueError as exc:
            return 400, {"errorMessages": [str(exc)], "errors": {}}, {}
        start, size = int(params.get("startAt", 0)), min(int(params.get("maxResults", 50)), self.page_cap)
        if self.max_start_at is not None and start > self.max_start_at:
            return 400, {"errorMessages": [f"startAt {start} is beyond the instance's limit"], "errors": {}}, {}
        fields = field_list(params.get("fields")) or ["*navigable"]
        served = found if self.stops_at is None else found[:self.stops_at]
        return 200, {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(found),
                     "issues": [select_fields(i, fields) for i in served[start:start + size]]}, {}

    def search_cloud(self, request: Request):
        """/rest/api/2/search/jql: nextPageToken paging, isLast, fields defaulting to id; a query without
        a restriction is refused, as on Jira Cloud."""
        params = self.params(request)
        if not re.split(r"\s*ORDER\s+BY\s+", params.get("jql", ""), flags=re.I)[0].strip():
            return 400, {"errorMessages": ["Unbounded JQL queries are not allowed here. "
                                           "Please add a search restriction to your query."], "errors": {}}, {}
        try:
            found = self.matching(params.get("jql", ""))
        except ValueError as exc:
            return 400, {"errorMessages": [str(exc)], "errors": {}}, {}
        start = decode_token(params["nextPageToken"]) if params.get("nextPageToken") else 0
        if self.fails_from is not None and start >= self.fails_from:
            return 503, {"errorMessages": ["Service unavailable"]}, {"Retry-After": "0"}
        size = min(int(params.get("maxResults", 50)), self.page_cap)
        fields = field_list(params.get("fields")) or ["id"]
        body = {"issues": [select_fields(i, fields) for i in found[start:start + size]],
                "isLast": start + size >= len(found)}
        if not body["isLast"]:
            body["nextPageToken"] = encode_token(start + size)
        return 200, body, {}

    def count(self, request: Request):
        """POST /rest/api/3/search/approximate-count (Cloud only, and only when enabled)."""
        if not (self.cloud and self.approximate_count):
            return 404, {"errorMessages": ["Not found"]}, {}
        return 200, {"count": len(self.matching((request.json() or {}).get("jql", "")))}, {}

    def expanded_projects(self, request: Request) -> list[dict]:
        """Projects, with insight added when ``expand`` asks for it."""
        insight = "insight" in request.query.get("expand", "")
        return [{**p, "insight": {"totalIssueCount": len(self.matching(f"project = {p['key']}"))}} if insight else p
                for p in self.projects]

    def list_projects(self, request: Request):
        """GET /rest/api/2/project: every project in one list."""
        return 200, self.expanded_projects(request), {}

    def search_projects(self, request: Request):
        """GET /rest/api/3/project/search: paged values with isLast (50 at most per page)."""
        projects = self.expanded_projects(request)
        start, size = int(request.query.get("startAt", 0)), min(int(request.query.get("maxResults", 50)), 50)
        return 200, {"startAt": start, "maxResults": size, "total": len(projects),
                     "isLast": start + size >= len(projects), "values": projects[start:start + size]}, {}

    def search_users(self, request: Request):
        """Cloud /rest/api/3/users/search or Server /rest/api/2/user/search: a bare array by startAt."""
        if not self.cloud and request.query.get("username") is None:
            return 400, {"errorMessages": ["The username query parameter was not provided"]}, {}
        start, size = int(request.query.get("startAt", 0)), min(int(request.query.get("maxResults", 50)), 1000)
        return 200, self.users[start:start + size], {}

    def teams_api(self, request: Request):
        """GET .../org/<org>/teams (``entities``, ``cursor``) and POST .../teams/<id>/members
        (``results``, ``pageInfo``; ``first``/``after`` in the JSON body)."""
        org, team_id = TEAMS_PATH.match(request.path).groups()
        if org != self.org_id:
            return 404, {"message": "Organization not found"}, {}
        if team_id is None and request.method == "GET":
            start = decode_token(request.query["cursor"]) if request.query.get("cursor") else 0
            end = start + self.page_cap
            body = {"entities": self.teams[start:end]}
            if end < len(self.teams):
                body["cursor"] = encode_token(end)
            return 200, body, {}
        if team_id is not None and request.method == "POST":
            params = request.json() or {}
            start = decode_token(params["after"]) if params.get("after") else 0
            end = start + min(int(params.get("first", 50)), self.page_cap)
            ids = self.members.get(team_id, [])
            more = end < len(ids)
            return 200, {"results": [{"accountId": a} for a in ids[start:end]],
                         "pageInfo": {"hasNextPage": more, "endCursor": encode_token(end) if more else None}}, {}
        return 405, {"message": "Method not allowed"}, {}
