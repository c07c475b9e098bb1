"""GET /metrics: Prometheus exposition, summed over gunicorn workers."""

import hmac

from flask import Blueprint, Response, current_app, request

from ..errors import Unauthorized
from ..metrics import refresh_outbox_depth, render_metrics
from . import runtime

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    """Needs `Authorization: Bearer <token>` when METRICS_TOKEN (else CATALOG_API_TOKEN) is set."""
    require_metrics_token(runtime().settings)
    refresh_outbox_depth(current_app.extensions.get("port_forwarding"))
    body, content_type = render_metrics()
    return Response(body, content_type=content_type)


def require_metrics_token(settings):
    token = settings.METRICS_TOKEN or settings.CATALOG_API_TOKEN
    if not token:
        return
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(
            given[7:].strip().encode("utf-8"), token.encode("utf-8")):
        raise Unauthorized("a valid 'Authorization: Bearer <METRICS_TOKEN or CATALOG_API_TOKEN>' "
                           "is required", "invalid_metrics_token")
