"""GET /healthz: 200 when the database answers."""

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify

from ..errors import error_body
from ..runtime import current_runtime

bp = Blueprint("health", __name__)
log = logging.getLogger("jira_catalog_bridge.health")


@bp.get("/healthz")
def healthz():
    try:
        current_runtime().store.ping()
    except sa.exc.SQLAlchemyError as exc:
        log.error("health check failed: database does not answer: %s", exc.__class__.__name__)
        return jsonify(error_body("database_unavailable", "the database does not answer")), 503
    return jsonify({"ok": True})
