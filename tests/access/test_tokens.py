"""The API token: generated once for every worker and instance on a database, or configured."""

import threading

import pytest
import sqlalchemy as sa

from app.access.tokens import api_token, ensure_api_token, rotate_api_token, token_banner
from app.catalog.engine import open_engine
from app.catalog.store import Store
from app.config import load_settings
from app.errors import ConfigError
from tests.support.helpers import run_in_threads


def test_of_processes_starting_together_exactly_one_generates_the_token(database_url):
    settings = load_settings({"DATABASE_URL": database_url}, environ={})
    engines = [open_engine(database_url) for _ in range(6)]
    Store(engines[0]).create_schema()
    generated, lock = [], threading.Lock()

    def start():
        with lock:
            engine = engines.pop()
        token = ensure_api_token(settings, engine)
        with lock:
            generated.append(token)
        engine.dispose()

    run_in_threads(start, 6)

    [token] = [t for t in generated if t]
    assert generated.count(None) == 5
    assert api_token(settings, open_engine(database_url)) == token


def test_a_configured_token_is_used_and_nothing_is_generated(engine):
    settings = load_settings({"CATALOG_API_TOKEN": "configured"}, environ={})

    assert ensure_api_token(settings, engine) is None
    assert api_token(settings, engine) == "configured"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM service_keys")).scalar_one() == 0
    with pytest.raises(ConfigError, match="CATALOG_API_TOKEN is set"):
        rotate_api_token(settings, engine)


def test_rotation_replaces_the_token_and_deletes_every_session(engine):
    settings = load_settings({}, environ={})
    old = ensure_api_token(settings, engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO ui_sessions VALUES ('d', '2026-01-01', '2999-01-01')"))

    new = rotate_api_token(settings, engine)

    assert new != old and api_token(settings, engine) == new
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ui_sessions")).scalar_one() == 0


def test_the_banner_shows_the_token_the_login_url_and_the_command():
    banner = token_banner("tok-123", "8000")

    assert "    tok-123\n" in banner and "http://localhost:8000/login" in banner
    assert "flask --app app api-token" in banner
