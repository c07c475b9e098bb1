"""Fixtures of the Port tests that make Port answer 429."""

import pytest

from app.port.client import PortClient
from app.port.ratelimit import RateLimitPause


@pytest.fixture
def limited_client(fake_port):
    """A client of the fake Port with a rate-limit pause of its own, so that the pauses its 429s
    cause never reach another test's client (the shared pause is keyed by URL, and ports recur)."""
    return PortClient(fake_port.base_url, "test-client", "test-secret", timeout=2.0,
                      rate_limit=RateLimitPause())
