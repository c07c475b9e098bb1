"""jira-catalog-bridge: Jira webhooks in, catalog entities out."""

import logging
from pathlib import Path

from flask import Flask

from .blueprints import load_blueprints
from .cli import register_commands
from .config import environment_for_substitution, load_settings
from .errors import ConfigError
from .forwarding import install_forwarding
from .handlers import register_error_handlers
from .ingest import Runtime
from .logging_setup import install_request_logging
from .mapping import load_webhook_configs
from .relations import placeholder_creator
from .retention import PruneSchedule
from .security import is_configured
from .store import Store, create_db_engine
from .ui import register_ui

log = logging.getLogger("jira_catalog_bridge")
MIN_TOKEN_LENGTH = 16


def create_app(overrides=None):
    """Build the app: settings, blueprints and webhook configurations are loaded once, here."""
    settings = load_settings(overrides)
    configure_logging(settings.LOG_LEVEL)
    blueprints = load_blueprints(Path(settings.MAPPINGS_DIR) / "blueprints")
    configs = load_webhook_configs(settings.MAPPINGS_DIR, environment_for_substitution(overrides),
                                   blueprints)
    warn_unsigned(configs, settings.ALLOW_UNSIGNED_WEBHOOKS)
    warn_short_token(settings.CATALOG_API_TOKEN)
    store = Store(open_engine(settings))
    store.create_schema()
    if settings.CREATE_MISSING_RELATED_ENTITIES:
        store.change_listeners.append(placeholder_creator(blueprints))
    app = Flask(__name__, instance_path=str(Path(settings.MAPPINGS_DIR).parent / "instance"))
    app.config["MAX_CONTENT_LENGTH"] = settings.MAX_BODY_BYTES
    runtime = Runtime(settings, blueprints, configs, store)
    app.extensions["bridge"] = runtime
    register_views(app)
    schedule_retention(app, PruneSchedule(settings, store.engine))
    register_ui(app, runtime)
    register_error_handlers(app)
    register_commands(app)
    install_forwarding(app, environment_for_substitution(overrides))
    install_request_logging(app)
    return app


def open_engine(settings):
    """The database engine; the SQLite file's folder is created when missing."""
    url = settings.DATABASE_URL
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return create_db_engine(url, settings.SQLITE_SYNCHRONOUS)


def register_views(app):
    from .views import catalog, health, metrics, webhooks
    for module in (webhooks, catalog, health, metrics):
        app.register_blueprint(module.bp)


def schedule_retention(app, schedule):
    """Prune the event log in the background of webhook requests, once an hour per process."""
    @app.after_request
    def prune_after_response(response):
        if response.status_code == 202:
            response.call_on_close(schedule.run_if_due)
        return response


def warn_unsigned(configs, allow_unsigned):
    """Say at startup which webhooks accept unsigned requests, or will refuse everything."""
    for config in configs.values():
        if is_configured(config.security) or not config.enabled:
            continue
        if allow_unsigned:
            log.warning("webhook %r has no secret and ALLOW_UNSIGNED_WEBHOOKS=true: it accepts "
                        "unsigned requests from anyone who can reach it", config.identifier)
        else:
            log.warning("webhook %r has no secret configured: it refuses every request (401 "
                        "webhook_secret_not_configured)", config.identifier)


def warn_short_token(token):
    """The login and the read API do not limit attempts: say so when the token is guessable."""
    if 0 < len(token) < MIN_TOKEN_LENGTH:
        log.warning("CATALOG_API_TOKEN is shorter than %d characters; the UI login and the read API "
                    "do not limit attempts, so use a long random token (python3 -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))')", MIN_TOKEN_LENGTH)


def configure_logging(level):
    """One line per record on stderr; gunicorn's own handlers are kept when present."""
    try:
        logging.basicConfig(level=level.upper(),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    except ValueError:
        raise ConfigError(f"setting LOG_LEVEL: unknown level {level!r}") from None
    logging.getLogger("jira_catalog_bridge").setLevel(level.upper())
