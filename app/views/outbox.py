"""The outbox towards Port: `GET /v1/outbox` and the `flask outbox` commands."""

import click
from flask import Blueprint, current_app, jsonify, request
from flask.cli import AppGroup

from ..errors import BadRequest
from ..forwarding import queue_whole_catalog
from ..outbox import STATUSES
from ..queries import iso
from .catalog import page_args, paged, require_token

bp = Blueprint("outbox", __name__, url_prefix="/v1")
bp.before_request(require_token)
cli = AppGroup("outbox", help="Inspect and re-queue changes waiting to be sent to Port.")


def forwarding():
    """The app's Forwarding (see app.forwarding)."""
    return current_app.extensions["port_forwarding"]


def item_from_row(row):
    """An outbox item as the API serves it."""
    return {"id": row["id"], "blueprint": row["blueprint"], "identifier": row["identifier"],
            "operation": row["operation"], "entity": row["entity"],
            "deleteDependents": row["delete_dependents"], "status": row["status"],
            "attempts": row["attempts"], "nextAttemptAt": iso(row["next_attempt_at"]),
            "lastError": row["last_error"], "createdAt": iso(row["created_at"]),
            "updatedAt": iso(row["updated_at"])}


@bp.get("/outbox")
def list_outbox():
    """Items oldest first, `?status=` one of pending/inflight/sent/dead/superseded."""
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}", "invalid_status")
    limit, offset = page_args()
    setup = forwarding()
    with setup.engine.connect() as conn:
        rows, total = setup.outbox.list_items(conn, status, limit, offset)
        counts = setup.outbox.count_by_status(conn)
    body = paged("items", [item_from_row(row) for row in rows], total, limit, offset).get_json()
    return jsonify({**body, "counts": counts})


@cli.command("retry")
def retry_dead():
    """Re-queue every dead item for delivery."""
    setup = forwarding()
    with setup.engine.begin() as conn:
        count = setup.outbox.requeue_dead(conn)
    click.echo(f"re-queued {count} dead item(s)")


@cli.command("resync")
def resync_catalog():
    """Queue every live entity for Port (e.g. after turning forwarding on)."""
    setup = forwarding()
    if setup.client is None:
        raise click.ClickException("PORT_CLIENT_ID and PORT_CLIENT_SECRET are not set")
    click.echo(f"queued {queue_whole_catalog(setup.engine, setup.outbox)} entities")


@cli.command("status")
def show_status():
    """Count items by status."""
    setup = forwarding()
    with setup.engine.connect() as conn:
        counts = setup.outbox.count_by_status(conn)
    for status, count in counts.items():
        click.echo(f"{status:<11} {count}")
