"""The error tree: each class's default status and reason, overriding them, and the error body."""

import pytest

from app.errors import BadRequest, BridgeError, ConfigError, NotFound, Unauthorized, UnsupportedMediaType, error_body


@pytest.mark.parametrize("kind, status, reason", [
    (BridgeError, 500, "internal_error"), (ConfigError, 500, "bad_configuration"),
    (BadRequest, 400, "bad_request"), (Unauthorized, 401, "unauthorized"),
    (NotFound, 404, "not_found"), (UnsupportedMediaType, 415, "unsupported_media_type"),
])
def test_each_error_has_its_default_status_and_reason(kind, status, reason):
    error = kind("what went wrong")

    assert (error.status, error.reason, error.message) == (status, reason, "what went wrong")
    assert isinstance(error, BridgeError) and str(error) == "what went wrong"


def test_the_constructor_overrides_reason_and_status():
    error = NotFound("no such event", "event_not_found", status=410)

    assert (error.status, error.reason) == (410, "event_not_found")


def test_an_override_leaves_the_class_defaults_alone():
    BadRequest("bad paging", "invalid_paging", status=422)

    assert (BadRequest("x").status, BadRequest("x").reason) == (400, "bad_request")


def test_the_error_body_has_ok_reason_and_message():
    assert error_body("not_found", "no such thing") == {"ok": False, "reason": "not_found",
                                                        "message": "no such thing"}
