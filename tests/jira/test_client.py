"""The Jira client against a fake Jira over real HTTP: flavours, paging, the user's time zone, the
cheap listing and the version 3 fallback."""

from __future__ import annotations

import pytest

from app.errors import ConfigError
from app.jira.client import LISTING_FIELDS, JiraClient, JiraSettings
from tests.support.fake_jira import FakeJira, make_issues


def client_for(jira: FakeJira, page_size: int = 1000, **settings) -> JiraClient:
    return JiraClient(JiraSettings(url=jira.url, user=jira.user, token=jira.token, retry_base=0.0, **settings),
                      page_size)


def keys(client: JiraClient, jql: str = "created <= now()", fields=("*all",)) -> list[str]:
    return [issue["key"] for page in client.pages("issue", jql, fields=fields) for issue in page.items]


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_every_issue_is_paged_through_on_both_flavours(mode):
    issues = make_issues(25)
    with FakeJira(mode, issues=issues, page_cap=10) as jira:
        client = client_for(jira, page_size=10)
        assert client.detect_deployment() == mode
        assert keys(client) == [issue["key"] for issue in issues]
    paths = {request.path for request in jira.log if "search" in request.path}
    assert paths == ({"/rest/api/2/search/jql"} if mode == "cloud" else {"/rest/api/2/search"})


@pytest.mark.parametrize("mode", ["server", "cloud"])
def test_the_cheap_listing_asks_for_the_update_time_only(mode):
    with FakeJira(mode, issues=make_issues(3)) as jira:
        pages = list(client_for(jira).pages("issue", "created <= now()", fields=LISTING_FIELDS))
    listed = [issue for page in pages for issue in page.items]
    assert [set(issue["fields"]) for issue in listed] == [{"updated"}] * 3
    assert listed[0]["key"] == "PI-1"


def test_cloud_falls_back_to_version_3_where_version_2_answers_404():
    with FakeJira("cloud", issues=make_issues(12), page_cap=5, v2_search=False) as jira:
        assert len(keys(client_for(jira, page_size=5))) == 12
    paths = [request.path for request in jira.log if "search" in request.path]
    assert paths[0] == "/rest/api/2/search/jql" and set(paths[1:]) == {"/rest/api/3/search/jql"}
    assert len(paths) == 1 + 3  # version 2 is asked once, not on every page


@pytest.mark.parametrize("zone, expected", [("UTC", '"2024-01-05 10:05"'),
                                            ("America/New_York", '"2024-01-05 05:05"'),
                                            ("Asia/Kolkata", '"2024-01-05 15:35"'),
                                            ("Not/AZone", '"2024-01-05 10:05"')])
def test_jql_dates_are_written_in_the_jira_users_time_zone(zone, expected):
    moment = 1704449130000  # 2024-01-05T10:05:30Z: minutes only, rounded down
    with FakeJira("cloud", time_zone="UTC" if zone == "Not/AZone" else zone) as jira:
        client = client_for(jira)
        if zone == "Not/AZone":
            jira.myself = lambda request: (200, {"timeZone": "Not/AZone"}, {})
            jira.routes[("GET", "/rest/api/2/myself")] = jira.myself
        assert client.jql_time(moment) == expected
        assert client.jql_time(moment) == expected
    assert sum(request.path == "/rest/api/2/myself" for request in jira.log) == 1


def test_a_date_written_in_the_users_zone_selects_what_it_says():
    issues = make_issues(6)  # updated 2024-01-02 .. 2024-01-07 at 10:0n UTC
    with FakeJira("server", issues=issues, time_zone="Pacific/Auckland") as jira:
        client = client_for(jira)
        since = client.jql_time(1704621600000)  # 2024-01-07T10:00Z
        assert keys(client, f"updated >= {since}") == ["PI-6"]


def test_refused_credentials_are_a_configuration_error():
    with FakeJira("server") as jira:
        client = JiraClient(JiraSettings(url=jira.url, user=jira.user, token="wrong"))
        client.deployment = "server"
        with pytest.raises(ConfigError, match="Jira refused the credentials"):
            keys(client)
