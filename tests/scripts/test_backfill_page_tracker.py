"""The resume cursor's bookkeeping (scripts/backfill/checkpoint.py PageTracker) holds only the pages that
can still move the cursor."""

from __future__ import annotations

from scripts.backfill.checkpoint import PageTracker


def test_pages_after_a_failed_page_are_forgotten_and_the_cursor_stays_at_it():
    saved = []
    tracker = PageTracker(saved.append)
    first = tracker.open(0, 100, 2)
    tracker.settle(first, False)
    for n in range(1, 1000):
        page = tracker.open(n * 100, n * 100 + 100, 1)
        tracker.settle(page, True)
    tracker.settle(first, True)
    assert list(tracker.pages) == [first]
    assert set(saved) == {0}


def test_finished_pages_are_dropped_and_the_cursor_moves_past_them():
    saved = []
    tracker = PageTracker(saved.append)
    for n in range(1000):
        tracker.settle(tracker.open(n * 100, n * 100 + 100, 1), True)
    assert tracker.pages == {}
    assert saved[-1] == 100_000


def test_a_page_failing_behind_the_front_pins_the_cursor_once_the_front_finishes():
    saved = []
    tracker = PageTracker(saved.append)
    front, failing = tracker.open(0, 100, 1), tracker.open(100, 200, 1)
    tracker.settle(failing, False)
    later = [tracker.open(n * 100, n * 100 + 100, 1) for n in range(2, 50)]
    tracker.settle(front, True)
    for page in later:
        tracker.settle(page, True)
    assert list(tracker.pages) == [failing]
    assert saved[-1] == 100
