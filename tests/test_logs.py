"""Logging: one JSON line per request with the event's id, webhook and status; LOG_LEVEL checked;
no request can forge a line."""

import json
import logging
import subprocess
import sys

import pytest

from app.errors import ConfigError
from app.logs import REQUEST_LOGGER, EscapingFormatter, JsonLineFormatter, configure_logging
from tests.support.helpers import ROOT, post_event, seed_payload


@pytest.fixture
def request_lines():
    """The JSON lines the request logger writes during a test."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JsonLineFormatter().format(record)))

    handler = Collect()
    logging.getLogger(REQUEST_LOGGER).addHandler(handler)
    yield lines
    logging.getLogger(REQUEST_LOGGER).removeHandler(handler)


def test_a_delivery_is_one_json_line(client, request_lines):
    response = post_event(client, seed_payload(), delivery_id="d-1")
    (line,) = request_lines
    assert {k: line[k] for k in ("method", "path", "status", "webhook", "delivery_id",
                                 "event_id", "event_status", "level")} == {
        "method": "POST", "path": "/webhooks/jira", "status": 202, "webhook": "jira",
        "delivery_id": "d-1", "event_id": response.get_json()["eventId"],
        "event_status": "applied", "level": "INFO"}
    assert line["duration_ms"] >= 0 and line["ts"].endswith("+00:00")


def test_rejections_and_the_url_token_are_logged_without_the_query(client, request_lines):
    client.post("/webhooks/jira?token=sekrit", data=b"{}",
                headers={"Content-Type": "application/json"})
    client.get("/healthz")
    assert [(line["path"], line["status"]) for line in request_lines] == [
        ("/webhooks/jira", 401), ("/healthz", 200)]
    assert "sekrit" not in json.dumps(request_lines) and "event_id" not in request_lines[0]


def test_an_unknown_log_level_stops_startup_naming_log_level():
    with pytest.raises(ConfigError, match="LOG_LEVEL") as caught:
        configure_logging("nonsense")

    assert "'nonsense'" in caught.value.message


FORGED = "2026-01-01 00:00:00,000 WARNING jira_catalog_bridge: forged"
LOGGING_SCRIPT = """
import sys
from app import create_app
client = create_app({"DATABASE_URL": sys.argv[1], "JIRA_WEBHOOK_SECRET": "s",
                     "LOG_FORMAT": sys.argv[3]}).test_client()
client.get("/nowhere%0A" + sys.argv[2].replace(" ", "%20"))
client.post("/webhooks/jira%0D%0A" + sys.argv[2].replace(" ", "%20"), data=b"{}")
"""


def logged_lines(tmp_path, log_format):
    """The stderr lines of an app in `log_format` that answered two requests with forged lines
    in their paths."""
    run = subprocess.run([sys.executable, "-c", LOGGING_SCRIPT, f"sqlite:///{tmp_path}/l.db", FORGED,
                          log_format], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return [line for line in run.stderr.splitlines() if line.strip()
            and not line.startswith(("=", " ", "No CATALOG", "Sign in", "and send", "Print it"))]


def test_every_record_is_one_json_line_and_cannot_be_forged(tmp_path):
    lines = logged_lines(tmp_path, "json")
    records = [json.loads(line) for line in lines]
    assert {r["path"] for r in records if "path" in r} == {"/nowhere\n" + FORGED,
                                                          "/webhooks/jira\r\n" + FORGED}
    [rejected] = [r for r in records if r.get("message", "").startswith("rejected GET /nowhere")]
    assert rejected["level"] == "WARNING" and "\n" + FORGED in rejected["message"]


def test_log_format_text_writes_every_record_as_escaped_text(tmp_path):
    lines = logged_lines(tmp_path, "text")
    assert not [line for line in lines if line.startswith(("{", FORGED[:10]))], lines
    [rejected] = [line for line in lines if "rejected GET /nowhere" in line]
    assert "\\x0a" + FORGED in rejected
    [request] = [line for line in lines if "method=POST" in line]
    assert f'path="/webhooks/jira\\r\\n{FORGED}"' in request and "status=404" in request


def test_the_text_format_escapes_controls_in_messages_but_keeps_tracebacks():
    formatter = EscapingFormatter("%(message)s")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "path %s", ("/a\nb\u2028c\x1b",),
                                   sys.exc_info())
    first, *trace = formatter.format(record).splitlines()
    assert first == "path /a\\x0ab\\u2028c\\x1b" and trace[-1] == "ValueError: boom"


PYTHON_WARNING_SCRIPT = """
import sys, warnings
from app import create_app
create_app({"DATABASE_URL": sys.argv[1], "JIRA_WEBHOOK_SECRET": "s"})
warnings.warn("an old call", DeprecationWarning)
"""


def test_python_warnings_are_json_lines_too(tmp_path):
    run = subprocess.run([sys.executable, "-W", "always", "-c", PYTHON_WARNING_SCRIPT,
                          f"sqlite:///{tmp_path}/w.db"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    records = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]

    assert [r["logger"] for r in records if "an old call" in r["message"]] == ["py.warnings"]
    assert [line for line in run.stderr.splitlines()
            if "an old call" in line and not line.startswith("{")] == []
