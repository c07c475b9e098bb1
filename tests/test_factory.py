"""The app factory: bad settings or mappings stop it; the app it builds serves and has its commands."""

import logging

import pytest

from app import create_app
from app.errors import ConfigError
from app.factory import check_startup
from app.runtime import runtime_of
from tests.support.helpers import SECRET, edit_jira


def test_create_app_stops_on_bad_settings(tmp_path):
    with pytest.raises(ConfigError, match="MAX_BODY_BYTES"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "MAX_BODY_BYTES": "lots"})
    with pytest.raises(ConfigError, match="ALLOW_UNSIGNED_WEBHOOKS"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "ALLOW_UNSIGNED_WEBHOOKS": "maybe"})
    with pytest.raises(ConfigError, match="MAPPINGS_DIR"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "MAPPINGS_DIR": str(tmp_path / "no")})


def test_create_app_stops_on_bad_mapping(mappings_dir, tmp_path):
    edit_jira(mappings_dir, lambda d: d["mappings"][0]["entity"].update(identifier="."))
    edit_jira(mappings_dir, lambda d: d["mappings"][0]["entity"].update(title="(("))
    with pytest.raises(ConfigError, match="entity.title"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "MAPPINGS_DIR": str(mappings_dir)})


def test_the_created_app_serves_healthz(client):
    response = client.get("/healthz")

    assert response.status_code == 200 and response.get_json() == {"ok": True}


def test_the_created_app_registers_its_flask_commands(app):
    commands = app.cli.commands

    assert {"replay", "prune-events", "upgrade-db", "outbox"} <= set(commands)
    assert set(commands["outbox"].commands) == {"retry", "resync", "status"}


def test_a_short_api_token_is_warned_about_at_the_web_servers_start(sqlite_url, caplog):
    with caplog.at_level(logging.WARNING, logger="jira_catalog_bridge"):
        check_startup({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                       "CATALOG_API_TOKEN": "short"})

    assert any("CATALOG_API_TOKEN is shorter" in r.getMessage() for r in caplog.records)


def test_building_the_app_warns_about_nothing(sqlite_url, caplog):
    with caplog.at_level(logging.INFO, logger="jira_catalog_bridge"):
        app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": "",
                          "CATALOG_API_TOKEN": "short"})
    runtime_of(app).store.close()

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
