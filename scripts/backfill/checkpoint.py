"""Where an interrupted run resumes: the cursor of the first page not fully posted, or for an issue
query split into slices, each slice's own cursor."""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from app.jira.client import Page
from app.jira.slices import SlicePlan

from .config import ConfigError

SLICE_DONE = object()  # what a slice's tracker saves once its last page is posted


class Checkpoint:
    """A JSON file holding the resume cursor (or the slice plan) of one query (Jira URL, kind and JQL)."""

    def __init__(self, path: str, identity: dict):
        self.path = path
        self.identity = identity

    def load(self):
        """The stored cursor or SlicePlan, or None when there is no checkpoint; refuses one written for
        another query."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                stored = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read checkpoint {self.path}: {exc}") from None
        if stored.get("identity") != self.identity:
            raise ConfigError(f"checkpoint {self.path} belongs to another query "
                              f"({stored.get('identity')}); pass another --checkpoint or drop --resume")
        cursor = stored.get("cursor")
        return SlicePlan.from_json(cursor) if isinstance(cursor, dict) and "slices" in cursor else cursor

    def save(self, cursor) -> None:
        """Store the cursor (or SlicePlan) atomically, so a crash mid-write leaves the previous checkpoint."""
        temporary = f"{self.path}.tmp"
        stored = cursor.to_json() if isinstance(cursor, SlicePlan) else cursor
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"identity": self.identity, "cursor": stored}, handle)
        os.replace(temporary, self.path)

    def clear(self) -> None:
        """Forget the checkpoint after a complete run."""
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass


@dataclass
class PageState:
    """Posting progress of one fetched page."""

    cursor: object
    next_cursor: object
    remaining: int
    failed: bool = False
    count: int = 0


class PageTracker:
    """Follows pages as their items are posted (in any order) and reports the resume cursor:
    the first page with items still in flight or failed, else the page after the last one. It holds
    the pages in flight up to the first failed one only: memory does not grow with the run."""

    def __init__(self, save: Callable[[object], None]):
        self.save = save
        self.pages: dict[int, PageState] = {}
        self.order: deque[int] = deque()
        self.lock = threading.Lock()
        self.opened = 0
        self.saved = object()
        self.finished = 0  # items of the pages the resume cursor has moved past

    def open(self, cursor, next_cursor, count: int) -> int:
        """Register a fetched page of ``count`` items; returns its id for ``settle``."""
        with self.lock:
            page_id = self.opened
            self.opened += 1
            self.pages[page_id] = PageState(cursor, next_cursor, count, count=count)
            self.order.append(page_id)
            self.advance()
            return page_id

    def settle(self, page_id: int, ok: bool) -> None:
        """Record that one item of the page has been posted (``ok``) or given up on."""
        with self.lock:
            page = self.pages.get(page_id)
            if page is None:  # a page after a failed one: no longer followed
                return
            page.remaining -= 1
            page.failed = page.failed or not ok
            self.advance()

    def advance(self) -> None:
        """Drop finished pages from the front and save the resume cursor when it moved (lock held)."""
        last = None
        while self.order and self.pages[self.order[0]].remaining == 0 and not self.pages[self.order[0]].failed:
            last = self.pages.pop(self.order.popleft())
            self.finished += last.count
        if self.order and self.pages[self.order[0]].failed:
            # The cursor stays at the first failed page for the rest of the run: forget the pages after it.
            while len(self.order) > 1:
                del self.pages[self.order.pop()]
        if self.order:
            self.store(self.pages[self.order[0]].cursor)
        elif last is not None and last.next_cursor is not None:
            self.store(last.next_cursor)

    def store(self, cursor) -> None:
        """Save ``cursor`` unless it is already saved (one write per page, not per item)."""
        if cursor != self.saved:
            self.save(cursor)
            self.saved = cursor


class SliceBook:
    """Where each slice of a plan stands: one PageTracker per slice, the whole plan saved whenever a
    slice's resume cursor moves or the slice is finished. Pages are opened from one thread."""

    def __init__(self, plan: SlicePlan, save: Callable[[SlicePlan], None]):
        self.plan = plan
        self.save = save
        self.lock = threading.Lock()
        self.trackers: dict[int, PageTracker] = {}
        self.totals: dict[int, int | None] = {}
        self.imported_before = plan.imported
        save(plan)

    def open(self, index: int, page: Page) -> tuple[PageTracker, int]:
        """Register a fetched page of slice ``index``; returns its tracker and the page's id there."""
        tracker = self.trackers.get(index)
        if tracker is None:
            tracker = self.trackers[index] = PageTracker(lambda cursor: self.move(index, cursor))
            start = self.plan.slices[index].cursor
            self.totals[index] = None if page.total is None else page.total - (start if isinstance(start, int) else 0)
        following = SLICE_DONE if page.next_cursor is None else page.next_cursor
        return tracker, tracker.open(page.cursor, following, len(page.items))

    def move(self, index: int, cursor) -> None:
        """Record slice ``index``'s resume cursor (or that it is finished) and save the plan."""
        with self.lock:
            piece = self.plan.slices[index]
            if cursor is SLICE_DONE:
                piece.done = True
            else:
                piece.cursor = cursor
            if self.imported_before is not None:
                self.plan.imported = self.imported_before + sum(t.finished for t in self.trackers.values())
            self.save(self.plan)

    def expected(self) -> int | None:
        """Issues the slices' first pages announced (Server says, Cloud does not), None when one did not."""
        values = list(self.totals.values())
        return sum(values) if values and None not in values else None
