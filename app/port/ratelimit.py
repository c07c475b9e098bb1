"""Port's rate limit: the wait its headers ask for, bounded, and the pause that enforces it.

Port answers 429 with `Retry-After` (seconds or an HTTP date) and `x-ratelimit-reset`. Whatever they
say, the wait is cut to [0, RETRY_AFTER_CEILING]. A `RateLimitPause` is shared by every client of one
organisation's credentials at one base URL in this process (`shared_pause`); it is not shared across
processes (docs/port.md says why).
"""

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

# The longest wait Port's Retry-After or x-ratelimit-reset can impose; longer (or infinite) asks
# are cut to this, so a bogus header can neither stall delivery for ever nor overflow a date.
RETRY_AFTER_CEILING = 3600.0
# The pause after a 429 that names no wait (each item's own backoff still grows on top of it).
DEFAULT_RATE_LIMIT_PAUSE = 1.0


def seconds_until(raw: object, now: float | None = None) -> float | None:
    """Seconds to wait from a header value: delta seconds, epoch seconds, HTTP date or ISO 8601.

    The result lies in [0, RETRY_AFTER_CEILING]; None when the value says nothing (empty, NaN or
    unparseable)."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    now = time.time() if now is None else now
    try:
        number = float(text)
    except ValueError:
        moment = parse_moment(text)
        return None if moment is None else clamp_wait(moment.timestamp() - now)
    if math.isnan(number):
        return None
    # Large numbers are epoch timestamps, small ones a delay in seconds.
    return clamp_wait(number - now if number > 1e9 else number)


def clamp_wait(seconds: float) -> float:
    """A wait cut to [0, RETRY_AFTER_CEILING]."""
    return min(max(0.0, seconds), RETRY_AFTER_CEILING)


def parse_moment(text: str) -> datetime | None:
    """An HTTP date or ISO 8601 timestamp as an aware datetime, or None."""
    for parse in (parsedate_to_datetime, datetime.fromisoformat):
        try:
            moment = parse(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


class RateLimitPause:
    """The moment until which no request may go to Port, shared by the threads of a process;
    `default_wait` is the pause after a 429 that names no wait."""

    def __init__(self, default_wait: float = DEFAULT_RATE_LIMIT_PAUSE,
                 clock: Callable[[], float] = time.monotonic):
        self.default_wait = default_wait
        self.clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def remaining(self) -> float:
        """Seconds the pause still lasts; 0 when requests may go."""
        with self._lock:
            return max(0.0, self._until - self.clock())

    def extend(self, seconds: float | None) -> None:
        """Hold requests back for `seconds` (None: `default_wait`) from now, never shortening a
        pause already in force."""
        wait = self.default_wait if seconds is None else seconds
        with self._lock:
            self._until = max(self._until, self.clock() + clamp_wait(wait))


_PAUSES: dict[tuple[str, str], RateLimitPause] = {}
_PAUSES_LOCK = threading.Lock()


def shared_pause(base_url: str, client_id: str) -> RateLimitPause:
    """The process-wide pause of one organisation's credentials at one Port base URL."""
    with _PAUSES_LOCK:
        return _PAUSES.setdefault((base_url, client_id), RateLimitPause())


def retry_after_of(response: requests.Response) -> float | None:
    """Port's requested wait: `Retry-After`, else `x-ratelimit-reset` when the budget is spent."""
    wait = seconds_until(response.headers.get("Retry-After"))
    if wait is None and (response.status_code == 429
                         or response.headers.get("x-ratelimit-remaining") == "0"):
        wait = seconds_until(response.headers.get("x-ratelimit-reset"))
    return wait
