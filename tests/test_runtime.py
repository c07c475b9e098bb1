"""The Runtime attached to an app: its webhook and blueprint look-ups, reaching it, closing it."""

import pytest

from app import create_app
from app.errors import NotFound
from app.runtime import Runtime, current_runtime, runtime_of
from tests.support.helpers import SECRET, edit_jira, post_event, seed_payload


def test_runtime_of_gives_the_runtime_built_from_the_apps_settings(app, database_url):
    state = runtime_of(app)

    assert isinstance(state, Runtime) and state.settings.DATABASE_URL == database_url


def test_an_enabled_webhook_configuration_is_found(app):
    state = runtime_of(app)

    assert state.webhook("jira") is state.configs["jira"]


def test_an_unknown_webhook_is_not_found(app):
    with pytest.raises(NotFound) as caught:
        runtime_of(app).webhook("nope")

    assert caught.value.reason == "unknown_webhook" and "'nope'" in caught.value.message


def test_a_disabled_webhook_is_not_found(sqlite_url, mappings_dir):
    edit_jira(mappings_dir, lambda d: d.update(enabled=False))
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                      "MAPPINGS_DIR": str(mappings_dir)})
    state = runtime_of(app)
    try:
        assert state.configs["jira"].enabled is False
        with pytest.raises(NotFound) as caught:
            state.webhook("jira")
        assert caught.value.reason == "unknown_webhook"
    finally:
        state.close()


def test_a_loaded_blueprint_is_found(app):
    state = runtime_of(app)

    assert state.blueprint("jiraIssue") is state.blueprints["jiraIssue"]


def test_an_unknown_blueprint_is_not_found(app):
    with pytest.raises(NotFound) as caught:
        runtime_of(app).blueprint("jiraTicket")

    assert caught.value.reason == "unknown_blueprint" and "'jiraTicket'" in caught.value.message


def test_current_runtime_is_the_runtime_of_the_app_in_context(app):
    with app.app_context():
        assert current_runtime() is runtime_of(app)


def test_close_gives_back_every_database_connection(app, client):
    assert post_event(client, seed_payload()).status_code == 202
    state = runtime_of(app)
    assert state.store.engine.pool.checkedout() == 1

    state.close()

    assert state.store.committer.conn is None and state.store.engine.pool.checkedout() == 0
    assert state.forwarding.stop_event.is_set()
