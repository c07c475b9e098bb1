"""The worker's reconcile schedule: an incremental pass every RECONCILE_INTERVAL_SECONDS, a full
pass every RECONCILE_FULL_INTERVAL_SECONDS, one at a time across processes and instances.

What is due is read from the passes recorded in the database, under the pass lock, so that workers
of several instances share one schedule: whichever takes the lock runs the due pass, and the others
then find it not due. A restart runs what fell due meanwhile; the first start runs a full pass.
"""

import logging
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..catalog.engine import utcnow
from ..catalog.store import Store
from ..catalog.tables import reconcile_passes
from ..config import Settings
from ..mapping.configs import WebhookConfig
from .lock import pass_lock
from .run import ReconcileFailed, Reconciler, describe, reconciler_for

log = logging.getLogger("jira_catalog_bridge.reconcile")
MAX_TICK_SECONDS = 30.0


def last_started(engine: sa.Engine, webhook: str, kind: str | None = None) -> datetime | None:
    """When the newest pass (of `kind`, else of any kind) of this configuration started."""
    conditions = [reconcile_passes.c.webhook == webhook]
    if kind:
        conditions.append(reconcile_passes.c.kind == kind)
    with engine.connect() as conn:
        moment = conn.execute(sa.select(sa.func.max(reconcile_passes.c.started_at)).where(*conditions)).scalar()
    return None if moment is None else (moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def due_pass(engine: sa.Engine, webhook: str, settings: Settings, now: datetime) -> str | None:
    """The pass due now: "full" when none ran for RECONCILE_FULL_INTERVAL_SECONDS, else
    "incremental" when no pass started for RECONCILE_INTERVAL_SECONDS, else None."""
    full_every, every = settings.RECONCILE_FULL_INTERVAL_SECONDS, settings.RECONCILE_INTERVAL_SECONDS
    if full_every:
        last_full = last_started(engine, webhook, "full")
        if last_full is None or now - last_full >= timedelta(seconds=full_every):
            return "full"
    last_any = last_started(engine, webhook)
    if every and (last_any is None or now - last_any >= timedelta(seconds=every)):
        return "incremental"
    return None


def run_due(reconciler: Reconciler, settings: Settings) -> str | None:
    """Run the pass due now, unless another process holds the lock; the kind run (None: none)."""
    engine = reconciler.engine
    with pass_lock(engine) as held:
        if not held:
            return None
        kind = due_pass(engine, reconciler.config.identifier, settings, utcnow())
        if kind is not None:
            try:
                result = reconciler.run(kind)
            except ReconcileFailed as exc:
                log.warning("%s", exc.message)  # recorded; the next pass falls due at the next interval
            else:
                log.info("reconcile %s pass %d: %s", kind, result.pass_id, describe(result.counts))
        return kind


def tick_seconds(settings: Settings) -> float:
    """How often the schedule looks for a due pass."""
    intervals = [s for s in (settings.RECONCILE_INTERVAL_SECONDS, settings.RECONCILE_FULL_INTERVAL_SECONDS) if s]
    return min([MAX_TICK_SECONDS, *intervals])


def scheduled(settings: Settings) -> bool:
    """Whether the worker runs passes: JIRA_URL set and an interval that is not 0."""
    return bool(settings.JIRA_URL) and bool(settings.RECONCILE_INTERVAL_SECONDS or
                                            settings.RECONCILE_FULL_INTERVAL_SECONDS)


def start_schedule(store: Store, configs: dict[str, WebhookConfig], settings: Settings,
                   stop: threading.Event) -> threading.Thread:
    """A thread running due passes until `stop` is set."""
    reconciler = reconciler_for(store, configs, settings)

    def loop() -> None:
        while not stop.is_set():
            try:
                run_due(reconciler, settings)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the schedule
                log.exception("reconcile schedule: looking for a due pass failed")
            stop.wait(tick_seconds(settings))

    log.info("reconcile passes of %r against %s: incremental every %ds, full every %ds",
             reconciler.config.identifier, settings.JIRA_URL, settings.RECONCILE_INTERVAL_SECONDS,
             settings.RECONCILE_FULL_INTERVAL_SECONDS)
    thread = threading.Thread(target=loop, name="reconcile", daemon=True)
    thread.start()
    return thread
