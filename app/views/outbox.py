"""GET /v1/outbox: the entity changes waiting to be sent to Port."""

import sqlalchemy as sa
from flask import Blueprint, request

from ..catalog.queries import iso
from ..errors import BadRequest
from ..port.outbox import STATUSES
from ..runtime import current_runtime
from .auth import no_store, require_api_token
from .paging import page_args, paged

bp = Blueprint("outbox", __name__, url_prefix="/v1")
bp.before_request(require_api_token)
bp.after_request(no_store)


def item_from_row(row: sa.RowMapping) -> dict:
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
        raise BadRequest(f"status {status[:64]!r} is not an outbox status; use one of "
                         f"{', '.join(STATUSES)}", "invalid_status")
    limit, offset = page_args()
    forwarding = current_runtime().forwarding
    rows, total = forwarding.list_items(status, limit, offset)
    return paged("items", [item_from_row(row) for row in rows], total, limit, offset,
                 counts=forwarding.counts())
