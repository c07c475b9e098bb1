"""GET /metrics: Prometheus exposition, summed over gunicorn workers."""

from flask import Blueprint, Response

from ..access.tokens import api_token
from ..ingest.refusals import metric_help, refusal_counts
from ..metrics import render_metrics, set_outbox_depth
from ..reconcile.passes import metric_totals
from ..runtime import current_runtime
from .auth import API_TOKEN_SETTING, no_store, require_bearer

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    """Needs `Authorization: Bearer <METRICS_TOKEN>`, or the API token when METRICS_TOKEN is unset."""
    state = current_runtime()
    require_bearer(state.settings.METRICS_TOKEN or api_token(state.settings, state.store.engine),
                   f"METRICS_TOKEN, else the API token: {API_TOKEN_SETTING}", "invalid_metrics_token")
    set_outbox_depth(state.forwarding.counts())
    body, content_type = render_metrics(refusal_counts(state.store, state.configs),
                                        metric_help(state.configs.values()), metric_totals(state.store.engine))
    return no_store(Response(body, content_type=content_type))
