"""The prune rule shared by the backfill and the full reconcile pass."""

import pytest

from app.jira.prune import PruneRefused, plan_prune


def test_what_the_listing_lacks_is_pruned_in_order():
    assert plan_prune({"A-3", "A-1", "A-2"}, {"A-2"}, 0.9) == ["A-1", "A-3"]


def test_an_empty_catalog_prunes_nothing():
    assert plan_prune(set(), {"A-1"}, 0.9) == []


def test_over_the_threshold_nothing_is_pruned():
    with pytest.raises(PruneRefused, match="would delete 10 of 10 entities, over the threshold of 90%"):
        plan_prune({f"A-{n}" for n in range(10)}, set(), 0.9)
    assert len(plan_prune({f"A-{n}" for n in range(10)}, {"A-0"}, 0.9)) == 9
