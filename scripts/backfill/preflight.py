"""What a run checks before it pages Jira: the service answers at the endpoint's address, accepts a
signed delivery at its webhook path, and (for ``--prune``) accepts the catalog token."""

from __future__ import annotations

import requests

from app.ingest.jira_events import now_ms

from .catalog import CatalogReader
from .config import BackfillSettings, ConfigError, RunStopped, redact_urls
from .poster import Poster, answer_body, failure_text
from .progress import log

PROBE_EVENT = "backfill:probe"  # no mapping maps it: the service records the delivery as ignored


def probe_event() -> dict:
    """A webhook-shaped event no configuration maps."""
    return {"timestamp": now_ms(), "webhookEvent": PROBE_EVENT, "probe": {"source": "backfill_history.py"}}


def check_health(settings: BackfillSettings) -> None:
    """GET <service>/healthz: ConfigError naming --endpoint when nothing answers there, RunStopped when
    the service answers that it is unwell."""
    url = f"{settings.catalog_base}/healthz"
    shown = redact_urls(url)
    try:
        response = requests.get(url, timeout=settings.jira.timeout)
    except requests.RequestException as exc:
        raise ConfigError(f"the endpoint does not answer: GET {shown} failed ({type(exc).__name__}); check "
                          f"--endpoint (env PORT_URL): its scheme, host and port, and that the service runs") from None
    if response.status_code == 404 or (response.ok and answer_body(response).get("ok") is not True):
        raise ConfigError(f"no jira-catalog-bridge answers at {shown} (HTTP {response.status_code}): check "
                          f"--endpoint (env PORT_URL): its host, port, and any path before /webhooks/")
    if not response.ok:
        said = failure_text(answer_body(response)) or "no reason given"
        raise RunStopped(f"the service is unwell: GET {shown} answered HTTP {response.status_code} ({said})")


def check_delivery(settings: BackfillSettings, poster: Poster) -> None:
    """Post one signed probe event, in a page unless ``--single``: a refused signature or an unknown
    webhook path raises ConfigError (the poster's), a delivery given up RunStopped. A service that
    refuses pages (415) makes the poster fall back to one request per event."""
    paged = not poster.single
    outcome = poster.post_many([probe_event()])[0]
    if paged and poster.single:
        log("warning: the endpoint does not take pages of events (HTTP 415 to application/x-ndjson): "
            "posting one request per event")
    if outcome.gave_up:
        raise RunStopped(f"the endpoint answers /healthz but not the probe delivery: {outcome.message}")
    said = f" ({outcome.message})" if outcome.message else ""
    if outcome.status == "failed":
        log(f"warning: the endpoint recorded the probe delivery as failed{said}")
    else:
        log(f"endpoint checked: {redact_urls(settings.endpoint)} accepted a signed probe delivery, "
            f"recorded {outcome.status}{said}")


def check_endpoint(settings: BackfillSettings, poster: Poster | None, catalog: CatalogReader) -> None:
    """Every check the run's flags call for; a dry run posts nothing, so it checks the token only."""
    if poster is not None:
        check_health(settings)
        check_delivery(settings, poster)
    if settings.prune:
        catalog.check_access(settings.blueprint)
