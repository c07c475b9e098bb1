"""Reconcile passes: read Jira, and repair through the configuration's own translation and store
what the catalog lacks.

Events are built in the shape of Jira's webhooks (app.ingest.jira_events) and go through the event
path in process (app.ingest.events.process_requests, no HTTP to ourselves), so newest-wins,
tombstones and key moves hold as for a delivery: an issue's version is its `updated`, and a live
event stamped later is never overwritten by an older search result.

- incremental: the issues updated since the watermark (the largest `updated` the last successful
  pass saw, so Jira's clock, not this machine's) minus OVERLAP_MS; the first pass imports everything.
- full: every issue listed cheaply (keys and `updated`), those whose catalog version is older
  refetched, entities whose issue Jira no longer has deleted under the prune threshold and never after
  an incomplete listing; projects, users, releases, components, boards and sprints too (each listed
  whole) when the configuration maps them.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from ..catalog.store import EventOutcome, Store
from ..config import Settings
from ..errors import BridgeError, ConfigError
from ..ingest.events import DELIVERY_HEADER, process_requests
from ..ingest.jira_events import build_delete_event, build_event, build_issue_event, encode
from ..ingest.versions import parse_jira_time
from ..jira.client import LISTING_FIELDS, JiraClient, JiraSettings
from ..jira.prune import DEFAULT_THRESHOLD, plan_prune
from ..mapping.configs import WebhookConfig
from ..mapping.translate import build_jq_input, translate
from .catalog import live_identifiers, stored_versions, unchanged
from .fields import refresh_field_ids
from .lock import pass_lock
from .passes import Counts, finish_pass, last_success, last_watermark, start_pass

# Issues updated this long before the watermark are asked for again: changes committed while the
# last pass read (Jira's `updated` is set before a search sees the change), and JQL's minutes.
OVERLAP_MS = 2 * 60 * 1000
FETCH_BATCH = 50  # issue keys refetched per search in a full pass
APPLY_BATCH = 100  # events recorded in one transaction
PAGE_SIZE = 100
CATALOG_WEBHOOK = "jira-catalog"
DELIVERY_PREFIX = "reconcile-"
PROBE_ID = "RECONCILE-PROBE-1"
# Kinds a full pass lists whole, in this order (projects before what belongs to them).
SYNCED_KINDS = ("project", "user", "release", "component", "board", "sprint")


class ReconcileFailed(BridgeError):
    """A pass could not finish; its record says why."""

    reason = "reconcile_failed"


class ReconcileBusy(BridgeError):
    """Another pass holds the lock."""

    status = 409
    reason = "reconcile_running"


@dataclass(frozen=True)
class PassResult:
    """A finished pass: its id, what it found, and the watermark the next one starts from."""

    pass_id: int
    kind: str
    counts: Counts
    watermark: int | None


def reconcile_config(configs: dict[str, WebhookConfig], name: str) -> WebhookConfig:
    """The configuration passes translate with: RECONCILE_WEBHOOK, else jira-catalog when enabled,
    else the only enabled one."""
    enabled = sorted(identifier for identifier, config in configs.items() if config.enabled)
    if name:
        if name not in enabled:
            raise ConfigError(f"setting RECONCILE_WEBHOOK: no enabled webhook configuration {name!r} "
                              f"(enabled: {', '.join(enabled) or 'none'})")
        return configs[name]
    if CATALOG_WEBHOOK in enabled:
        return configs[CATALOG_WEBHOOK]
    if len(enabled) == 1:
        return configs[enabled[0]]
    raise ConfigError(f"setting RECONCILE_WEBHOOK: name the configuration reconcile passes use "
                      f"(enabled: {', '.join(enabled) or 'none'})")


def jira_client(settings: Settings) -> JiraClient:
    """The client of JIRA_URL with its credentials."""
    return JiraClient(JiraSettings(url=settings.JIRA_URL, user=settings.JIRA_USER or None,
                                   token=settings.JIRA_API_TOKEN or None, pat=settings.JIRA_PAT or None),
                      PAGE_SIZE, credentials_hint="JIRA_PAT" if settings.JIRA_PAT else "JIRA_USER and JIRA_API_TOKEN")


def reconciler_for(store: Store, configs: dict[str, WebhookConfig], settings: Settings,
                   webhook: str = "") -> "Reconciler":
    """The Reconciler of the settings' Jira and configuration (or `webhook`'s)."""
    if not settings.JIRA_URL:
        raise ConfigError("setting JIRA_URL: reconcile passes read Jira; set JIRA_URL and its credentials")
    config = reconcile_config(configs, webhook or settings.RECONCILE_WEBHOOK)
    return Reconciler(store, config, jira_client(settings), settings.MAX_JSON_DEPTH,
                      settings.MAX_ENTITIES_PER_EVENT, scope=settings.RECONCILE_JQL)


def run_pass(store: Store, configs: dict[str, WebhookConfig], settings: Settings, kind: str,
             webhook: str = "") -> PassResult:
    """One pass of `kind` ("incremental" or "full"), holding the pass lock; ReconcileBusy when
    another pass runs, ReconcileFailed (recorded) when this one cannot finish."""
    reconciler = reconciler_for(store, configs, settings, webhook)
    with pass_lock(store.engine) as held:
        if not held:
            raise ReconcileBusy("another reconcile pass is running; this one was skipped")
        return reconciler.run(kind)


class Reconciler:
    """Passes of one configuration against one Jira."""

    def __init__(self, store: Store, config: WebhookConfig, jira: JiraClient, max_depth: int,
                 max_entities: int, prune_threshold: float = DEFAULT_THRESHOLD, scope: str = ""):
        self.store, self.engine, self.config, self.jira = store, store.engine, config, jira
        self.scope = scope.strip()
        self.max_depth, self.max_entities, self.threshold = max_depth, max_entities, prune_threshold
        self.importing = False
        self.counts = Counts()
        self.announced: int | None = None
        self.blueprints: dict[str, list[str]] = {}

    def run(self, kind: str) -> PassResult:
        """Record, run and settle one pass."""
        webhook = self.config.identifier
        self.counts, self.announced = Counts(), None
        refresh_field_ids(self.store, self.jira)
        self.importing = last_success(self.engine, webhook) is None
        previous = last_watermark(self.engine, webhook)
        pass_id = start_pass(self.engine, kind, webhook)
        try:
            watermark = self.incremental(previous) if kind == "incremental" else self.full(previous)
        except Exception as exc:  # noqa: BLE001 - any failure ends the pass, recorded with its reason
            message = exc.message if isinstance(exc, BridgeError) else f"{type(exc).__name__}: {exc}"
            finish_pass(self.engine, pass_id, self.counts, previous, message)
            raise ReconcileFailed(f"reconcile {kind} pass {pass_id} failed: {message}") from exc
        finish_pass(self.engine, pass_id, self.counts, watermark)
        return PassResult(pass_id, kind, self.counts, watermark)

    def incremental(self, watermark: int | None) -> int | None:
        """Issues updated since the watermark, less the overlap; the new watermark."""
        since = 0 if watermark is None else max(0, watermark - OVERLAP_MS)
        jql = f"{self.scoped(since)} ORDER BY updated ASC"
        for page in self.jira.pages("issue", jql):
            watermark = newest(watermark, self.refresh(page.items))
        return watermark

    def full(self, watermark: int | None) -> int | None:
        """Every issue listed and compared; deletions after a complete listing only."""
        listed, complete = self.list_issues()
        self.counts.seen += len(listed)
        stored = stored_versions(self.engine, self.targets("issue"), list(listed))
        stale = [key for key, version in listed.items() if not is_current(stored, key, version)]
        for start in range(0, len(stale), FETCH_BATCH):
            keys = ", ".join(f'"{key}"' for key in stale[start:start + FETCH_BATCH])
            for page in self.jira.pages("issue", f"key in ({keys})"):
                self.refresh(page.items, counted=True)
        if not complete:
            raise ReconcileFailed(f"Jira listed {len(listed)} issues of the {self.announced} it announced: "
                                  "the listing is incomplete, nothing was deleted")
        self.prune("issue", {blueprint: set(listed) for blueprint in self.targets("issue")})
        for kind in SYNCED_KINDS:
            if self.targets(kind):
                self.sync(kind)
        return newest(watermark, max((v for v in listed.values() if v is not None), default=None))

    def scoped(self, since: int) -> str:
        """The JQL of issues in scope (RECONCILE_JQL, else every issue) updated since `since` (epoch
        ms); always bounded, as Jira Cloud requires."""
        updated = f"updated >= {self.jira.jql_time(since)}"
        return f"({self.scope}) AND {updated}" if self.scope else updated

    def list_issues(self) -> tuple[dict[str, int | None], bool]:
        """{key: updated} of every issue, and whether the listing has all Jira announced."""
        listed: dict[str, int | None] = {}
        total = None
        jql = f"{self.scoped(0)} ORDER BY key ASC"
        for page in self.jira.pages("issue", jql, fields=LISTING_FIELDS):
            total = page.total if page.total is not None else total
            listed.update((item["key"], parse_jira_time((item.get("fields") or {}).get("updated")))
                          for item in page.items)
        self.announced = total
        return listed, total is None or len(listed) >= total

    def refresh(self, issues: list[dict], counted: bool = False) -> int | None:
        """Process the issues the catalog holds an older version of; the newest `updated` among them."""
        if not counted:
            self.counts.seen += len(issues)
        versions = {issue["key"]: parse_jira_time((issue.get("fields") or {}).get("updated"))
                    for issue in issues}
        stored = stored_versions(self.engine, self.targets("issue"), list(versions))
        self.apply_all([build_issue_event(issue) for issue in issues
                        if not is_current(stored, issue["key"], versions[issue["key"]])])
        return max((v for v in versions.values() if v is not None), default=None)

    def sync(self, kind: str) -> None:
        """Every object of `kind` (a project, user, release, component, board or sprint): sent when
        the catalog's entity differs, pruned when gone."""
        produced: dict[str, set[str]] = defaultdict(set)
        for page in self.jira.pages(kind, ""):
            self.counts.seen += len(page.items)
            differing = []
            for event in (build_event(kind, item) for item in page.items):
                translation = translate(self.config, build_jq_input(event, {}, {}), event)
                for change in translation.changes:
                    produced[change.blueprint].add(change.identifier)
                if translation.failure or not unchanged(self.engine, translation.changes):
                    differing.append(event)
            self.apply_all(differing)
        self.prune(kind, produced)

    def prune(self, kind: str, produced: dict[str, set[str]]) -> None:
        """Delete the entities of `kind`'s blueprints Jira did not list, under the threshold."""
        cloud = self.jira.detect_deployment() == "cloud"
        for blueprint in self.targets(kind):
            stale = plan_prune(live_identifiers(self.engine, blueprint), produced.get(blueprint, ()), self.threshold)
            self.apply_all([build_delete_event(kind, identifier, cloud) for identifier in stale], deleting=True)

    def targets(self, kind: str) -> list[str]:
        """The blueprints a deletion of `kind` maps to in this configuration (none: it maps no such
        object), found by translating a deletion event."""
        if kind not in self.blueprints:
            probe = build_delete_event(kind, PROBE_ID, self.jira.detect_deployment() == "cloud")
            translation = translate(self.config, build_jq_input(probe, {}, {}), probe)
            self.blueprints[kind] = sorted({change.blueprint for change in translation.changes
                                            if change.operation == "delete" and change.identifier == PROBE_ID})
        return self.blueprints[kind]

    def apply_all(self, events: list[dict], deleting: bool = False) -> list[EventOutcome]:
        """Process events APPLY_BATCH at a time, each batch in one transaction (one commit, one fsync
        on SQLite), and count what they did."""
        outcomes = []
        for start in range(0, len(events), APPLY_BATCH):
            outcomes.extend(process_events(self.store, self.config, events[start:start + APPLY_BATCH],
                                           self.max_depth, self.max_entities))
        for outcome in outcomes:
            self.count(outcome, deleting)
        return outcomes

    def apply(self, event: dict, deleting: bool = False) -> EventOutcome:
        """Process one event and count what it did."""
        return self.apply_all([event], deleting)[0]

    def count(self, outcome: EventOutcome, deleting: bool) -> None:
        """Add what one event did to the pass's counts."""
        if outcome.status == "failed":
            self.counts.failed += 1
        elif outcome.status == "applied":
            if deleting:
                self.counts.deleted += 1
            else:
                self.counts.changed += 1
            self.counts.missed += 0 if self.importing else 1


def process_events(store: Store, config: WebhookConfig, events: list[dict], max_depth: int,
                   max_entities: int) -> list[EventOutcome]:
    """Events through the webhook path's processing, in this process and one transaction, each under a
    delivery id of its own."""
    return process_requests(store, config, [(encode(event), delivery_headers()) for event in events],
                            max_depth, max_entities)


def delivery_headers() -> dict[str, str]:
    """The headers of one in-process delivery."""
    return {"Content-Type": "application/json", DELIVERY_HEADER: f"{DELIVERY_PREFIX}{uuid.uuid4()}"}


def is_current(stored: dict[str, int | None], key: str, version: int | None) -> bool:
    """Whether the catalog holds this issue at `version` or newer."""
    known = stored.get(key)
    return known is not None and version is not None and known >= version


def newest(*versions: int | None) -> int | None:
    """The largest of the versions given, None when none is."""
    return max((v for v in versions if v is not None), default=None)


def describe(counts: Counts) -> str:
    """A pass's counts in one line."""
    return (f"seen={counts.seen} changed={counts.changed} deleted={counts.deleted} "
            f"failed={counts.failed} missed_by_webhooks={counts.missed}")
