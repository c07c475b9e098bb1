"""A fake Jira over real HTTP and apps connected to it, on each database backend."""

import pytest

from app import create_app
from app.runtime import runtime_of
from tests.support.fake_jira import FakeJira, make_issues, make_projects, make_users
from tests.support.helpers import SECRET


def jira_overrides(database_url: str, jira: FakeJira, **more) -> dict:
    """Settings of an app reading `jira` with basic auth."""
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET, "JIRA_URL": jira.url,
            "JIRA_USER": jira.user, "JIRA_API_TOKEN": jira.token, **more}


@pytest.fixture(params=["server", "cloud"])
def jira(request):
    """A Jira of each flavour whose user reads JQL dates in New York time."""
    cloud = request.param == "cloud"
    with FakeJira(request.param, issues=make_issues(6), projects=make_projects(2), users=make_users(3, cloud),
                  page_cap=4, time_zone="America/New_York") as fake:
        yield fake


@pytest.fixture
def server_jira():
    with FakeJira("server", issues=make_issues(6), page_cap=4, time_zone="America/New_York") as fake:
        yield fake


def open_app(database_url: str, jira: FakeJira, **more):
    return create_app(jira_overrides(database_url, jira, **more))


@pytest.fixture
def jira_app(database_url, jira):
    application = open_app(database_url, jira)
    yield application
    runtime_of(application).store.close()


@pytest.fixture
def server_app(database_url, server_jira):
    application = open_app(database_url, server_jira)
    yield application
    runtime_of(application).store.close()
