"""How many requests to Jira may be in flight at once, lowered before Jira starts refusing them.

Jira Cloud marks answers near its rate limit with ``X-RateLimit-NearLimit: true``; slowing down then
costs less than the 429s (and their ``Retry-After`` waits) that would follow."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Protocol

NEAR_LIMIT_HEADER = "X-RateLimit-NearLimit"
CALM_TO_GROW = 20  # answers without a sign of the limit before one more request may be in flight


class Answer(Protocol):
    """What the pace reads of an answer."""

    status_code: int
    headers: Mapping[str, str]


def near_limit(response: Answer) -> bool:
    """Whether the answer says the limit is near (or reached: a 429)."""
    return response.status_code == 429 or response.headers.get(NEAR_LIMIT_HEADER, "").lower() == "true"


class Pace:
    """A gate of at most ``allowed`` requests in flight, ``limit`` at first: halved on every answer near
    the limit, one more after CALM_TO_GROW answers without that sign, up to ``limit``. Once down to one
    request in flight, a further near-limit answer also spaces the next request ``pause`` seconds."""

    def __init__(self, limit: int, pause: float = 0.5):
        self.limit = self.allowed = max(1, limit)
        self.pause = pause
        self.in_flight = 0
        self.calm = 0
        self.slowed = 0
        self.not_before = 0.0
        self.condition = threading.Condition()

    def __enter__(self) -> Pace:
        with self.condition:
            while self.in_flight >= self.allowed:
                self.condition.wait()
            self.in_flight += 1
            delay = self.not_before - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return self

    def __exit__(self, *exc) -> None:
        with self.condition:
            self.in_flight -= 1
            self.condition.notify_all()

    def observe(self, response: Answer) -> None:
        """Adjust the gate to one answer (called before its request leaves the gate)."""
        with self.condition:
            if near_limit(response):
                if self.allowed == 1:
                    self.not_before = time.monotonic() + self.pause
                self.allowed = max(1, self.allowed // 2)
                self.calm = 0
                self.slowed += 1
            else:
                self.calm += 1
                if self.calm >= CALM_TO_GROW and self.allowed < self.limit:
                    self.allowed, self.calm = self.allowed + 1, 0
            self.condition.notify_all()
