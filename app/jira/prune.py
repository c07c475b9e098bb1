"""The prune rule: which catalog entities a complete listing of Jira did not produce, refused when
they are too large a share of the catalog (a listing that came back short by mistake must not empty
it). The rule on counts (``check_share``) is the backfill's --prune, which counts on disk; the full
reconcile pass holds sets and plans with ``plan_prune``."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import BridgeError

DEFAULT_THRESHOLD = 0.9


class PruneRefused(BridgeError):
    """Pruning would delete more of the catalog than the threshold allows."""

    reason = "prune_refused"


def check_share(stale: int, total: int, threshold: float) -> None:
    """Refuse (PruneRefused) to delete ``stale`` of a catalog's ``total`` entities when they are more than
    ``threshold`` of it; an empty catalog has nothing to refuse."""
    if total and stale > threshold * total:
        raise PruneRefused(f"pruning would delete {stale} of {total} entities, "
                           f"over the threshold of {threshold:.0%}; nothing deleted")


def plan_prune(catalog_ids: Iterable[str], produced_ids: Iterable[str], threshold: float) -> list[str]:
    """Identifiers in the catalog the run did not produce; refuses when they exceed ``threshold`` of it."""
    catalog_ids = set(catalog_ids)
    stale = sorted(catalog_ids - set(produced_ids))
    check_share(len(stale), len(catalog_ids), threshold)
    return stale
