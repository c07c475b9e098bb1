"""Pruning the event log by age and count: on demand, and once an hour after webhook answers."""

import logging
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from ..catalog.engine import utcnow
from ..catalog.tables import events
from ..config import Settings

log = logging.getLogger("jira_catalog_bridge.retention")


def prune_events(engine: sa.Engine, days: float, max_events: int = 0, include_failed: bool = False) -> int:
    """Delete events older than `days` (and beyond the newest `max_events`); returns the count.

    Events still `failed` are kept unless `include_failed`: they are what replay repairs.
    """
    keep = [] if include_failed else [events.c.status != "failed"]
    doomed = [events.c.received_at < utcnow() - timedelta(days=days)]
    if max_events:
        doomed.append(events.c.id <= newest_cutoff(engine, max_events))
    with engine.begin() as conn:
        return conn.execute(events.delete().where(sa.or_(*doomed), *keep)).rowcount


def newest_cutoff(engine: sa.Engine, max_events: int) -> int:
    """The highest event id beyond the newest `max_events` (0 when there are fewer)."""
    query = sa.select(events.c.id).order_by(events.c.id.desc()).offset(max_events).limit(1)
    with engine.connect() as conn:
        return conn.execute(query).scalar() or 0


class PruneSchedule:
    """Prunes the event log at most once per interval per process, after a response is sent."""

    def __init__(self, settings: Settings, engine: sa.Engine, interval_seconds: float = 3600):
        self.settings, self.engine, self.interval = settings, engine, interval_seconds
        self.next_run = 0.0
        self.lock = threading.Lock()

    def run_if_due(self) -> None:
        """Prune when the interval has passed; one thread of the process does it."""
        now = time.monotonic()
        if now < self.next_run or not self.lock.acquire(blocking=False):
            return
        try:
            self.next_run = now + self.interval
            deleted = prune_events(self.engine, self.settings.EVENT_RETENTION_DAYS,
                                   self.settings.EVENT_RETENTION_MAX_EVENTS)
            if deleted:
                log.info("pruned %d events from the event log", deleted)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("pruning the event log failed, will retry: %s", exc.__class__.__name__)
        finally:
            self.lock.release()
