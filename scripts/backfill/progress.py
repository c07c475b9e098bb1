"""Counting what a run did, and showing it: a tqdm bar on a terminal, log lines elsewhere."""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter

from tqdm import tqdm

from .config import redact_urls
from .keys import KeyStore
from .poster import Outcome

IGNORED_STATUSES = ("ignored", "duplicate", "stale")
LOG_INTERVAL = 5.0
FAILURES_KEPT = 20  # failures named again in the summary; every one is logged when it happens


def log(message: str) -> None:
    """A line on stderr, where progress and diagnostics go (stdout keeps the results); URLs in it are
    printed without their credentials."""
    print(redact_urls(message), file=sys.stderr, flush=True)


class Stats:
    """Thread-safe tallies of one run. Failures are logged as they happen (``<prefix>: <label>:
    <message>``) and counted; only the first FAILURES_KEPT are kept for the summary. With ``keys``, the
    (blueprint, identifier) of every entity produced goes there (to disk), for --prune."""

    def __init__(self, keys: KeyStore | None = None, prefix: str = "failed"):
        self.lock = threading.Lock()
        self.keys = keys
        self.prefix = prefix
        self.fetched = 0
        self.posted = 0
        self.statuses: Counter = Counter()
        self.failures: list[tuple[str, str]] = []
        self.started = time.monotonic()
        self.given_up_in_a_row = 0

    def add_fetched(self, count: int) -> None:
        """Count fetched items."""
        with self.lock:
            self.fetched += count

    def record(self, label: str, outcome: Outcome) -> bool:
        """Count one delivery; returns whether it succeeded."""
        ok = self.count(label, outcome)
        self.keep_produced([outcome] if ok else [])
        return ok

    def count(self, label: str, outcome: Outcome) -> bool:
        """Tally one delivery, logging it when it failed; returns whether it succeeded."""
        with self.lock:
            self.statuses[outcome.status] += 1
            if outcome.status != "failed":
                self.posted += 1
                return True
            if len(self.failures) < FAILURES_KEPT:
                self.failures.append((label, outcome.message))
        log(f"{self.prefix}: {label}: {outcome.message}")
        return False

    def keep_produced(self, outcomes: list[Outcome]) -> None:
        """Add the entities the outcomes upserted to ``keys`` (nothing without keys)."""
        if self.keys is not None:
            self.keys.add("produced", ((e.get("blueprint"), e.get("identifier")) for outcome in outcomes
                                       for e in outcome.entities if e.get("operation", "upsert") != "delete"))

    def record_deliveries(self, labels: list[str], outcomes: list[Outcome]) -> list[bool]:
        """Count events and the deliveries that carried them: the events of one page share one Outcome
        object, so each run of the same object is one request (a page, or an event posted alone), and
        ``given_up_in_a_row`` counts requests. Returns whether each event succeeded."""
        succeeded = [self.count(label, outcome) for label, outcome in zip(labels, outcomes)]
        self.keep_produced([outcome for ok, outcome in zip(succeeded, outcomes) if ok])
        with self.lock:
            previous = None
            for outcome in outcomes:
                if outcome is not previous:
                    self.given_up_in_a_row = self.given_up_in_a_row + 1 if outcome.gave_up else 0
                previous = outcome
        return succeeded

    @property
    def failed(self) -> int:
        """Deliveries that failed, at the endpoint or on the way to it."""
        return self.statuses["failed"]

    def failures_line(self, kind: str) -> str | None:
        """The count of failures and the first ones' labels (each was logged when it happened); None
        when nothing failed."""
        if not self.failed:
            return None
        shown = ", ".join(label for label, _ in self.failures)
        more = f" and {self.failed - len(self.failures)} more" if self.failed > len(self.failures) else ""
        return f"{self.failed} {kind}{'s' if self.failed > 1 else ''} failed (each logged above): {shown}{more}"

    def summary(self, kind: str, dry_run: bool = False) -> str:
        """The final line: fetched, posted, applied, ignored, failed, seconds and rate; a dry run
        posts nothing, so it counts what was translated and would apply."""
        seconds = time.monotonic() - self.started
        ignored = sum(self.statuses[s] for s in IGNORED_STATUSES)
        rate = self.posted / seconds if seconds > 0 else 0.0
        done = (f"translated={self.posted} would_apply={self.statuses['applied']}" if dry_run
                else f"posted={self.posted} applied={self.statuses['applied']}")
        return (f"fetched={self.fetched} {done} ignored={ignored} failed={self.failed} "
                f"seconds={seconds:.1f} {kind}s/s={rate:.1f}" + (" (dry run: nothing posted)" if dry_run else ""))


class Progress:
    """Progress display; ``advance`` may be called from any thread."""

    def __init__(self, kind: str, total: int | None, stream=None):
        self.stream = stream or sys.stderr
        self.kind = kind
        self.lock = threading.Lock()
        self.done = 0
        self.total = total
        self.started = self.last_log = time.monotonic()
        self.bar = None
        if self.stream.isatty():
            self.bar = tqdm(total=total, unit=f" {kind}s", file=self.stream, dynamic_ncols=True,
                            bar_format=None if total is not None else self.unknown_total_format())

    def unknown_total_format(self) -> str:
        """The bar's line while Jira has not told the total: a count and the time, no empty rate."""
        return f"{self.kind}s: {{n_fmt}} done, total not known yet [{{elapsed}}]"

    def set_total(self, total: int | None) -> None:
        """Update the expected total once the source tells it."""
        with self.lock:
            if total is not None and total != self.total:
                self.total = total
                if self.bar is not None:
                    self.bar.total = total
                    self.bar.bar_format = None
                    self.bar.refresh()

    def advance(self, count: int = 1) -> None:
        """Count finished items; log a line now and then when there is no bar."""
        with self.lock:
            self.done += count
            if self.bar is not None:
                self.bar.update(count)
            elif time.monotonic() - self.last_log >= LOG_INTERVAL:
                self.log_line()

    def log_line(self) -> None:
        """One plain progress line with rate and ETA (lock held)."""
        self.last_log = time.monotonic()
        rate = self.done / max(self.last_log - self.started, 1e-9)
        total = f"/{self.total}" if self.total else ""
        eta = f", eta {(self.total - self.done) / rate:.0f}s" if self.total and rate and self.total > self.done else ""
        print(f"progress: {self.done}{total} {self.kind}s ({rate:.1f}/s{eta})", file=self.stream, flush=True)

    def close(self) -> None:
        """Finish the bar, or log the last line."""
        with self.lock:
            if self.bar is not None:
                self.bar.close()
            else:
                self.log_line()
