"""Prometheus metrics: defined once per process, aggregated across gunicorn workers.

Under gunicorn, `gunicorn.conf.py` sets PROMETHEUS_MULTIPROC_DIR before the workers start, so every
worker writes its samples there and `GET /metrics` (in any worker) reports the sum. Without it (tests,
`flask run`) the metrics live in this process only.

How the cross-part metrics are fed:
- `OUTBOX_DEPTH` is set from the outbox's counts (pending + in flight) each time metrics are scraped
  (`set_outbox_depth`);
- `BACKFILL_EVENTS` counts events whose delivery id is the backfill's (`backfill-...`), as they arrive;
- `bridge_webhook_refusals_total` is read from the database's refusal counters when scraped
  (`render_metrics(refusals=...)`), so every worker and instance reports the same total;
- `bridge_reconcile_*` are read from the recorded reconcile passes when scraped
  (`render_metrics(reconcile=...)`): the passes run in the worker process, whose samples no web
  process sees.

Every label comes from a closed set, so that no request can add series: an HTTP method outside
`METHODS` is `OTHER`, a path no route matches is `unmatched`, a status outside 100..599 is `other`,
the webhook label is only ever a configured identifier (unknown webhooks answer 404 before
anything is counted), and a refusal's reason one of app.ingest.refusals.REASONS.
"""

import os
import time
from collections.abc import Iterable, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REGISTRY = CollectorRegistry(auto_describe=True)
LATENCY_BUCKETS = (.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5)
TRANSLATION_BUCKETS = (.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .01, .1)

EVENTS = Counter("bridge_events", "Webhook events recorded, by webhook and outcome status",
                 ["webhook", "status"], registry=REGISTRY)
TRANSLATION_SECONDS = Histogram("bridge_translation_seconds", "Time to translate one event",
                                ["webhook"], buckets=TRANSLATION_BUCKETS, registry=REGISTRY)
REQUEST_SECONDS = Histogram("bridge_request_seconds", "HTTP request latency inside the app",
                            ["method", "endpoint", "code"], buckets=LATENCY_BUCKETS,
                            registry=REGISTRY)
OUTBOX_DEPTH = Gauge("bridge_outbox_depth", "Entity changes waiting in the outbox",
                     registry=REGISTRY, multiprocess_mode="mostrecent")
BACKFILL_EVENTS = Counter("bridge_backfill_events",
                          "Events delivered by scripts/backfill_history.py, by webhook and outcome",
                          ["webhook", "status"], registry=REGISTRY)
BACKFILL_PREFIX = "backfill-"  # the backfill's delivery ids (app/ingest/jira_events.py)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


REFUSALS = "bridge_webhook_refusals"


class Families:
    """A collector of metric families built for one scrape."""

    def __init__(self, *families: CounterMetricFamily):
        self.families = families

    def collect(self):
        return self.families


def render_metrics(refusals: Mapping[tuple[str, str], int] | None = None,
                   refusals_help: str = "Webhook deliveries refused",
                   reconcile: Mapping[str, Mapping] | None = None) -> tuple[bytes, str]:
    """The exposition text and its content type, summed over workers in multiprocess mode, with
    `refusals` ({(webhook, reason): count}, counted in the database) as bridge_webhook_refusals_total
    and `reconcile` (app.reconcile.passes.metric_totals) as bridge_reconcile_*."""
    registry = REGISTRY
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    text = generate_latest(registry)
    families = []
    if refusals is not None:
        family = CounterMetricFamily(REFUSALS, refusals_help, labels=["webhook", "reason"])
        for (webhook, reason), count in sorted(refusals.items()):
            family.add_metric([webhook, reason], count)
        families.append(family)
    if reconcile is not None:
        families.extend(reconcile_families(reconcile))
    if families:
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(Families(*families))
        text += generate_latest(scrape)
    return text, CONTENT_TYPE_LATEST


def reconcile_families(totals: Mapping[str, Mapping]) -> list:
    """bridge_reconcile_* from the passes' totals: passes by kind and status; changes made and
    changes webhooks had missed, by kind; the last successful pass's end, by kind (epoch seconds)."""
    passes = CounterMetricFamily("bridge_reconcile_passes", "Reconcile passes, by kind and status",
                                 labels=["kind", "status"])
    for (kind, status), count in sorted(totals["passes"].items()):
        passes.add_metric([kind, status], count)
    families = [passes]
    for name, key, help_text in (
            ("bridge_reconcile_changed", "changed", "Entities reconcile passes created or updated, by kind"),
            ("bridge_reconcile_missed", "missed", "Changes reconcile passes found that webhooks had not "
                                                  "delivered, by kind")):
        family = CounterMetricFamily(name, help_text, labels=["kind"])
        for kind, count in sorted(totals[key].items()):
            family.add_metric([kind], count)
        families.append(family)
    last = GaugeMetricFamily("bridge_reconcile_last_success_timestamp_seconds",
                             "When the last successful reconcile pass ended, by kind", labels=["kind"])
    for kind, moment in sorted(totals["last_success"].items()):
        last.add_metric([kind], moment)
    return [*families, last]


def observe_event(webhook: str, status: str, translation_seconds: float,
                  delivery_id: str | None = None) -> None:
    """Count one recorded event (and a backfill's separately) and how long its translation took."""
    observe_events(webhook, [(status, translation_seconds, delivery_id)])


def observe_events(webhook: str, observed: Iterable[tuple[str, float, str | None]]) -> None:
    """observe_event for several events of one webhook, given as (status, translation seconds,
    delivery id): each counter is incremented once per status, by its count."""
    translations = TRANSLATION_SECONDS.labels(webhook)
    events: dict[str, int] = {}
    backfill: dict[str, int] = {}
    for status, seconds, delivery_id in observed:
        translations.observe(seconds)
        events[status] = events.get(status, 0) + 1
        if delivery_id and delivery_id.startswith(BACKFILL_PREFIX):
            backfill[status] = backfill.get(status, 0) + 1
    for counter, counts in ((EVENTS, events), (BACKFILL_EVENTS, backfill)):
        for status, count in counts.items():
            counter.labels(webhook, status).inc(count)


def observe_request(method: str, endpoint: str | None, code: int, seconds: float) -> None:
    """Observe one request's latency; `endpoint` is the matched route's name (None: unmatched)."""
    REQUEST_SECONDS.labels(method if method in METHODS else "OTHER", endpoint or "unmatched",
                           str(code) if 100 <= code <= 599 else "other").observe(seconds)


def set_outbox_depth(counts: dict[str, int]) -> None:
    """Set the outbox gauge from the outbox's `{status: count}`: changes pending or in flight."""
    OUTBOX_DEPTH.set(counts["pending"] + counts["inflight"])


def mark_worker_dead(pid: int) -> None:
    """Drop a gone worker's live gauges (gunicorn's child_exit hook)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)


def clock() -> float:
    """A monotonic clock in seconds, for durations."""
    return time.perf_counter()
