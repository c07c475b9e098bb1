"""Settings: parsing booleans, numbers and URLs, the PORT_* names, defaults and startup checks."""

import pytest

from app.config import PORT_SETTING_NAMES, SERVER_SETTINGS, PortSettings, load_settings, server_setting
from app.errors import ConfigError


def settings(**overrides):
    """Settings from `overrides` alone: the real environment never leaks in."""
    return load_settings(overrides, environ={})


@pytest.mark.parametrize("name, raw", [
    ("ALLOW_UNSIGNED_WEBHOOKS", "maybe"), ("CREATE_MISSING_RELATED_ENTITIES", "2"),
    ("MAX_BODY_BYTES", "lots"), ("EVENT_RETENTION_DAYS", "-1"), ("MAX_JSON_DEPTH", "1.5"),
    ("MAX_ENTITIES_PER_EVENT", "0"), ("MAX_ENTITIES_PER_EVENT", "many"),
    ("MAX_EVENTS_PER_REQUEST", "0"), ("MAX_EVENTS_PER_REQUEST", "lots"), ("MAX_ENTITIES_PER_REQUEST", "0"),
])
def test_a_bad_boolean_or_whole_number_names_its_setting(name, raw):
    with pytest.raises(ConfigError, match=f"setting {name}:"):
        settings(**{name: raw})


def test_booleans_and_whole_numbers_are_read_from_their_words():
    read = settings(ALLOW_UNSIGNED_WEBHOOKS=" Yes ", CREATE_MISSING_RELATED_ENTITIES="off",
                    MAX_BODY_BYTES="1024", EVENT_RETENTION_MAX_EVENTS=" 7 ",
                    MAX_ENTITIES_PER_EVENT="20000", MAX_EVENTS_PER_REQUEST="50",
                    MAX_ENTITIES_PER_REQUEST=" 300 ")

    assert read.ALLOW_UNSIGNED_WEBHOOKS is True and read.CREATE_MISSING_RELATED_ENTITIES is False
    assert (read.MAX_BODY_BYTES, read.EVENT_RETENTION_MAX_EVENTS) == (1024, 7)
    assert read.MAX_ENTITIES_PER_EVENT == 20000
    assert (read.MAX_EVENTS_PER_REQUEST, read.MAX_ENTITIES_PER_REQUEST) == (50, 300)


@pytest.mark.parametrize("name, raw", [
    ("JQ_TIMEOUT_SECONDS", "0"), ("JQ_TIMEOUT_SECONDS", "soon"), ("JQ_MEMORY_MB", "32"),
    ("JQ_WORKERS", "0"), ("PLAYGROUND_CONCURRENCY", "0"), ("PLAYGROUND_CONCURRENCY", "two"),
])
def test_a_bad_jq_limit_names_its_setting(name, raw):
    with pytest.raises(ConfigError, match=f"setting {name}:"):
        settings(**{name: raw})


def test_jq_limits_are_read_with_their_defaults():
    assert (settings().JQ_TIMEOUT_SECONDS, settings().JQ_MEMORY_MB) == (3.0, 512)
    read = settings(JQ_TIMEOUT_SECONDS="0.5", JQ_MEMORY_MB="128", JQ_WORKERS="3",
                    PLAYGROUND_CONCURRENCY="4")
    assert (read.JQ_TIMEOUT_SECONDS, read.JQ_MEMORY_MB, read.JQ_WORKERS,
            read.PLAYGROUND_CONCURRENCY) == (0.5, 128, 3, 4)


def test_overrides_take_precedence_over_the_environment():
    read = load_settings({"METRICS_TOKEN": "override"},
                         environ={"METRICS_TOKEN": "environment", "CATALOG_API_TOKEN": "environment"})

    assert (read.METRICS_TOKEN, read.CATALOG_API_TOKEN) == ("override", "environment")


def test_port_settings_default_to_forwarding_off():
    port = settings().port

    assert port == PortSettings() and port.enabled is False
    assert port.base_url == "https://api.getport.io"


def test_port_settings_are_read_from_their_port_names():
    raw = {"client_id": "id", "client_secret": "secret", "base_url": "http://port.test",
           "initialize_resources": "false", "run_in_web": "true", "merge": "yes",
           "create_missing_related_entities": "on", "bulk": "no", "batch_size": "7",
           "backoff_base": "0.5", "backoff_max": "9", "lease_seconds": "60",
           "poll_interval": "0.25", "timeout": "3", "retention_days": "2"}
    assert set(raw) == set(PORT_SETTING_NAMES)
    port = settings(**{PORT_SETTING_NAMES[field]: value for field, value in raw.items()}).port

    assert port == PortSettings(
        client_id="id", client_secret="secret", base_url="http://port.test",
        initialize_resources=False, run_in_web=True, merge=True,
        create_missing_related_entities=True, bulk=False, batch_size=7, backoff_base=0.5,
        backoff_max=9.0, lease_seconds=60.0, poll_interval=0.25, timeout=3.0, retention_days=2.0)


@pytest.mark.parametrize("client_id, client_secret, enabled", [
    ("id", "secret", True), ("id", "", False), ("", "secret", False),
])
def test_forwarding_is_enabled_only_with_both_credentials(client_id, client_secret, enabled):
    port = settings(PORT_CLIENT_ID=client_id, PORT_CLIENT_SECRET=client_secret).port

    assert port.enabled is enabled


