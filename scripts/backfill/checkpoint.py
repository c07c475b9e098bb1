"""Where an interrupted run resumes: the cursor of the first page not fully posted."""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .config import ConfigError


class Checkpoint:
    """A JSON file holding the resume cursor of one query (Jira URL, kind and JQL)."""

    def __init__(self, path: str, identity: dict):
        self.path = path
        self.identity = identity

    def load(self):
        """The stored cursor, or None when there is no checkpoint; refuses one written for another query."""
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
        return stored.get("cursor")

    def save(self, cursor) -> None:
        """Store the cursor atomically, so a crash mid-write leaves the previous checkpoint."""
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"identity": self.identity, "cursor": cursor}, handle)
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

    def open(self, cursor, next_cursor, count: int) -> int:
        """Register a fetched page of ``count`` items; returns its id for ``settle``."""
        with self.lock:
            page_id = self.opened
            self.opened += 1
            self.pages[page_id] = PageState(cursor, next_cursor, count)
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
