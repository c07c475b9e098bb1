"""One backfill run: fetch pages from Jira while a worker pool posts their events, then prune."""

from __future__ import annotations

import sys

from app.ingest.jira_events import build_event
from app.jira.client import ALL_FIELDS, JiraClient
from app.jira.prune import PruneRefused, check_share
from app.jira.retry import RetryPolicy
from app.jira.slices import resume_or_plan, slice_pages

from .catalog import CatalogReader, deletion_events
from .checkpoint import Checkpoint, PageTracker, SliceBook
from .config import BackfillSettings, RunStopped
from .dry_run import DryRun
from .keys import KeyStore
from .poster import Poster, WorkerPool
from .preflight import check_endpoint
from .progress import Progress, Stats, log

EXIT_INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C (128 + SIGINT)
MAX_GIVEN_UP_IN_A_ROW = 5  # deliveries (pages, or events posted alone) given up in a row: the endpoint is gone


def item_label(kind: str, item: dict) -> str:
    """How failures name an item: issue or project key, user account id or name, team id, or the
    kind, id and name of a release, sprint, board or component."""
    if kind == "user":
        return str(item.get("accountId") or item.get("name") or item.get("key"))
    if kind == "team":
        return str(item.get("teamId"))
    if kind in ("release", "sprint", "board", "component"):
        return f"{kind} {item.get('id')} ({item.get('name')})"
    return str(item.get("key") or item.get("id"))