@pytest.mark.parametrize("name, raw", [
    ("PORT_WORKER_POLL_SECONDS", "0"), ("PORT_TIMEOUT_SECONDS", "-1"),
    ("PORT_WORKER_BATCH_SIZE", "1.5"), ("PORT_MERGE", "maybe"),
    ("PORT_BACKOFF_MAX_SECONDS", "nan"), ("PORT_BACKOFF_BASE_SECONDS", "inf"),
    ("PORT_BACKOFF_MAX_SECONDS", "1e300"), ("PORT_OUTBOX_RETENTION_DAYS", "1e7"),
    ("JQ_TIMEOUT_SECONDS", "nan"),
])
def test_a_bad_port_setting_names_itself(name, raw):
    with pytest.raises(ConfigError, match=f"setting {name}:"):
        settings(**{name: raw})


@pytest.mark.parametrize("url", ["api.getport.io", "ftp://api.getport.io"])
def test_port_base_url_must_be_http_or_https(url):
    with pytest.raises(ConfigError, match="PORT_BASE_URL"):
        settings(PORT_BASE_URL=url)


def test_an_empty_port_base_url_means_the_default():
    assert settings(PORT_BASE_URL="").port.base_url == "https://api.getport.io"


@pytest.mark.parametrize("url", ["postgres://u:p@db.test/catalog", "postgresql://u:p@db.test/catalog"])
def test_postgres_urls_are_given_the_psycopg_driver(url):
    assert settings(DATABASE_URL=url).DATABASE_URL == "postgresql+psycopg://u:p@db.test/catalog"


def test_a_database_url_of_another_kind_is_refused():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        settings(DATABASE_URL="mysql://u@db.test/catalog")


def test_sqlite_synchronous_is_upper_cased():
    assert settings(SQLITE_SYNCHRONOUS="normal").SQLITE_SYNCHRONOUS == "NORMAL"


def test_an_unknown_sqlite_synchronous_is_refused():
    with pytest.raises(ConfigError, match="SQLITE_SYNCHRONOUS"):
        settings(SQLITE_SYNCHRONOUS="off")


def test_log_format_is_json_by_default_text_on_request_and_nothing_else():
    assert load_settings(environ={}).LOG_FORMAT == "json"
    assert load_settings({"LOG_FORMAT": " Text "}, environ={}).LOG_FORMAT == "text"
    with pytest.raises(ConfigError, match="setting LOG_FORMAT: expected json or text, got 'xml'"):
        load_settings({"LOG_FORMAT": "xml"}, environ={})


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "", "2.5"])
def test_a_bad_server_setting_names_itself(raw):
    with pytest.raises(ConfigError, match=f"setting WEB_CONCURRENCY: expected a whole number of at "
                                          f"least 1, got {raw!r}"):
        server_setting("WEB_CONCURRENCY", {"WEB_CONCURRENCY": raw})


def test_server_settings_have_their_defaults():
    assert [server_setting(name, {}) for name in SERVER_SETTINGS] == [8000, 2, 16, 5]
    assert server_setting("WEB_CONCURRENCY", {"WEB_CONCURRENCY": "4"}) == 4


def test_jira_is_off_by_default_and_reconcile_has_its_defaults():
    settings = load_settings(environ={})
    assert settings.JIRA_URL == "" and settings.RECONCILE_WEBHOOK == ""
    assert (settings.RECONCILE_INTERVAL_SECONDS, settings.RECONCILE_FULL_INTERVAL_SECONDS) == (900, 86400)


@pytest.mark.parametrize("environ", [
    {"JIRA_URL": "https://jira.example.com/", "JIRA_USER": "bot@example.com", "JIRA_API_TOKEN": "t"},
    {"JIRA_URL": "https://jira.example.com", "JIRA_PAT": "p"}])
def test_jira_takes_basic_credentials_or_a_personal_access_token(environ):
    assert load_settings(environ=environ).JIRA_URL == "https://jira.example.com"


@pytest.mark.parametrize("environ, named", [
    ({"JIRA_URL": "https://jira.example.com"}, "JIRA_URL"),
    ({"JIRA_URL": "jira.example.com", "JIRA_PAT": "p"}, "JIRA_URL"),
    ({"JIRA_URL": "https://j", "JIRA_PAT": "p", "JIRA_USER": "u", "JIRA_API_TOKEN": "t"}, "JIRA_PAT"),
    ({"JIRA_URL": "https://j", "JIRA_USER": "u"}, "JIRA_API_TOKEN"),
    ({"JIRA_URL": "https://j", "JIRA_API_TOKEN": "t"}, "JIRA_USER"),
    ({"RECONCILE_INTERVAL_SECONDS": "-1"}, "RECONCILE_INTERVAL_SECONDS"),
    ({"RECONCILE_FULL_INTERVAL_SECONDS": "daily"}, "RECONCILE_FULL_INTERVAL_SECONDS")])
def test_bad_jira_or_reconcile_settings_name_the_setting(environ, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(environ=environ)


def test_jira_secrets_stay_out_of_the_settings_repr():
    settings = load_settings(environ={"JIRA_URL": "https://j", "JIRA_USER": "u", "JIRA_API_TOKEN": "tok-123"})
    assert "tok-123" not in repr(settings)


def test_reconcile_jql_is_a_scope_without_an_order():
    assert load_settings(environ={"RECONCILE_JQL": "project = PI"}).RECONCILE_JQL == "project = PI"
    with pytest.raises(ConfigError, match="RECONCILE_JQL"):
        load_settings(environ={"RECONCILE_JQL": "project = PI order  by key"})
