"""One place mapping exceptions to JSON answers, each with a log line."""

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import BridgeError, TooManyRequests, error_body

log = logging.getLogger("jira_catalog_bridge.errors")
HTTP_REASONS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                413: "body_too_large", 431: "headers_too_large"}
# Paths machines call: their unknown routes answer JSON; any other unknown page is the UI's 404.
MACHINE_PREFIXES = ("/v1", "/webhooks", "/metrics", "/healthz")


def wants_page(status: int) -> bool:
    """Whether a 404 is a person's unknown UI page (a GET outside MACHINE_PREFIXES)."""
    path = request.path
    return status == 404 and request.method in ("GET", "HEAD") and not any(
        path == prefix or path.startswith(prefix + "/") for prefix in MACHINE_PREFIXES)


def log_rejection(status: int, reason: str, message: str) -> None:
    """One log line per rejected request."""
    log.warning("rejected %s %s: %d %s: %s", request.method, request.path, status, reason, message)


def answer(status: int, reason: str, message: str) -> tuple[Response, int]:
    """Log the rejection and answer it as JSON."""
    log_rejection(status, reason, message)
    return jsonify(error_body(reason, message)), status


def init_app(app: Flask) -> None:
    """Map every exception a request can raise to a JSON answer with a `reason`."""
    @app.errorhandler(BridgeError)
    def handle_bridge_error(exc):
        response = answer(exc.status, exc.reason, exc.message)
        if isinstance(exc, TooManyRequests):
            response[0].headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(exc):
        reason = HTTP_REASONS.get(exc.code, exc.name.lower().replace(" ", "_"))
        if wants_page(exc.code):
            log_rejection(exc.code, reason, exc.description)
            return render_template("error.html", status=404, message="There is no page at this address."), 404
        response = answer(exc.code, reason, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response[0].headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(error_body("internal_error", "unexpected error; see the server log")), 500