class Backfill:
    """Imports every ``kind`` object the query selects into the endpoint."""

    def __init__(self, settings: BackfillSettings):
        self.settings = settings
        self.kind = settings.kind
        self.jira = JiraClient(settings.jira, settings.page_size, settings.fetch_concurrency, settings.org_id)
        policy = RetryPolicy(settings.jira.retries, settings.jira.retry_base)
        self.catalog = CatalogReader(settings.catalog_base, settings.catalog_token, policy, settings.jira.timeout)
        self.poster = None if settings.dry_run else Poster(settings.endpoint, settings.secret, policy,
                                                           settings.jira.timeout, settings.page_events,
                                                           settings.single)
        dry_run = DryRun(settings, self.catalog, self.jira) if self.poster is None else None
        self.deliver = dry_run.deliver if dry_run is not None else self.poster.post
        self.deliver_many = self.poster.post_many if dry_run is None else (
            lambda events: [dry_run.deliver(event) for event in events])
        self.stats = Stats(KeyStore() if settings.prune else None)
        self.expected: int | None = None
        self.checkpoint = Checkpoint(settings.checkpoint, {"url": settings.jira.url, "kind": self.kind,
                                                            "jql": settings.jql})

    def run(self) -> int:
        """Import, report and prune; returns the exit code (0 all good, 1 something failed or
        Jira stopped early or the endpoint was lost, 130 interrupted); the endpoint is checked first."""
        check_endpoint(self.settings, self.poster, self.catalog)
        cloud = self.jira.detect_deployment() == "cloud"
        cursor = self.checkpoint.load() if self.settings.resume else None
        if cursor is not None:
            log(f"resuming {self.kind} import at {cursor!r}")
        try:
            self.import_pages(cursor, cloud)
        except KeyboardInterrupt:
            self.report()
            log("interrupted: " + ("nothing was posted" if self.settings.dry_run else
                                   "the checkpoint keeps what was posted; --resume continues from it"))
            return EXIT_INTERRUPTED
        except RunStopped as exc:
            self.report()
            log(f"stopped: {exc}; the checkpoint keeps the place: --resume continues once the endpoint answers")
            return 1
        succeeded, short = self.report(), self.stopped_early()
        complete = succeeded and not short
        if complete and not self.settings.dry_run:
            self.checkpoint.clear()
        pruned = self.prune(cloud) if self.settings.prune and complete else True
        if self.settings.prune and not complete:
            log("prune skipped: the import was incomplete")
        return 0 if complete and pruned else 1

    def report(self) -> bool:
        """Recall the failures (each was logged as it happened) and print the summary; returns whether
        nothing failed."""
        failures = self.stats.failures_line(self.kind)
        if failures:
            log(failures)
        print(self.stats.summary(self.kind, self.settings.dry_run), flush=True)
        return self.stats.failed == 0

    def stopped_early(self) -> bool:
        """Whether Jira's pages ended before the total it announced (say so when they did)."""
        if self.expected is None or self.stats.fetched >= self.expected:
            return False
        log(f"warning: Jira stopped early at {self.stats.fetched} of {self.expected} {self.kind}s: its pages "
            f"came back empty before the total it announced; the import is incomplete (nothing is pruned)")
        return True

    def import_pages(self, cursor, cloud: bool) -> None:
        """Fetch pages on this thread while the pool posts their items; the checkpoint follows the pool.
        Issues come in slices paged side by side (app/jira/slices.py), each slice with its own cursor."""
        save = self.checkpoint.save if not self.settings.dry_run else lambda _cursor: None
        if self.kind == "issue":
            plan = resume_or_plan(self.jira, self.settings.jql, cursor)
            if len(plan.slices) > 1 and not plan.resumed:
                log(f"paging {len(plan.slices)} slices of the query, {self.jira.fetch_concurrency} at once")
            book = SliceBook(plan, save)
            progress = Progress(self.kind, plan.remaining())
            source = (book.open(index, page) + (page,) for index, page in slice_pages(self.jira, plan, ALL_FIELDS))
        else:
            book, single = None, PageTracker(save)
            progress = Progress(self.kind, None)
            source = ((single, single.open(page.cursor, page.next_cursor, len(page.items)), page)
                      for page in self.jira.pages(self.kind, self.settings.jql, cursor))

        def handle(work) -> None:
            tracker, page_id, items = work
            outcomes = self.deliver_many([build_event(self.kind, item) for item in items])
            labels = [item_label(self.kind, item) for item in items]
            for ok in self.stats.record_deliveries(labels, outcomes):
                tracker.settle(page_id, ok)
            progress.advance(len(items))
            if self.stats.given_up_in_a_row >= MAX_GIVEN_UP_IN_A_ROW:
                raise RunStopped(f"{self.stats.given_up_in_a_row} deliveries in a row were given up after every "
                                 f"retry, the endpoint is down or unreachable")

        pool = WorkerPool(handle, self.settings.concurrency)
        try:
            for tracker, page_id, page in source:
                if book is None and page.total is not None:
                    self.expected = page.total - (cursor if isinstance(cursor, int) else 0)
                    progress.set_total(self.expected)
                self.stats.add_fetched(len(page.items))
                step = 1 if self.settings.single else self.settings.page_events  # one event, one request
                for start in range(0, len(page.items), step):
                    pool.put((tracker, page_id, page.items[start:start + step]))
            if book is not None:
                self.expected = book.expected()
        except KeyboardInterrupt:
            pool.discard()
            raise
        finally:
            pool.close()
            progress.close()
            if self.jira.pace.slowed:
                log(f"Jira said {self.jira.pace.slowed} times that its rate limit was near (or reached): "
                    f"the requests in flight went down to {self.jira.pace.allowed} of {self.jira.pace.limit}")

    def prune(self, cloud: bool) -> bool:
        """Delete the blueprint's entities this complete run did not produce; False when refused or failing.
        The catalog's identifiers join the produced ones on disk (KeyStore), where the stale ones are
        found and counted; the deletions go a page of events at a time."""
        try:
            stale = self.count_stale()
            check_share(stale, self.stats.keys.count("catalog", self.settings.blueprint),
                        self.settings.prune_threshold)
            return self.delete_stale(cloud)
        except PruneRefused as exc:
            log(f"prune refused: {exc}")
            return False
        finally:
            self.stats.keys.close()

    def count_stale(self) -> int:
        """List the catalog's identifiers of the blueprint into the key store, page by page; returns how
        many of them the run did not produce."""
        for page in self.catalog.identifier_pages(self.settings.blueprint):
            self.stats.keys.add("catalog", page)
        return self.stats.keys.find_stale(self.settings.blueprint)

    def delete_stale(self, cloud: bool) -> bool:
        """Post the deletions of the stale identifiers and print their summary; False when one failed."""
        blueprint = self.settings.blueprint
        stats = Stats(prefix="prune failed")

        def handle(identifiers: list[str]) -> None:
            events = [event for _, event in deletion_events(self.kind, identifiers, cloud)]
            stats.record_deliveries(identifiers, self.deliver_many(events))

        size = 1 if self.settings.single else self.settings.page_events
        pool = WorkerPool(handle, self.settings.concurrency)
        try:
            for identifiers in self.stats.keys.stale(blueprint, size):
                pool.put(identifiers)
        finally:
            pool.close()
        verb = "would prune" if self.settings.dry_run else "pruned"
        print(f"{verb}={stats.posted} prune_failed={stats.failed} blueprint={blueprint}", file=sys.stdout, flush=True)
        return stats.failed == 0
