"""`flask --app app ...` commands: replay stored events, prune the event log, upgrade the schema,
back up the SQLite catalog, print or rotate the API token, run a reconcile pass against Jira, and
inspect or re-queue the outbox towards Port."""

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .access.tokens import api_token, rotate_api_token
from .catalog.engine import backup_sqlite, database_location
from .catalog.migrate import current_revision, upgrade_schema
from .errors import BridgeError, ConfigError
from .ingest.replay import replay_event, select_event_ids
from .ingest.retention import prune_events
from .reconcile.run import describe, run_pass
from .runtime import current_runtime

outbox_cli = AppGroup("outbox", help="Inspect and re-queue changes waiting to be sent to Port.")


def parse_since(value: str | None) -> datetime | None:
    """An ISO 8601 date or time (UTC when no zone is given)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("replay")
@click.option("--status", help="Only events with this status (e.g. failed).")
@click.option("--since", help="Only events received at or after this ISO 8601 time.")
@click.option("--webhook", help="Only events of this webhook configuration.")
@click.option("--event", "event_ids", type=int, multiple=True, help="This event id (repeatable).")
@with_appcontext
def replay_command(status, since, webhook, event_ids):
    """Re-run the current mappings over stored events, oldest first."""
    state = current_runtime()
    ids = select_event_ids(state.store.engine, status, parse_since(since), webhook, event_ids)
    counts = {}
    for event_id in ids:
        outcome = replay_event(state.store, state.configs, event_id)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        click.echo(f"event {event_id}: {outcome.status}"
                   + (f" ({outcome.reason})" if outcome.reason else ""))
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to replay"
    click.echo(f"replayed {len(ids)} events: {summary}")


@click.command("prune-events")
@click.option("--days", type=int, help="Keep this many days (default EVENT_RETENTION_DAYS).")
@click.option("--max-events", type=int, help="Keep at most this many events "
              "(default EVENT_RETENTION_MAX_EVENTS; 0 = no limit).")
@click.option("--include-failed", is_flag=True, help="Also delete events that are still failed.")
@with_appcontext
def prune_command(days, max_events, include_failed):
    """Delete old events from the event log."""
    state = current_runtime()
    settings = state.settings
    deleted = prune_events(state.store.engine,
                           settings.EVENT_RETENTION_DAYS if days is None else days,
                           settings.EVENT_RETENTION_MAX_EVENTS if max_events is None else max_events,
                           include_failed)
    click.echo(f"deleted {deleted} events")


@click.command("upgrade-db")
@with_appcontext
def upgrade_command():
    """Bring the database schema to the newest revision (the Procfile's release phase) and say
    which revisions that applied: loading the app upgrades it, this reports that once."""
    engine = current_runtime().store.engine
    where = database_location(engine.url)
    applied = current_app.config.pop("SCHEMA_REVISIONS_APPLIED", []) + upgrade_schema(engine)
    if applied:
        click.echo(f"{where}: applied schema revisions {', '.join(applied)}")
    else:
        click.echo(f"{where}: schema already up to date at revision {current_revision(engine)}")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path):
    """Copy the SQLite catalog to the new file PATH while the service runs (PostgreSQL: use
    pg_dump). Restore: stop the service, copy the file to DATABASE_URL's path, start it."""
    engine = current_runtime().store.engine
    try:
        backup_sqlite(engine, path)
    except ConfigError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"backed up {database_location(engine.url)} to {path.resolve()}")


@click.command("api-token")
@click.option("--rotate", is_flag=True, help="Replace the generated token; every UI session ends.")
@with_appcontext
def api_token_command(rotate):
    """Print the API token of /v1, the metrics and the UI login (generated when
    CATALOG_API_TOKEN is unset)."""
    state = current_runtime()
    if not rotate:
        click.echo(api_token(state.settings, state.store.engine))
        return
    try:
        click.echo(rotate_api_token(state.settings, state.store.engine))
    except ConfigError as exc:
        raise click.ClickException(exc.message) from None
    click.echo("the old token no longer works and every UI session has ended", err=True)


@click.command("reconcile")
@click.option("--full", is_flag=True, help="List every issue, refetch what differs, delete what Jira no "
              "longer has (default: the issues updated since the last pass).")
@click.option("--webhook", default="", help="The webhook configuration whose translation to use "
              "(default RECONCILE_WEBHOOK, else jira-catalog).")
@with_appcontext
def reconcile_command(full, webhook):
    """One reconcile pass: repair from Jira what webhooks did not deliver. Exits 0 when it succeeded."""
    state = current_runtime()
    try:
        result = run_pass(state.store, state.configs, state.settings, "full" if full else "incremental", webhook)
    except BridgeError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"reconcile {result.kind} pass {result.pass_id}: {describe(result.counts)}")


@outbox_cli.command("retry")
def retry_dead():
    """Re-queue every dead item for delivery."""
    click.echo(f"re-queued {current_runtime().forwarding.requeue_dead()} dead item(s)")


@outbox_cli.command("resync")
def resync_catalog():
    """Queue every live entity for Port (e.g. after turning forwarding on)."""
    forwarding = current_runtime().forwarding
    if not forwarding.enabled:
        raise click.ClickException("PORT_CLIENT_ID and PORT_CLIENT_SECRET are not set")
    click.echo(f"queued {forwarding.resync()} entities")


@outbox_cli.command("status")
def show_status():
    """Count items by status."""
    for status, count in current_runtime().forwarding.counts().items():
        click.echo(f"{status:<11} {count}")


def init_app(app: Flask) -> None:
    """Register the commands on `app`'s `flask` command line."""
    for command in (replay_command, prune_command, upgrade_command, backup_command,
                    api_token_command, reconcile_command, outbox_cli):
        app.cli.add_command(command)
