"""Releases, components, boards and sprints read from a fake Jira over real HTTP, on both flavours:
per-project lists, agile paging, boards without sprints, sprints shared by boards, resume cursors."""

from __future__ import annotations

import pytest

from app.errors import ConfigError
from app.jira.client import JiraClient, JiraSettings
from tests.support.fake_jira import FakeJira, make_projects
from tests.support.fake_jira_objects import make_boards, make_components, make_sprints, make_versions


def client_for(jira: FakeJira, page_size: int = 1000) -> JiraClient:
    return JiraClient(JiraSettings(url=jira.url, user=jira.user, token=jira.token, retry_base=0.0), page_size)


def scrum_jira(mode: str = "server", **more) -> FakeJira:
    """Boards 1-4 (3 a kanban board); 7 sprints on board 1, sprint 5 also on board 2, 1 sprint on board 4."""
    sprints = {1: make_sprints(7, 1), 2: [make_sprints(7, 1)[4], *make_sprints(2, 2, first=20)],
               4: make_sprints(1, 4, first=40)}
    return FakeJira(mode, boards=make_boards(4, kanban=(3,)), sprints=sprints, page_cap=3, **more)


def ids(pages) -> list:
    return [item["id"] for page in pages for item in page.items]


PROJECT_OBJECTS = {
    "release": ("versions", {"P1": make_versions(1, 101, first=100), "P2": make_versions(2, 102, first=200)}),
    "component": ("components", {"P1": make_components(1, "P1", 101, first=100),
                                 "P2": make_components(2, "P2", 102, first=200)}),
}


@pytest.mark.parametrize("mode", ["server", "cloud"])
@pytest.mark.parametrize("kind", sorted(PROJECT_OBJECTS))
def test_releases_and_components_come_one_page_per_project_in_key_order(mode, kind):
    collection, objects = PROJECT_OBJECTS[kind]
    with FakeJira(mode, projects=make_projects(3)[::-1], **{collection: objects}) as jira:
        pages = list(client_for(jira).pages(kind, ""))
        resumed = list(client_for(jira).pages(kind, "", cursor="P2"))
    assert [(page.cursor, page.next_cursor) for page in pages] == [("P1", "P2"), ("P2", "P3"), ("P3", None)]
    assert ids(pages) == ["100", "200", "201"]
    assert ids(resumed) == ["200", "201"]


def test_a_project_gone_since_the_listing_has_no_releases():
    with FakeJira("server", projects=make_projects(1), versions={"P1": make_versions(1, 101)}) as jira:
        jira.projects.append({"key": "ZZ"})
        listing = client_for(jira).pages("release", "")
        assert len(next(listing).items) == 1
        jira.projects.pop()
        assert [(page.cursor, page.items) for page in listing] == [("ZZ", [])]


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_boards_are_paged_until_the_last_page(mode):
    with FakeJira(mode, boards=make_boards(7), page_cap=3) as jira:
        pages = list(client_for(jira).pages("board", ""))
        resumed = list(client_for(jira).pages("board", "", cursor=6))
    assert [(page.cursor, page.next_cursor) for page in pages] == [(0, 3), (3, 6), (6, None)]
    assert ids(pages) == list(range(1, 8))
    assert ids(resumed) == [7]


def test_an_instance_without_jira_software_has_no_boards_or_sprints():
    with FakeJira("cloud", software=False) as jira:
        assert ids(client_for(jira).pages("board", "")) == []
        assert ids(client_for(jira).pages("sprint", "")) == []


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_sprints_of_every_board_once_each_and_the_kanban_board_skipped(mode):
    with scrum_jira(mode) as jira:
        pages = list(client_for(jira).pages("sprint", ""))
    assert ids(pages) == [1, 2, 3, 4, 5, 6, 7, 20, 21, 40]
    assert [(page.cursor, page.next_cursor) for page in pages] == [
        ("1:0", "1:3"), ("1:3", "1:6"), ("1:6", "2:0"), ("2:0", "3:0"), ("3:0", "4:0"), ("4:0", None)]
    asked = [request.path for request in jira.log if request.path.endswith("/sprint")]
    assert "/rest/agile/1.0/board/3/sprint" in asked


def test_sprints_resume_at_the_board_and_page_of_the_cursor():
    with scrum_jira() as jira:
        assert ids(client_for(jira).pages("sprint", "", cursor="1:6")) == [7, 5, 20, 21, 40]
        assert ids(client_for(jira).pages("sprint", "", cursor="2:0")) == [5, 20, 21, 40]
        with pytest.raises(ConfigError, match="--resume"):
            list(client_for(jira).pages("sprint", "", cursor="board-2"))


def test_a_rejection_past_a_boards_first_page_stops_the_listing():
    with scrum_jira() as jira:
        listing = client_for(jira).pages("sprint", "")
        next(listing)
        jira.inject(1, 400)
        with pytest.raises(ConfigError, match="injected"):
            list(listing)


def test_a_board_without_sprints_is_skipped_whatever_the_language_of_jiras_answer():
    with scrum_jira() as jira:
        jira.no_sprints_message = "Das Board unterstützt keine Sprints"
        assert ids(client_for(jira).pages("sprint", "", cursor="2:0")) == [5, 20, 21, 40]
