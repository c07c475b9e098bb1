"""Fixtures: the app on SQLite and PostgreSQL, its test client, and a live HTTP server."""

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.catalog.tables import define_outbox_table
from app.config import PortSettings
from app.port.client import PortClient
from app.port.outbox import Outbox
from app.runtime import runtime_of
from tests.support.clients import ApiClient
from tests.support.fake_port import FakePort
from tests.support.helpers import SECRET, load_fixture, serve_http
from tests.support.port_helpers import shipped_blueprint
from tests.support.served import procfile_web
from tests.support.ui_helpers import copy_mappings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_reachable():
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_available():
    available = postgres_reachable()
    if not available and os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but {POSTGRES_URL} does not answer")
    return available


@pytest.fixture
def postgres_url(postgres_available):
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable at " + POSTGRES_URL)
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request):
    """Each test using this runs once per database backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(autouse=True)
def api_clients(monkeypatch):
    """Every `app.test_client()` sends the app's API token (tests/support/clients.py); tests of
    anonymous access use `anonymous_client`."""
    monkeypatch.setattr(Flask, "test_client_class", ApiClient)


@pytest.fixture
def settings_overrides(database_url):
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET}


@pytest.fixture
def app(settings_overrides):
    application = create_app(settings_overrides)
    yield application
    runtime_of(application).store.close()


@pytest.fixture
def another_app(app, settings_overrides):
    """A second app on the same database as `app`: another worker or instance."""
    second = create_app(settings_overrides)
    yield second
    runtime_of(second).store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def engine(app):
    return runtime_of(app).store.engine


@pytest.fixture
def mappings_dir(tmp_path):
    """A writable copy of the shipped mappings folder (its blueprints included)."""
    return Path(copy_mappings(tmp_path))


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1; yields its base URL."""
    with serve_http(app) as base:
        yield base


@pytest.fixture
def served(tmp_path):
    """The Procfile's web process (two workers) on a SQLite file, in the default configuration;
    yields a tests.support.served.Served (base URL, the token it printed)."""
    with procfile_web(f"sqlite:///{tmp_path}/served.db", 2, tmp_path / "served.log") as server:
        yield server


# Port forwarding: the fake Port API and the fixtures its tests share.

@pytest.fixture
def issue_blueprint():
    """The shipped jiraIssue blueprint."""
    return shipped_blueprint("jiraIssue")


@pytest.fixture
def seed_entity():
    """The entity the seed's example payload must produce."""
    return load_fixture("seed-issue-created.expected-entity.json")


@pytest.fixture
def fake_port(issue_blueprint):
    """A running fake Port that knows the jiraIssue blueprint."""
    fake = FakePort().start()
    fake.add_blueprint(issue_blueprint)
    yield fake
    fake.stop()


@pytest.fixture
def port_client(fake_port):
    return PortClient(fake_port.base_url, "test-client", "test-secret", timeout=2.0)


@pytest.fixture
def forwarding(app):
    """The app's Port forwarding, stopped after the test."""
    setup = runtime_of(app).forwarding
    yield setup
    setup.stop(timeout=10)


@pytest.fixture
def fast_settings():
    """Delivery settings with backoffs short enough for tests."""
    return PortSettings(backoff_base=0.01, backoff_max=0.05, poll_interval=0.01)


@pytest.fixture
def outbox_db(database_url):
    """`(engine, outbox)` with an empty outbox table, once per database backend."""
    engine = sa.create_engine(database_url)
    metadata = sa.MetaData()
    outbox = Outbox(define_outbox_table(metadata))
    metadata.create_all(engine)
    yield engine, outbox
    engine.dispose()
