"""The prune rule: which catalog entities a complete listing of Jira did not produce, refused when
they are too large a share of the catalog (a listing that came back short by mistake must not empty
it). Shared by the backfill's --prune and the full reconcile pass."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import BridgeError

DEFAULT_THRESHOLD = 0.9


class PruneRefused(BridgeError):
    """Pruning would delete more of the catalog than the threshold allows."""

    reason = "prune_refused"


def plan_prune(catalog_ids: Iterable[str], produced_ids: Iterable[str], threshold: float) -> list[str]:
    """Identifiers in the catalog the run did not produce; refuses when they exceed ``threshold`` of it."""
    catalog_ids = set(catalog_ids)
    stale = sorted(catalog_ids - set(produced_ids))
    if catalog_ids and len(stale) > threshold * len(catalog_ids):
        raise PruneRefused(f"pruning would delete {len(stale)} of {len(catalog_ids)} entities, "
                           f"over the threshold of {threshold:.0%}; nothing deleted")
    return stale
