"""Logging: one text line per record on stderr, one JSON line per HTTP request, and the request
latency metric beside it.

The request line carries method, path (never the query string: it may hold the URL token), HTTP status,
duration, and for webhook deliveries the webhook, delivery id, event id and event status.

Values from requests (paths, ids, headers) reach log messages: a control character in one (a newline
above all) could forge a line. The JSON lines escape them as JSON does; the text lines escape them
as `\\xNN` / `\\uNNNN` (`escape_controls`). A traceback keeps its own line breaks.
"""

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from flask import Flask, g, request

from .errors import ConfigError
from .metrics import observe_request

REQUEST_LOGGER = "jira_catalog_bridge.requests"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """`text` with every control character written as an escape, so it stays on one line."""
    return CONTROLS.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                        else f"\\u{ord(m[0]):04x}", text)


class EscapingFormatter(logging.Formatter):
    """The text format, with control characters in the message escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_controls(super().formatMessage(record))


class JsonLineFormatter(logging.Formatter):
    """A record whose message is a dict, as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"), "level": record.levelname, "logger": record.name}
        line.update(record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()})
        # ensure_ascii escapes every control character (and U+2028/2029) inside the strings.
        return json.dumps(line, separators=(",", ":"), default=str, ensure_ascii=True)


def request_logger() -> logging.Logger:
    """The request logger with its own JSON handler (other loggers keep their text format)."""
    logger = logging.getLogger(REQUEST_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLineFormatter())
        logger.addHandler(handler)
        logger.propagate = False
    return logger


def configure_logging(level: str) -> None:
    """One line per record on stderr; gunicorn's own handlers are kept when present."""
    name = level.upper()
    if not isinstance(logging.getLevelName(name), int):
        raise ConfigError(f"setting LOG_LEVEL: unknown level {level!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(EscapingFormatter(TEXT_FORMAT))
    logging.basicConfig(level=name, handlers=[handler])
    logging.getLogger("jira_catalog_bridge").setLevel(name)


def init_app(app: Flask) -> None:
    """Time every request; log it as JSON and observe its latency when the answer is ready."""
    logger = request_logger()

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response):
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        observe_request(request.method, request.endpoint, response.status_code, seconds)
        if logger.isEnabledFor(logging.INFO):
            logger.info(request_line(response.status_code, seconds))
        return response


def request_line(status: int, seconds: float) -> dict:
    """The fields of one request's log line."""
    line = {"method": request.method, "path": request.path, "status": status,
            "duration_ms": round(seconds * 1000, 3)}
    if request.blueprint == "webhooks":
        line["webhook"] = (request.view_args or {}).get("identifier")
        line["delivery_id"] = request.headers.get("X-Atlassian-Webhook-Identifier")
    line.update(g.get("event_fields", {}))
    return line
