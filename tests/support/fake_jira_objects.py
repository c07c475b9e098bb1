"""Releases, components, boards and sprints of the fake Jira, in the shapes of Jira's REST reference:
``/rest/api/2/project/{key}/versions`` and ``.../components`` answer plain JSON arrays (404 for an
unknown project); ``/rest/agile/1.0/board`` and ``/rest/agile/1.0/board/{id}/sprint`` answer pages
(``maxResults``, ``startAt``, ``isLast``, ``values``; at most 50 a page, as Jira grants), a board that
is not a scrum board answering 400 "The board does not support sprints", one in ``unavailable`` 503;
an instance without Jira Software (``software=False``) answers 404 on the agile API."""

from __future__ import annotations

import re

from tests.support.fake_http import Request

PROJECT_OBJECTS = re.compile(r"^/rest/api/2/project/([^/]+)/(versions|components)$")
BOARD_SPRINTS = re.compile(r"^/rest/agile/1\.0/board/(\d+)/sprint$")
AGILE_PAGE_CAP = 50


def make_versions(count: int, project_id: int, base: str = "https://jira.example.com",
                  first: int = 10000) -> list[dict]:
    """Versions of one project as /rest/api/2/project/{key}/versions lists them; the first is released."""
    return [{"self": f"{base}/rest/api/2/version/{first + n}", "id": str(first + n), "name": f"{n + 1}.0",
             "description": f"Version {n + 1}", "archived": False, "released": n == 0,
             "releaseDate": f"2024-0{1 + n % 9}-15", "userReleaseDate": "15/Jan/24", "overdue": False,
             "projectId": project_id} for n in range(count)]


def make_components(count: int, project_key: str, project_id: int, base: str = "https://jira.example.com",
                    first: int = 10000) -> list[dict]:
    """Components of one project as /rest/api/2/project/{key}/components lists them (Cloud's lead)."""
    return [{"self": f"{base}/rest/api/2/component/{first + n}", "id": str(first + n), "name": f"Component {n + 1}",
             "description": f"Part {n + 1}", "lead": {"accountId": f"acc-{n + 1}", "displayName": f"User {n + 1}"},
             "assigneeType": "PROJECT_LEAD", "realAssigneeType": "PROJECT_LEAD", "isAssigneeTypeValid": True,
             "project": project_key, "projectId": project_id} for n in range(count)]


def make_boards(count: int, project_key: str = "P1", base: str = "https://jira.example.com",
                kanban: tuple[int, ...] = ()) -> list[dict]:
    """Boards numbered 1..count as /rest/agile/1.0/board lists them; those in ``kanban`` are kanban boards."""
    return [{"id": n, "self": f"{base}/rest/agile/1.0/board/{n}", "name": f"Board {n}",
             "type": "kanban" if n in kanban else "scrum",
             "location": {"projectId": 10000, "projectKey": project_key, "projectName": "Project",
                          "displayName": f"Project ({project_key})", "projectTypeKey": "software"}}
            for n in range(1, count + 1)]


def make_sprints(count: int, board: int, base: str = "https://jira.example.com", first: int = 1) -> list[dict]:
    """Sprints created on ``board`` as /rest/agile/1.0/board/{id}/sprint lists them, closed to future."""
    states = ("closed", "active", "future")
    sprints = []
    for n in range(count):
        sprint = {"id": first + n, "self": f"{base}/rest/agile/1.0/sprint/{first + n}", "state": states[min(n, 2)],
                  "name": f"Sprint {first + n}", "originBoardId": board, "goal": f"Goal {first + n}"}
        if sprint["state"] != "future":
            sprint.update(startDate=f"2024-03-{1 + n:02d}T09:00:00.000Z", endDate=f"2024-03-{8 + n:02d}T17:00:00.000Z")
        if sprint["state"] == "closed":
            sprint["completeDate"] = f"2024-03-{8 + n:02d}T18:00:00.000Z"
        sprints.append(sprint)
    return sprints


class ObjectApi:
    """Mixed into FakeJira: ``versions`` and ``components`` by project key, ``boards``, and ``sprints``
    by board id (a sprint may be listed on several boards)."""

    versions: dict[str, list[dict]]
    components: dict[str, list[dict]]
    boards: list[dict]
    sprints: dict[int, list[dict]]
    software: bool
    projects: list[dict]
    page_cap: int
    # What a board without sprints answers, in the language of the Jira user.
    no_sprints_message = "The board does not support sprints"
    # Boards whose sprints answer 503, as an overloaded instance does.
    unavailable: frozenset[int] = frozenset()

    def object_handler(self, request: Request):
        """The handler of a release, component, board or sprint request, None for other paths."""
        if request.method != "GET":
            return None
        if PROJECT_OBJECTS.match(request.path):
            return self.project_objects
        if request.path == "/rest/agile/1.0/board" or BOARD_SPRINTS.match(request.path):
            return self.agile if self.software else None
        return None

    def project_objects(self, request: Request):
        """GET /rest/api/2/project/{key}/versions or .../components: every one, in one array."""
        key, collection = PROJECT_OBJECTS.match(request.path).groups()
        if key not in {project["key"] for project in self.projects}:
            return 404, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}, {}
        return 200, list((self.versions if collection == "versions" else self.components).get(key, [])), {}

    def agile(self, request: Request):
        """GET /rest/agile/1.0/board, or a board's sprints (400 on a board that is not a scrum board)."""
        match = BOARD_SPRINTS.match(request.path)
        if match is None:
            return 200, agile_page(self.boards, request, self.page_cap), {}
        board = next((b for b in self.boards if b["id"] == int(match.group(1))), None)
        if board is None:
            return 404, {"errorMessages": ["Board does not exist or you do not have permission to see it."],
                         "errors": {}}, {}
        if board["id"] in self.unavailable:
            return 503, {"errorMessages": ["Service unavailable"]}, {"Retry-After": "0"}
        if board["type"] != "scrum":
            return 400, {"errorMessages": [self.no_sprints_message], "errors": {}}, {}
        return 200, agile_page(self.sprints.get(board["id"], []), request, self.page_cap), {}


def agile_page(values: list[dict], request: Request, cap: int) -> dict:
    """One page of ``values`` at the request's startAt, as the agile API pages them (``cap`` at most)."""
    start = int(request.query.get("startAt", 0))
    size = min(int(request.query.get("maxResults", AGILE_PAGE_CAP)), AGILE_PAGE_CAP, cap)
    return {"maxResults": size, "startAt": start, "total": len(values), "isLast": start + size >= len(values),
            "values": values[start:start + size]}
