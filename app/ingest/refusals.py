"""Deliveries refused before they became events (a wrong secret, a body that is not JSON): counted
per webhook and reason in the database, so that every worker and instance adds to the same counts,
and explained with the fix each reason calls for.

Only configured webhooks are counted (an unknown one is answered 404 before) and only the reasons in
REASONS, so the counters stay a handful of rows whatever a sender floods the endpoint with.
"""

import logging
from collections.abc import Iterable

from ..catalog import queries
from ..catalog.store import Store
from ..mapping.configs import WebhookConfig
from .security import missing_secret_message

log = logging.getLogger("jira_catalog_bridge.refusals")
NOT_JSON = "the sender does not send a JSON object: is this URL registered for something other than Jira's webhooks?"
REASONS = ("webhook_secret_not_configured", "missing_signature", "invalid_signature", "invalid_token",
           "body_too_large", "unsupported_content_type", "invalid_utf8", "invalid_json",
           "json_not_object", "json_too_deep", "empty_page", "too_many_events", "invalid_line")
METRIC_HELP = ("Webhook deliveries refused before they became events, by webhook and reason, read "
               "from the database (every instance reports the same total). Fixes: ")


def record_refusal(store: Store, config: WebhookConfig, reason: str, count: int = 1) -> None:
    """Count `count` refused deliveries (or lines of a page) of a known reason; a database that
    fails to count them is logged, and the refusal is answered all the same."""
    if reason not in REASONS:
        return
    try:
        store.count_refusal(config.identifier, reason, count)
    except Exception as exc:  # noqa: BLE001 - the statement runs on the driver's cursor, whose errors are the driver's own
        log.warning("could not count a refused delivery to %r (%s): %s", config.identifier, reason, exc)


def secret_setting(config: WebhookConfig, key: str = "secret") -> str:
    """The setting a security value is read from, else where it is written."""
    name = config.references.get(key)
    return name if name else f"security.{key} in {config.source}"


def fix_for(config: WebhookConfig, reason: str) -> str:
    """What the operator changes so that deliveries refused for `reason` are accepted."""
    security = config.security
    if reason == "webhook_secret_not_configured":
        if "secret" in config.references:
            return (f"set {config.references['secret']}, which security.secret reads (or "
                    "ALLOW_UNSIGNED_WEBHOOKS=true to accept unsigned requests)")
        return missing_secret_message(config.source, config.references)
    if reason == "missing_signature":
        token = security.get("queryTokenParam")
        return (f"the deliveries carry no {security['signatureHeaderName'] or 'signature'} header: "
                f"give the Jira webhook the secret in {secret_setting(config)}"
                + (f", or append ?{token}=<{secret_setting(config, 'queryToken')}> to its URL"
                   if token else ""))
    if reason == "invalid_signature":
        return (f"the secret in Jira differs from {secret_setting(config)} (or a proxy changes the "
                "body on the way)")
    if reason == "invalid_token":
        return (f"the ?{security.get('queryTokenParam')}= token in the URL registered in Jira differs "
                f"from {secret_setting(config, 'queryToken')}")
    if reason == "body_too_large":
        return "the body is over MAX_BODY_BYTES: raise MAX_BODY_BYTES"
    if reason == "json_too_deep":
        return "the body nests deeper than MAX_JSON_DEPTH: raise MAX_JSON_DEPTH"
    if reason == "unsupported_content_type":
        return ("the sender's Content-Type is not JSON: have it send application/json (one event) "
                "or application/x-ndjson (a page of events)")
    if reason == "empty_page":
        return "the sender posts application/x-ndjson pages without a line: have it send at least one event"
    if reason == "too_many_events":
        return "the pages hold more lines than MAX_EVENTS_PER_REQUEST: raise it, or send smaller pages"
    if reason == "invalid_line":
        return ('lines of application/x-ndjson pages are not {"headers": {...}, "body": {...}} objects: '
                "each answer's results name the line and why")
    return NOT_JSON


def list_refusals(store: Store, configs: dict[str, WebhookConfig]) -> list[dict]:
    """The refusal counters of configured webhooks and known reasons, most recent first, each
    with its fix."""
    return [{**row, "fix": fix_for(configs[row["webhook"]], row["reason"])}
            for row in queries.list_refusals(store.engine)
            if row["webhook"] in configs and row["reason"] in REASONS]


def refusal_counts(store: Store, configs: dict[str, WebhookConfig]) -> dict[tuple[str, str], int]:
    """{(webhook, reason): count} for every configured webhook and known reason, zeros included
    (a series that exists before its first refusal lets `rate()` see the first one)."""
    counts = {(name, reason): 0 for name in configs for reason in REASONS}
    counts.update({(row["webhook"], row["reason"]): row["count"]
                   for row in list_refusals(store, configs)})
    return counts


def metric_help(configs: Iterable[WebhookConfig]) -> str:
    """The refusal counter's help text: the fix of each reason (per webhook where they differ),
    reasons with the same fix together."""
    configs = list(configs)
    reasons_by_fix = {}
    for reason in REASONS:
        fixes = {config.identifier: fix_for(config, reason) for config in configs}
        shared = len(set(fixes.values())) == 1
        for name, fix in fixes.items():
            label = reason if shared else f"{reason} ({name})"
            if label not in reasons_by_fix.setdefault(fix, []):
                reasons_by_fix[fix].append(label)
    return METRIC_HELP + "; ".join(f"{', '.join(reasons)}: {fix}" for fix, reasons in reasons_by_fix.items())
