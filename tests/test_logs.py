"""Logging: one JSON line per request with the event's id, webhook and status; LOG_LEVEL checked."""

import json
import logging

import pytest

from app.errors import ConfigError
from app.logs import REQUEST_LOGGER, JsonLineFormatter, configure_logging
from tests.support.helpers import post_event, seed_payload


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
