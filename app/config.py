"""Settings: read once from the environment (and test overrides), validated at startup.

`python -m app.config` checks the web server's own settings (SERVER_SETTINGS) before the Procfile
starts gunicorn, which reads WEB_CONCURRENCY when it is imported and fails on a bad value with a
bare ValueError."""

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
DEFAULT_PORT_BASE_URL = "https://api.getport.io"
# Port refuses bodies over 1 MiB; keep room for the `{"entities": []}` envelope and rounding.
BULK_MAX_BYTES = 1024 * 1024 - 4096
BULK_MAX_ENTITIES = 20
LOG_FORMATS = ("json", "text")
# gunicorn's settings (Procfile, bin/serve, gunicorn.conf.py) and their defaults.
SERVER_SETTINGS = {"PORT": 8000, "WEB_CONCURRENCY": 2, "WEB_THREADS": 16, "WEB_HEADER_TIMEOUT": 5}


@dataclass(frozen=True)
class PortSettings:
    """Forwarding to Port: credentials, and how the delivery loop talks to Port.

    Each field is read from the setting PORT_SETTING_NAMES gives it (the bulk limits are Port's
    own and not settings); forwarding is on when both client credentials are set."""

    client_id: str = ""
    client_secret: str = ""
    base_url: str = DEFAULT_PORT_BASE_URL
    initialize_resources: bool = True
    run_in_web: bool = False
    merge: bool = False
    create_missing_related_entities: bool = False
    bulk: bool = True
    batch_size: int = 200
    bulk_max_entities: int = BULK_MAX_ENTITIES
    bulk_max_bytes: int = BULK_MAX_BYTES
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    lease_seconds: float = 300.0
    poll_interval: float = 1.0
    timeout: float = 10.0
    retention_days: float = 7.0

    @property
    def enabled(self) -> bool:
        return bool(self.client_id) and bool(self.client_secret)


MAX_POSITIVE = 1e6

PORT_SETTING_NAMES = {
    "client_id": "PORT_CLIENT_ID",
    "client_secret": "PORT_CLIENT_SECRET",
    "base_url": "PORT_BASE_URL",
    "initialize_resources": "INITIALIZE_PORT_RESOURCES",
    "run_in_web": "RUN_WORKER_IN_WEB",
    "merge": "PORT_MERGE",
    "create_missing_related_entities": "PORT_CREATE_MISSING_RELATED_ENTITIES",
    "bulk": "PORT_BULK_UPSERTS",
    "batch_size": "PORT_WORKER_BATCH_SIZE",
    "backoff_base": "PORT_BACKOFF_BASE_SECONDS",
    "backoff_max": "PORT_BACKOFF_MAX_SECONDS",
    "lease_seconds": "PORT_OUTBOX_LEASE_SECONDS",
    "poll_interval": "PORT_WORKER_POLL_SECONDS",
    "timeout": "PORT_TIMEOUT_SECONDS",
    "retention_days": "PORT_OUTBOX_RETENTION_DAYS",
}


@dataclass(frozen=True)
class Settings:
    """Every setting the app reads; the README's settings table mirrors this class (`port` holds
    the `PORT_*` settings, by the names in PORT_SETTING_NAMES). The server's own settings
    (SERVER_SETTINGS) are read by the Procfile and gunicorn.conf.py through `server_setting`."""

    DATABASE_URL: str = f"sqlite:///{PROJECT_ROOT / 'instance' / 'catalog.sqlite3'}"
    MAPPINGS_DIR: str = str(PROJECT_ROOT / "mappings")
    MAX_BODY_BYTES: int = 5 * 1024 * 1024
    MAX_JSON_DEPTH: int = 64
    MAX_ENTITIES_PER_EVENT: int = 10_000
    MAX_EVENTS_PER_REQUEST: int = 1000
    MAX_ENTITIES_PER_REQUEST: int = 10_000
    ALLOW_UNSIGNED_WEBHOOKS: bool = False
    CATALOG_API_TOKEN: str = ""
    SECRET_KEY: str = ""
    METRICS_TOKEN: str = ""
    SQLITE_SYNCHRONOUS: str = "FULL"
    EVENT_RETENTION_DAYS: int = 30
    EVENT_RETENTION_MAX_EVENTS: int = 0
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: str = "json"
    CREATE_MISSING_RELATED_ENTITIES: bool = False
    JQ_TIMEOUT_SECONDS: float = 3.0
    JQ_MEMORY_MB: int = 512
    JQ_WORKERS: int = 2
    PLAYGROUND_CONCURRENCY: int = 2
    JIRA_URL: str = ""
    JIRA_USER: str = ""
    JIRA_API_TOKEN: str = field(default="", repr=False)
    JIRA_PAT: str = field(default="", repr=False)
    RECONCILE_INTERVAL_SECONDS: int = 900
    RECONCILE_FULL_INTERVAL_SECONDS: int = 86400
    RECONCILE_WEBHOOK: str = ""
    RECONCILE_JQL: str = ""
    port: PortSettings = field(default_factory=PortSettings)


