"""Releases, components, boards and sprints over Jira REST, the same calls on Cloud and Data Center.

- releases and components: ``/rest/api/2/project/{key}/versions`` and ``.../components``, plain
  lists, one page per project (projects in key order, so a cursor is a project key);
- boards: ``/rest/agile/1.0/board``, paged by ``startAt`` until ``isLast``;
- sprints: ``/rest/agile/1.0/board/{id}/sprint`` of every board (boards in id order, so a cursor is
  ``"<board id>:<startAt>"``), each sprint once although it shows on every board whose filter covers
  its issues. Boards without sprints (kanban, some team-managed ones) answer 400, whatever the language
  of Jira's message: they are skipped.

The objects are what Jira's ``jira:version_*``, ``sprint_*`` and ``board_*`` webhooks carry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .client import JiraError, JiraRejected, Page

if TYPE_CHECKING:
    from .client import JiraClient

OBJECT_KINDS = ("release", "component", "board", "sprint")
PROJECT_COLLECTIONS = {"release": "versions", "component": "components"}
BOARDS_PATH = "/rest/agile/1.0/board"


def object_pages(client: JiraClient, kind: str, cursor: int | str | None) -> Iterator[Page]:
    """Pages of ``kind`` ("release", "component", "board" or "sprint") objects from ``cursor`` on."""
    if kind in PROJECT_COLLECTIONS:
        return project_object_pages(client, PROJECT_COLLECTIONS[kind], cursor)
    if kind == "board":
        return board_pages(client, int(cursor or 0))
    return sprint_pages(client, cursor)


def project_keys(client: JiraClient) -> list[str]:
    """Every project's key, in order."""
    return sorted(project["key"] for page in client.pages("project", "") for project in page.items)


def project_object_pages(client: JiraClient, collection: str, cursor: str | None) -> Iterator[Page]:
    """One page per project, from the project keyed ``cursor`` on (or the first key after it)."""
    keys = [key for key in project_keys(client) if cursor is None or key >= cursor]
    for index, key in enumerate(keys):
        following = keys[index + 1] if index + 1 < len(keys) else None
        yield Page(key, project_objects(client, key, collection), following)


def project_objects(client: JiraClient, key: str, collection: str) -> list[dict]:
    """A project's versions or components; none when the project went since it was listed."""
    try:
        return client.call("GET", f"/rest/api/2/project/{key}/{collection}") or []
    except JiraError as exc:
        if exc.jira_status == 404:
            return []
        raise


def agile_pages(client: JiraClient, path: str, start_at: int) -> Iterator[tuple[int, list, int | None]]:
    """(startAt, values, next startAt or None after the last) of a paged Jira Software resource."""
    while True:
        result = client.call("GET", path, params={"startAt": start_at, "maxResults": client.page_size}) or {}
        values = result.get("values") or []
        granted = result.get("maxResults") or client.page_size
        # Some instances leave isLast out: a short page is the last one then.
        last = not values or result.get("isLast", len(values) < granted) is True
        following = None if last else start_at + len(values)
        yield start_at, values, following
        if following is None:
            return
        start_at = following


def board_pages(client: JiraClient, start_at: int) -> Iterator[Page]:
    """Board pages; none on an instance without Jira Software (no agile API: 404)."""
    try:
        for start, values, following in agile_pages(client, BOARDS_PATH, start_at):
            yield Page(start, values, following)
    except JiraError as exc:
        if exc.jira_status != 404:
            raise
        yield Page(start_at, [], None)


def board_ids(client: JiraClient) -> list[int]:
    """Every board's id, in order."""
    return sorted(board["id"] for page in board_pages(client, 0) for board in page.items)


def sprint_pages(client: JiraClient, cursor: str | None) -> Iterator[Page]:
    """Sprint pages board after board from ``cursor`` (``"<board id>:<startAt>"``) on, each sprint
    in the first page that shows it."""
    first_board, first_start = parse_sprint_cursor(cursor)
    boards = [board for board in board_ids(client) if board >= first_board]
    seen: set = set()
    for index, board in enumerate(boards):
        after = f"{boards[index + 1]}:0" if index + 1 < len(boards) else None
        start = first_start if board == first_board else 0
        for page_start, sprints, following in board_sprints(client, board, start):
            fresh = [sprint for sprint in sprints if sprint["id"] not in seen]
            seen.update(sprint["id"] for sprint in sprints)
            yield Page(f"{board}:{page_start}", fresh, after if following is None else f"{board}:{following}")


def board_sprints(client: JiraClient, board: int, start_at: int) -> Iterator[tuple[int, list, int | None]]:
    """The sprint pages of one board; a single empty one when the board has no sprints."""
    listed = bool(start_at)
    try:
        for page in agile_pages(client, f"{BOARDS_PATH}/{board}/sprint", start_at):
            listed = True
            yield page
    except JiraRejected:
        # The parameters are the client's own, so a 400 on a board's first page is the board having no
        # sprints; past it the board had some, and the listing must not go on without them.
        if listed:
            raise
        yield start_at, [], None


def parse_sprint_cursor(cursor: str | None) -> tuple[int, int]:
    """(board id, startAt) of a sprint cursor; (0, 0) for the beginning."""
    if not cursor:
        return 0, 0
    try:
        board, start = str(cursor).split(":")
        return int(board), int(start)
    except ValueError:
        raise ConfigError(f"sprint checkpoint cursor {cursor!r} is not <board id>:<startAt>: "
                          "drop --resume or pass another --checkpoint") from None
