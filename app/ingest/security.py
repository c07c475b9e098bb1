"""Request authentication for webhook configurations: HMAC signatures, plain secrets, URL tokens."""

import hashlib
import hmac
from collections.abc import Mapping

from ..errors import Unauthorized

DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def is_configured(security: dict) -> bool:
    """Whether the configuration has any secret to check requests against."""
    return bool(security["secret"]) or bool(security.get("queryTokenParam") and
                                            security["queryToken"])


def missing_secret_message(source: str, references: Mapping[str, str]) -> str:
    """What to set when a configuration has no secret: the setting its security.secret reads
    (`references`, e.g. {"secret": "JIRA_WEBHOOK_SECRET"}) and the file (`source`) that names it."""
    unsigned = "or ALLOW_UNSIGNED_WEBHOOKS=true to accept unsigned requests"
    name = references.get("secret")
    if name is None:
        return (f"no secret configured: security.secret in {source} is empty; set it (for example "
                f"secret: ${{JIRA_WEBHOOK_SECRET}}), {unsigned}")
    token = references.get("queryToken")
    token_hint = f" (or {token}, read by security.queryToken)" if token else ""
    return (f"no secret configured: {source} sets security.secret to ${{{name}}} and {name} is unset "
            f"or empty; set {name} to the secret registered in Jira{token_hint}, {unsigned}")


def verify_request(security: dict, raw_body: bytes, headers: Mapping[str, str], query_args: Mapping[str, str],
                   allow_unsigned: bool = False, source: str = "the webhook configuration",
                   references: Mapping[str, str] | None = None) -> None:
    """Raise Unauthorized unless the request proves it knows the configuration's secret;
    `source` (its file) and `references` (the settings it reads) name what to set when it has none."""
    if not is_configured(security):
        if allow_unsigned:
            return
        raise Unauthorized(missing_secret_message(source, references or {}),
                           "webhook_secret_not_configured")
    header_name = security["signatureHeaderName"]
    if security["secret"] and header_name and headers.get(header_name) is not None:
        return verify_signature(security, raw_body, headers.get(header_name))
    token_param = security.get("queryTokenParam")
    if token_param and security["queryToken"] and query_args.get(token_param) is not None:
        return verify_token(security["queryToken"], query_args.get(token_param))
    raise Unauthorized(f"missing signature header {header_name or '(none)'}", "missing_signature")


def verify_signature(security: dict, raw_body: bytes, received: str) -> None:
    """Compare the header with the expected signature of the raw body, in constant time."""
    expected = expected_signature(security, raw_body)
    if not hmac.compare_digest(expected.encode("utf-8"), received.strip().encode("utf-8")):
        raise Unauthorized("signature does not match the request body", "invalid_signature")


def expected_signature(security: dict, raw_body: bytes) -> str:
    """The header value a correctly signed request carries."""
    secret = security["secret"].encode("utf-8")
    if security["signatureAlgorithm"] == "plain":
        value = security["secret"]
    else:
        value = hmac.new(secret, raw_body, DIGESTS[security["signatureAlgorithm"]]).hexdigest()
    return security["signaturePrefix"] + value


def verify_token(expected: str, received: str) -> None:
    """Compare a URL token with the configured one, in constant time."""
    if not hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8")):
        raise Unauthorized("the URL token does not match", "invalid_token")


def sign_body(secret: str, raw_body: bytes, algorithm: str = "sha256", prefix: str = "sha256=") -> str:
    """The signature Jira sends for `raw_body` (used by the backfill and the tests)."""
    return prefix + hmac.new(secret.encode("utf-8"), raw_body, DIGESTS[algorithm]).hexdigest()
