"""Settings: read once from the environment (and test overrides), validated at startup."""

import os
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    """Every setting the service reads; the README's settings table mirrors this class."""

    DATABASE_URL: str = f"sqlite:///{PROJECT_ROOT / 'instance' / 'catalog.sqlite3'}"
    MAPPINGS_DIR: str = str(PROJECT_ROOT / "mappings")
    MAX_BODY_BYTES: int = 5 * 1024 * 1024
    MAX_JSON_DEPTH: int = 64
    ALLOW_UNSIGNED_WEBHOOKS: bool = False
    CATALOG_API_TOKEN: str = ""
    SECRET_KEY: str = ""
    METRICS_TOKEN: str = ""
    SQLITE_SYNCHRONOUS: str = "FULL"
    EVENT_RETENTION_DAYS: int = 30
    EVENT_RETENTION_MAX_EVENTS: int = 0
    LOG_LEVEL: str = "INFO"
    CREATE_MISSING_RELATED_ENTITIES: bool = False


def parse_bool(name, raw):
    """Read a boolean setting; anything but a clear yes/no is a configuration error."""
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"setting {name}: expected true or false, got {raw!r}")


def parse_int(name, raw):
    """Read a non-negative integer setting."""
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"setting {name}: expected a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"setting {name}: must not be negative, got {value}")
    return value


def normalise_database_url(url):
    """Accept Heroku's `postgres://` spelling and pick the psycopg 3 driver for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def coerce(field, raw):
    """Turn one raw string into the type its field declares."""
    if field.type is bool:
        return parse_bool(field.name, raw)
    if field.type is int:
        return parse_int(field.name, raw)
    return str(raw)


def load_settings(overrides=None, environ=None):
    """Build Settings from the environment, with overrides taking precedence."""
    source = dict(os.environ if environ is None else environ)
    source.update(overrides or {})
    values = {}
    for field in fields(Settings):
        if field.name in source and source[field.name] is not None:
            values[field.name] = coerce(field, source[field.name])
    settings = Settings(**values)
    return validate_settings(settings)


def validate_settings(settings):
    """Check values that have a closed set of choices."""
    if settings.SQLITE_SYNCHRONOUS.upper() not in {"FULL", "NORMAL", "EXTRA"}:
        raise ConfigError("setting SQLITE_SYNCHRONOUS: expected FULL, NORMAL or EXTRA, "
                          f"got {settings.SQLITE_SYNCHRONOUS!r}")
    if not settings.DATABASE_URL.startswith(("sqlite", "postgres")):
        raise ConfigError("setting DATABASE_URL: expected a sqlite:/// or postgresql:// URL")
    if settings.MAX_BODY_BYTES < 1:
        raise ConfigError("setting MAX_BODY_BYTES: must be at least 1")
    normalised = normalise_database_url(settings.DATABASE_URL)
    return Settings(**{**settings.__dict__, "DATABASE_URL": normalised,
                       "SQLITE_SYNCHRONOUS": settings.SQLITE_SYNCHRONOUS.upper()})


def environment_for_substitution(overrides=None, environ=None):
    """The variables `${NAME}` in configuration files may reference."""
    source = dict(os.environ if environ is None else environ)
    source.update({k: str(v) for k, v in (overrides or {}).items() if v is not None})
    return source
