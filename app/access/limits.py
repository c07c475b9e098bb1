"""The limit on failed token attempts (UI login, API bearer, metrics) per client address, counted
in the database so that every worker and instance shares it.

Only failures are counted and limited: a request with the right token is checked first and never
refused. Behind a proxy (Heroku's router) many clients may share one address; they then share a
limit, which slows guessing and never blocks the right token."""

import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..catalog.access import add_failure
from ..catalog.engine import utcnow

MAX_FAILURES = 10
WINDOW = timedelta(minutes=1)
CLIENT_LENGTH = 64


def window_start(now: datetime) -> datetime:
    """The start of the fixed window `now` falls in."""
    seconds = WINDOW.total_seconds()
    return datetime.fromtimestamp(now.timestamp() // seconds * seconds, UTC)


def record_failure(engine: sa.Engine, client: str | None) -> int | None:
    """Count a failed attempt from `client`; when it goes over MAX_FAILURES in the current
    window, the seconds until the window ends (for Retry-After), else None."""
    now = utcnow()
    start = window_start(now)
    if add_failure(engine, (client or "unknown")[:CLIENT_LENGTH], start) <= MAX_FAILURES:
        return None
    return max(1, math.ceil((start + WINDOW - now).total_seconds()))
