"""What a run keeps on disk (scripts/backfill/keys.py): the keys --prune compares, with the run's tallies
feeding them, and the entities --dry-run compares."""

from __future__ import annotations

import pytest

from scripts.backfill.keys import EntitySnapshot, KeyStore
from scripts.backfill.poster import Outcome
from scripts.backfill.progress import Stats


@pytest.fixture
def keys():
    store = KeyStore()
    yield store
    store.close()


def issues(*identifiers: str) -> list[tuple[str, str]]:
    return [("jiraIssue", identifier) for identifier in identifiers]


def test_stale_is_what_the_catalog_holds_and_the_run_did_not_produce(keys):
    keys.add("produced", issues("A-1", "A-2", "A-2", "B-9"))
    keys.add("catalog", issues("A-1", "A-3", "A-4"))
    keys.add("catalog", issues("A-5", "A-3"))
    assert keys.find_stale("jiraIssue") == 3
    assert list(keys.stale("jiraIssue", 2)) == [["A-3", "A-4"], ["A-5"]]


def test_counts_and_stale_keep_blueprints_apart(keys):
    keys.add("produced", [("jiraProject", "A-3")])
    keys.add("catalog", issues("A-3") + [("jiraProject", "P"), ("jiraProject", "A-3")])
    assert (keys.count("catalog", "jiraIssue"), keys.count("catalog", "jiraProject")) == (1, 2)
    assert keys.find_stale("jiraIssue") == 1
    assert keys.find_stale("jiraProject") == 1
    assert list(keys.stale("jiraProject", 10)) == [["P"]]


def test_nothing_is_stale_when_the_run_produced_the_whole_catalog(keys):
    keys.add("produced", issues(*(f"A-{n}" for n in range(500))))
    keys.add("catalog", issues(*(f"A-{n}" for n in range(500))))
    assert keys.find_stale("jiraIssue") == 0
    assert list(keys.stale("jiraIssue", 100)) == []


def test_finding_stale_again_starts_over(keys):
    keys.add("catalog", issues("A-1", "A-2"))
    assert keys.find_stale("jiraIssue") == 2
    keys.add("produced", issues("A-1"))
    assert keys.find_stale("jiraIssue") == 1


def test_only_the_two_key_tables_take_keys(keys):
    with pytest.raises(ValueError, match="no key table 'stale'"):
        keys.add("stale", issues("A-1"))


def test_stats_keep_the_upserted_entities_of_successful_deliveries(keys):
    stats = Stats(keys)
    applied = Outcome("applied", [{"blueprint": "jiraIssue", "identifier": "A-1", "operation": "upsert"},
                                  {"blueprint": "jiraIssue", "identifier": "OLD-1", "operation": "delete"}])
    failed = Outcome("failed", [{"blueprint": "jiraIssue", "identifier": "A-2"}], "boom")
    assert stats.record_deliveries(["A-1", "A-2"], [applied, failed]) == [True, False]
    assert stats.record("A-3", Outcome("duplicate", [{"blueprint": "jiraIssue", "identifier": "A-3"}]))
    keys.add("catalog", issues("A-1", "A-2", "A-3", "OLD-1"))
    assert keys.find_stale("jiraIssue") == 2
    assert list(keys.stale("jiraIssue", 10)) == [["A-2", "OLD-1"]]


def test_the_entity_snapshot_gives_back_each_entity_as_last_read():
    snapshot = EntitySnapshot()
    snapshot.add("jiraIssue", [{"identifier": "A-1", "title": "old"}, {"identifier": "A-2", "title": "two"}])
    snapshot.add("jiraIssue", [{"identifier": "A-1", "title": "new", "properties": {"status": "Done"}}])
    assert snapshot.get("jiraIssue", "A-1") == {"identifier": "A-1", "title": "new", "properties": {"status": "Done"}}
    assert snapshot.get("jiraIssue", "A-2")["title"] == "two"
    assert snapshot.get("jiraProject", "A-1") is None
    assert snapshot.get("jiraIssue", "A-3") is None
