"""The exception tree the service raises, and its mapping to HTTP answers."""


class BridgeError(Exception):
    """Base of every error the service answers with a JSON body."""

    status = 500
    reason = "internal_error"

    def __init__(self, message: str, reason: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        if status:
            self.status = status


class ConfigError(BridgeError):
    """Configuration that stops startup; the message names the setting or file."""

    reason = "bad_configuration"


class BadRequest(BridgeError):
    status = 400
    reason = "bad_request"


class Unauthorized(BridgeError):
    status = 401
    reason = "unauthorized"


class NotFound(BridgeError):
    status = 404
    reason = "not_found"


class TooManyRequests(BridgeError):
    """Too many failed token attempts; `retry_after` seconds go into the Retry-After header."""

    status = 429
    reason = "too_many_failed_attempts"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(BridgeError):
    status = 413
    reason = "body_too_large"


class UnsupportedMediaType(BridgeError):
    status = 415
    reason = "unsupported_media_type"


def error_body(reason: str, message: str) -> dict:
    """The JSON body of every error answer."""
    return {"ok": False, "reason": reason, "message": message}