def parse_bool(name: str, raw: object) -> bool:
    """Read a boolean setting; anything but a clear yes/no is a configuration error."""
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"setting {name}: expected true or false, got {raw!r}")


def parse_int(name: str, raw: object) -> int:
    """Read a non-negative integer setting."""
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"setting {name}: expected a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"setting {name}: must not be negative, got {value}")
    return value


def normalise_database_url(url: str) -> str:
    """Accept Heroku's `postgres://` spelling and pick the psycopg 3 driver for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def parse_positive(name: str, raw: object, kind: type) -> int | float:
    """A positive number setting (`kind` is int or float), at most MAX_POSITIVE: seconds and days
    beyond it would overflow date arithmetic, and nan or inf would compare false everywhere."""
    try:
        value = kind(str(raw).strip())
    except ValueError:
        raise ConfigError(f"setting {name}: expected a number, got {raw!r}") from None
    if not 0 < value <= MAX_POSITIVE:
        raise ConfigError(f"setting {name}: must be positive and at most {MAX_POSITIVE:g}, got {raw!r}")
    return value


def coerce(name: str, kind: type, raw: object) -> bool | int | float | str:
    """Turn one raw string into the type its field declares."""
    if kind is bool:
        return parse_bool(name, raw)
    if kind is int:
        return parse_int(name, raw)
    if kind is float:
        return parse_positive(name, raw, float)
    return str(raw)


def load_settings(overrides: Mapping | None = None, environ: Mapping | None = None) -> Settings:
    """Build Settings from the environment, with overrides taking precedence."""
    source = dict(os.environ if environ is None else environ)
    source.update(overrides or {})
    values = {}
    for setting in fields(Settings):
        if setting.name != "port" and source.get(setting.name) is not None:
            values[setting.name] = coerce(setting.name, setting.type, source[setting.name])
    settings = Settings(**values, port=load_port_settings(source))
    return validate_settings(settings)


def load_port_settings(source: Mapping) -> PortSettings:
    """PortSettings from raw `PORT_*` values in `source` (unset ones keep their defaults)."""
    values = {}
    for setting in fields(PortSettings):
        name = PORT_SETTING_NAMES.get(setting.name)
        raw = None if name is None else source.get(name)
        if raw is None:
            continue
        if setting.type in (int, float):
            values[setting.name] = parse_positive(name, raw, setting.type)
        else:
            values[setting.name] = coerce(name, setting.type, raw)
    settings = PortSettings(**values)
    base_url = settings.base_url or DEFAULT_PORT_BASE_URL
    if not base_url.startswith(("https://", "http://")):
        raise ConfigError(f"setting PORT_BASE_URL: expected an http(s):// URL, got {base_url!r}")
    return replace(settings, base_url=base_url)


def validate_settings(settings: Settings) -> Settings:
    """Check values that have a closed set of choices."""
    if settings.SQLITE_SYNCHRONOUS.upper() not in {"FULL", "NORMAL", "EXTRA"}:
        raise ConfigError("setting SQLITE_SYNCHRONOUS: expected FULL, NORMAL or EXTRA, "
                          f"got {settings.SQLITE_SYNCHRONOUS!r}")
    if settings.LOG_FORMAT.strip().lower() not in LOG_FORMATS:
        raise ConfigError(f"setting LOG_FORMAT: expected json or text, got {settings.LOG_FORMAT!r}")
    if not settings.DATABASE_URL.startswith(("sqlite", "postgres")):
        raise ConfigError("setting DATABASE_URL: expected a sqlite:/// or postgresql:// URL")
    validate_jira(settings)
    for name, least in (("MAX_BODY_BYTES", 1), ("MAX_ENTITIES_PER_EVENT", 1),
                        ("MAX_EVENTS_PER_REQUEST", 1), ("MAX_ENTITIES_PER_REQUEST", 1), ("JQ_MEMORY_MB", 64),
                        ("JQ_WORKERS", 1), ("PLAYGROUND_CONCURRENCY", 1)):
        if getattr(settings, name) < least:
            raise ConfigError(f"setting {name}: must be at least {least}")
    return replace(settings, DATABASE_URL=normalise_database_url(settings.DATABASE_URL),
                   JIRA_URL=settings.JIRA_URL.rstrip("/"),
                   SQLITE_SYNCHRONOUS=settings.SQLITE_SYNCHRONOUS.upper(),
                   LOG_FORMAT=settings.LOG_FORMAT.strip().lower())


def validate_jira(settings: Settings) -> None:
    """With JIRA_URL set: an http(s) URL and one kind of credentials, basic (JIRA_USER with
    JIRA_API_TOKEN) or a personal access token (JIRA_PAT)."""
    if re.search(r"\border\s+by\b", settings.RECONCILE_JQL, re.IGNORECASE):
        raise ConfigError("setting RECONCILE_JQL: give the scope without ORDER BY (each pass orders its search)")
    if not settings.JIRA_URL:
        return
    if not settings.JIRA_URL.startswith(("https://", "http://")):
        raise ConfigError(f"setting JIRA_URL: expected an http(s):// URL, got {settings.JIRA_URL!r}")
    basic = bool(settings.JIRA_USER or settings.JIRA_API_TOKEN)
    if basic and settings.JIRA_PAT:
        raise ConfigError("settings JIRA_PAT and JIRA_USER/JIRA_API_TOKEN: set one kind of Jira "
                          "credentials, not both")
    if settings.JIRA_PAT:
        return
    if not basic:
        raise ConfigError("setting JIRA_URL is set without credentials: set JIRA_USER and "
                          "JIRA_API_TOKEN (basic auth), or JIRA_PAT (a personal access token)")
    if not (settings.JIRA_USER and settings.JIRA_API_TOKEN):
        missing = "JIRA_API_TOKEN" if settings.JIRA_USER else "JIRA_USER"
        raise ConfigError(f"setting {missing}: JIRA_USER and JIRA_API_TOKEN go together "
                          "(or set JIRA_PAT instead)")


def environment_for_substitution(overrides: Mapping | None = None,
                                 environ: Mapping | None = None) -> dict[str, str]:
    """The variables `${NAME}` in configuration files may reference."""
    source = dict(os.environ if environ is None else environ)
    source.update({k: str(v) for k, v in (overrides or {}).items() if v is not None})
    return source


def server_setting(name: str, environ: Mapping | None = None) -> int:
    """One of SERVER_SETTINGS: a whole number of at least 1, its default when unset."""
    raw = (os.environ if environ is None else environ).get(name, str(SERVER_SETTINGS[name]))
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ConfigError(f"setting {name}: expected a whole number of at least 1, got {raw!r}")
    return int(raw)


def check_server_settings() -> None:
    """`python -m app.config`: exit with one line naming the first bad server setting."""
    try:
        for name in SERVER_SETTINGS:
            server_setting(name)
    except ConfigError as exc:
        sys.exit(f"jira-catalog-bridge cannot start: {exc.message}")


if __name__ == "__main__":
    check_server_settings()
