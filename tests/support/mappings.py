"""The shipped webhook configurations, and translating a payload with one, for the mapping tests."""

from functools import cache

from app.config import PROJECT_ROOT
from app.mapping.configs import load_webhook_configs
from app.mapping.translate import build_jq_input, translate


@cache
def shipped_configs():
    """mappings/'s configurations, loaded once (no secrets set)."""
    return load_webhook_configs(PROJECT_ROOT / "mappings", {})


def changes_of(config, payload):
    """The entity changes `config` makes of `payload`, which must not fail."""
    translation = translate(config, build_jq_input(payload, {}, {}))
    assert translation.failure is None, translation.failure
    return translation.changes
