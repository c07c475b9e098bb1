"""GET /metrics: Prometheus exposition, summed over gunicorn workers."""

from flask import Blueprint, Response

from ..metrics import render_metrics, set_outbox_depth
from ..runtime import current_runtime
from .auth import require_bearer

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    """Needs `Authorization: Bearer <token>` when METRICS_TOKEN (else CATALOG_API_TOKEN) is set."""
    state = current_runtime()
    require_bearer(state.settings.METRICS_TOKEN or state.settings.CATALOG_API_TOKEN,
                   "METRICS_TOKEN or CATALOG_API_TOKEN", "invalid_metrics_token")
    set_outbox_depth(state.forwarding.counts())
    body, content_type = render_metrics()
    return Response(body, content_type=content_type)
