"""Logging: one line per record on stderr, in one format for the whole stream (LOG_FORMAT: a JSON
object per line, or text for a terminal), one line per HTTP request, and the request latency metric
beside it. Under gunicorn its own log lines take the same format (gunicorn.conf.py's
`logconfig_dict` builds its formatter with `make_formatter`).

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


def text_value(value: object) -> str:
    """A request line's value in the text format: strings with spaces (or none) JSON-quoted."""
    if isinstance(value, str) and (not value or " " in value or '"' in value):
        return json.dumps(value, ensure_ascii=True)
    return str(value)


class EscapingFormatter(logging.Formatter):
    """The text format, with control characters in the message escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        if isinstance(record.msg, dict):
            record.message = " ".join(f"{key}={text_value(value)}"
                                      for key, value in record.msg.items())
        return escape_controls(super().formatMessage(record))


class JsonLineFormatter(logging.Formatter):
    """A record as one JSON object per line: a dict message gives its fields, any other message
    the `message` field, and a traceback the `traceback` field."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"), "level": record.levelname, "logger": record.name}
        line.update(record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        # ensure_ascii escapes every control character (and U+2028/2029) inside the strings.
        return json.dumps(line, separators=(",", ":"), default=str, ensure_ascii=True)


def make_formatter(log_format: str) -> logging.Formatter:
    """The formatter of LOG_FORMAT: `json` or `text`."""
    return JsonLineFormatter() if log_format == "json" else EscapingFormatter(TEXT_FORMAT)


def configure_logging(level: str, log_format: str = "json") -> None:
    """Every record on stderr in `log_format`: this module's handler on the root logger (added
    once), Python's warnings through it, and gunicorn's error log when it runs under gunicorn.
    Alembic's progress lines only at DEBUG: `upgrade-db` says what it applied."""
    name = level.upper()
    if not isinstance(logging.getLevelName(name), int):
        raise ConfigError(f"setting LOG_LEVEL: unknown level {level!r}")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "bridge_stderr", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.bridge_stderr = True
        root.addHandler(handler)
    formatter = make_formatter(log_format)
    for each in [handler, *logging.getLogger("gunicorn.error").handlers]:
        each.setFormatter(formatter)
    root.setLevel(name)
    logging.captureWarnings(True)
    logging.getLogger("jira_catalog_bridge").setLevel(name)
    logging.getLogger("alembic").setLevel(name if name == "DEBUG" else "WARNING")


def write_fatal(message: str) -> None:
    """The one line a process stops with: a CRITICAL record once logging is configured (so it
    keeps the stream's format), else plain text on stderr."""
    if any(getattr(h, "bridge_stderr", False) for h in logging.getLogger().handlers):
        logging.getLogger("jira_catalog_bridge").critical(message)
    else:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def init_app(app: Flask) -> None:
    """Time every request; log its line and observe its latency when the answer is ready."""
    logger = logging.getLogger(REQUEST_LOGGER)

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
