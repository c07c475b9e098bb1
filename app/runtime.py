"""What the app loaded at startup, typed: settings, blueprints, webhook configurations, the store,
Port forwarding and the event log's retention schedule; one per app."""

from dataclasses import dataclass

from flask import Flask, current_app

from .catalog.store import Store
from .config import Settings
from .errors import NotFound
from .ingest.retention import PruneSchedule
from .jq import sandbox
from .mapping.blueprints import Blueprint
from .mapping.configs import WebhookConfig
from .port.forwarding import Forwarding

EXTENSION_KEY = "jira_catalog_bridge"


@dataclass(frozen=True)
class Runtime:
    """The service's loaded state; views, pages and commands reach it through `current_runtime`."""

    settings: Settings
    blueprints: dict[str, Blueprint]
    configs: dict[str, WebhookConfig]
    store: Store
    forwarding: Forwarding
    retention: PruneSchedule

    def webhook(self, identifier: str) -> WebhookConfig:
        """The enabled configuration served at /webhooks/<identifier>."""
        config = self.configs.get(identifier)
        if config is None or not config.enabled:
            raise NotFound(f"no enabled webhook configuration {identifier!r}", "unknown_webhook")
        return config

    def blueprint(self, identifier: str) -> Blueprint:
        """The loaded blueprint with that identifier."""
        blueprint = self.blueprints.get(identifier)
        if blueprint is None:
            raise NotFound(f"no blueprint {identifier!r}", "unknown_blueprint")
        return blueprint

    def close(self) -> None:
        """Stop Port delivery in this process, close the database connections and stop the idle JQ
        processes."""
        self.forwarding.stop(timeout=10)
        self.store.close()
        sandbox.close_all()


def init_app(app: Flask, runtime: Runtime) -> None:
    """Attach `runtime` to `app`."""
    app.extensions[EXTENSION_KEY] = runtime


def runtime_of(app: Flask) -> Runtime:
    """The Runtime attached to `app`."""
    return app.extensions[EXTENSION_KEY]


def current_runtime() -> Runtime:
    """The Runtime of the app handling the current request or command."""
    return runtime_of(current_app)
