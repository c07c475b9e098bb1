"""Port forwarding settings, the client they configure, and creating missing blueprints in Port.

Settings are read from a mapping of raw strings (the environment, or the app's config); see
docs/port.md for the table.
"""

import logging
from dataclasses import dataclass

from .config import parse_bool
from .errors import ConfigError
from .port_client import DEFAULT_BASE_URL, PortClient, PortPermanentError

log = logging.getLogger("jira_catalog_bridge.port")

# Port refuses bodies over 1 MiB; keep room for the `{"entities": []}` envelope and rounding.
BULK_MAX_BYTES = 1024 * 1024 - 4096
BULK_MAX_ENTITIES = 20


@dataclass(frozen=True)
class DeliverySettings:
    """How the delivery loop talks to Port; field names map to `PORT_*` settings below."""

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


SETTING_NAMES = {
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


def parse_positive(name, raw, kind):
    """A positive number setting (`kind` is int or float)."""
    try:
        value = kind(str(raw).strip())
    except ValueError:
        raise ConfigError(f"setting {name}: expected a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"setting {name}: must be positive, got {raw!r}")
    return value


def load_delivery_settings(source):
    """DeliverySettings from raw `PORT_*` values in `source` (unset ones keep their defaults)."""
    values = {}
    for field_name, setting in SETTING_NAMES.items():
        raw = source.get(setting)
        if raw is None:
            continue
        default = getattr(DeliverySettings, field_name)
        if isinstance(default, bool):
            values[field_name] = parse_bool(setting, raw)
        else:
            values[field_name] = parse_positive(setting, raw, type(default))
    return DeliverySettings(**values)


def port_enabled(source):
    """Forwarding is on when both client credentials are set."""
    return bool(source.get("PORT_CLIENT_ID")) and bool(source.get("PORT_CLIENT_SECRET"))


def build_client(source, settings=None):
    """A PortClient from `PORT_BASE_URL`, `PORT_CLIENT_ID` and `PORT_CLIENT_SECRET`."""
    settings = settings or load_delivery_settings(source)
    base_url = source.get("PORT_BASE_URL") or DEFAULT_BASE_URL
    if not base_url.startswith(("https://", "http://")):
        raise ConfigError(f"setting PORT_BASE_URL: expected an http(s):// URL, got {base_url!r}")
    return PortClient(base_url, source["PORT_CLIENT_ID"], source["PORT_CLIENT_SECRET"],
                      timeout=settings.timeout)


def initialize_resources_enabled(source):
    """`INITIALIZE_PORT_RESOURCES`, true unless set otherwise."""
    return parse_bool("INITIALIZE_PORT_RESOURCES", source.get("INITIALIZE_PORT_RESOURCES", "true"))


def ensure_blueprints(client, blueprints):
    """Create the blueprints Port lacks, relation targets first; never touch existing ones.

    Returns the identifiers created.
    """
    created = []
    for blueprint in order_by_relations(blueprints):
        identifier = blueprint["identifier"]
        if client.get_blueprint(identifier) is not None:
            continue
        try:
            client.create_blueprint(blueprint)
        except PortPermanentError as exc:
            if exc.status != 409:  # 409: another instance created it meanwhile
                raise
            continue
        log.info("created blueprint %s in Port", identifier)
        created.append(identifier)
    return created


def order_by_relations(blueprints):
    """Blueprints ordered so each comes after the blueprints its relations point to."""
    by_id = {b["identifier"]: b for b in blueprints}
    ordered, visiting = {}, set()

    def visit(identifier):
        if identifier in ordered or identifier in visiting or identifier not in by_id:
            return  # done, a cycle (Port must then resolve it), or a blueprint not shipped here
        visiting.add(identifier)
        for relation in (by_id[identifier].get("relations") or {}).values():
            visit(relation.get("target"))
        ordered[identifier] = by_id[identifier]

    for identifier in by_id:
        visit(identifier)
    return list(ordered.values())
