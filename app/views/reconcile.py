"""GET /v1/reconcile: the reconcile passes, newest first, with what each found."""

from flask import Blueprint

from ..reconcile.passes import list_passes, webhooks_missing_changes
from ..runtime import current_runtime
from .auth import no_store, require_api_token
from .paging import page_args, paged

bp = Blueprint("reconcile", __name__, url_prefix="/v1")
bp.before_request(require_api_token)
bp.after_request(no_store)


@bp.get("/reconcile")
def list_reconcile_passes():
    """Passes newest first (`limit`, `offset`); `webhooksMissingChanges` says whether the latest
    passes each found changes webhooks had not delivered."""
    engine = current_runtime().store.engine
    limit, offset = page_args()
    passes, total = list_passes(engine, limit, offset)
    return paged("passes", passes, total, limit, offset,
                 webhooksMissingChanges=webhooks_missing_changes(engine))
