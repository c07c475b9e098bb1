"""The app factory: settings, blueprints and webhook configurations are loaded once, here, and each
part is attached to the app by its own `init_app`.

Started as a process (gunicorn's `app:create_app()`, `flask --app app ...`), a configuration error
ends the process with its one-line message and no traceback; `check_startup` runs the same checks
once in gunicorn's master (gunicorn.conf.py) and says what the web process serves and what it
warns about."""

import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from flask import Flask

from . import cli, logs, runtime, ui, views
from .access.tokens import ensure_api_token, token_banner
from .catalog.engine import check_reachable, database_location, open_engine
from .catalog.migrate import upgrade_schema
from .catalog.relations import placeholder_creator
from .catalog.store import Store
from .config import Settings, environment_for_substitution, load_settings
from .errors import ConfigError
from .ingest.retention import PruneSchedule
from .ingest.security import is_configured, missing_secret_message
from .jq import sandbox
from .mapping.blueprints import load_blueprints
from .mapping.configs import WebhookConfig, load_webhook_configs
from .port.forwarding import install_forwarding
from .reconcile.run import reconcile_config

log = logging.getLogger("jira_catalog_bridge")
MIN_TOKEN_LENGTH = 16
# gunicorn's exit status for an app that cannot load: its arbiter stops instead of respawning.
APP_LOAD_ERROR = 4


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app; `overrides` take precedence over the environment (tests, the worker).
    Without overrides (a process started on the environment) a ConfigError exits the process."""
    if overrides is not None:
        return build_app(overrides)
    try:
        return build_app(None)
    except ConfigError as exc:
        exit_with(exc)


def exit_with(error: ConfigError) -> None:
    """End the process with the error's one line on stderr (in LOG_FORMAT once it is known)."""
    logs.write_fatal(f"jira-catalog-bridge cannot start: {error.message}")
    raise SystemExit(APP_LOAD_ERROR)


def check_startup(overrides: dict | None = None) -> None:
    """The web server's checks before it starts workers: settings, mappings and the database,
    exiting with one line on an error; then what it serves and the warnings that concern it."""
    try:
        settings = load_settings(overrides)
        logs.configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
        blueprints = load_blueprints(Path(settings.MAPPINGS_DIR) / "blueprints")
        configs = load_webhook_configs(settings.MAPPINGS_DIR,
                                       environment_for_substitution(overrides), blueprints)
        if settings.JIRA_URL:
            reconcile_config(configs, settings.RECONCILE_WEBHOOK)
        engine = open_engine(settings.DATABASE_URL, settings.SQLITE_SYNCHRONOUS)
        try:
            check_reachable(engine)
        finally:
            engine.dispose()
    except ConfigError as exc:
        exit_with(exc)
    log.info("catalog database: %s", database_location(settings.DATABASE_URL))
    warn_unsigned(configs, settings.ALLOW_UNSIGNED_WEBHOOKS)
    warn_short_token(settings.CATALOG_API_TOKEN)


def build_app(overrides: dict | None) -> Flask:
    """The app on the environment and `overrides`; a ConfigError when something is wrong."""
    settings = load_settings(overrides)
    logs.configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    configure_sandbox(settings)
    state, applied = load_runtime(settings, environment_for_substitution(overrides))
    app = Flask(__package__, instance_path=str(Path(settings.MAPPINGS_DIR).parent / "instance"))
    app.config["MAX_CONTENT_LENGTH"] = settings.MAX_BODY_BYTES
    app.config["SCHEMA_REVISIONS_APPLIED"] = applied
    runtime.init_app(app, state)
    views.init_app(app)
    ui.init_app(app, state)
    cli.init_app(app)
    logs.init_app(app)
    return app


def load_runtime(settings: Settings,
                 environment: dict[str, str]) -> tuple[runtime.Runtime, list[str]]:
    """Load blueprints and configurations, open the store (upgrading its schema) and set up
    forwarding to Port; the Runtime and the schema revisions this upgrade applied."""
    blueprints = load_blueprints(Path(settings.MAPPINGS_DIR) / "blueprints")
    configs = load_webhook_configs(settings.MAPPINGS_DIR, environment, blueprints)
    if settings.JIRA_URL:
        reconcile_config(configs, settings.RECONCILE_WEBHOOK)
    engine = open_engine(settings.DATABASE_URL, settings.SQLITE_SYNCHRONOUS)
    check_reachable(engine)
    store = Store(engine)
    applied = upgrade_schema(engine)
    if applied:
        log.info("%s: applied schema revisions %s", database_location(engine.url),
                 ", ".join(applied))
    announce_generated_token(settings, store)
    if settings.CREATE_MISSING_RELATED_ENTITIES:
        store.change_listeners.append(placeholder_creator(blueprints))
    forwarding = install_forwarding(store, settings.port,
                                    [b.definition for b in blueprints.values()])
    return runtime.Runtime(settings, blueprints, configs, store, forwarding,
                           PruneSchedule(settings, store.engine)), applied


def configure_sandbox(settings: Settings) -> None:
    """The limits of this process's JQ processes: the webhook path's and the playground's."""
    limits = sandbox.Limits(timeout=settings.JQ_TIMEOUT_SECONDS, memory_mb=settings.JQ_MEMORY_MB,
                            workers=settings.JQ_WORKERS)
    sandbox.configure(sandbox.TRANSLATION, limits)
    sandbox.configure(sandbox.PLAYGROUND, replace(limits, workers=settings.PLAYGROUND_CONCURRENCY,
                                                  wait=sandbox.PLAYGROUND_WAIT_SECONDS))


def warn_unsigned(configs: dict[str, WebhookConfig], allow_unsigned: bool) -> None:
    """Say at startup which webhooks accept unsigned requests, or will refuse everything."""
    for config in configs.values():
        if is_configured(config.security) or not config.enabled:
            continue
        if allow_unsigned:
            log.warning("webhook %r has no secret and ALLOW_UNSIGNED_WEBHOOKS=true: it accepts "
                        "unsigned requests from anyone who can reach it", config.identifier)
        else:
            log.warning("webhook %r refuses every request (401 webhook_secret_not_configured): %s",
                        config.identifier, missing_secret_message(config.source, config.references))


def warn_short_token(token: str) -> None:
    """Failed attempts are limited per address, not overall: say so when the token is guessable."""
    if 0 < len(token) < MIN_TOKEN_LENGTH:
        log.warning("CATALOG_API_TOKEN is shorter than %d characters; failed attempts are limited "
                    "per client address only, so use a long random token (python3 -c 'import "
                    "secrets; print(secrets.token_urlsafe(32))') or unset it to have one generated",
                    MIN_TOKEN_LENGTH)


def announce_generated_token(settings: Settings, store: Store) -> None:
    """Print the API token on stderr when this process generated it: of workers and instances
    starting together on one database, only the one that stored it prints it. PORT (read by
    gunicorn, not a setting of the app) only makes the login URL match `bin/serve`'s."""
    token = ensure_api_token(settings, store.engine)
    if token:
        sys.stderr.write(token_banner(token, os.environ.get("PORT", "8000")))
        sys.stderr.flush()
