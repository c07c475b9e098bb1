"""The linked issues of Jira's link events, made current between passes.

``issuelink_created`` and ``issuelink_deleted`` carry the link and the ids of its two issues
(``sourceIssueId``, ``destinationIssueId``), not the issues, while the catalog's link relations come from
each issue's own ``issuelinks``. With JIRA_URL set, the worker reads the link events recorded since its
place in the event log, fetches both issues from Jira and processes them as a reconcile pass does (newest
wins: an issue the catalog already holds at its current version is left alone). The place is kept in the
database and moves on only once a batch is done, so a restart or a failed Jira call takes the same
events again. An issue Jira no longer shows (deleted, or hidden from the bridge's user) is skipped.
"""

import json
import logging
import threading
import time

from ..catalog.jira_state import LINK_CURSOR, link_events_after, load_state, save_state
from ..catalog.store import Store
from ..config import Settings
from ..errors import BridgeError
from ..jira.client import JiraError
from ..mapping.configs import WebhookConfig
from .fields import refresh_field_ids
from .run import Reconciler, reconciler_for

log = logging.getLogger("jira_catalog_bridge.reconcile")
LINK_EVENTS = ("issuelink_created", "issuelink_deleted")
EVENTS_PER_BATCH = 50
LINKS_EVERY_SECONDS = 5.0
FIELDS_EVERY_SECONDS = 3600.0


def linked_issue_ids(body: str) -> list[str]:
    """The ids of the two issues of a link event's body (none when it names none)."""
    try:
        link = json.loads(body).get("issueLink") or {}
    except (ValueError, AttributeError):
        return []
    if not isinstance(link, dict):
        return []
    ids = (link.get("sourceIssueId"), link.get("destinationIssueId"))
    return [str(value) for value in ids if isinstance(value, int | str) and str(value).isdigit()]


def fetch_issue(reconciler: Reconciler, issue_id: str) -> dict | None:
    """The issue with this id, None when Jira does not show it."""
    try:
        return reconciler.jira.call("GET", f"/rest/api/2/issue/{issue_id}")
    except JiraError as exc:
        if exc.jira_status == 404:
            return None
        raise


def refresh_linked_issues(reconciler: Reconciler) -> int:
    """Process the issues of the link events recorded after the stored place, one batch; how many
    link events the batch held (0: none was waiting)."""
    engine = reconciler.engine
    after = load_state(engine, LINK_CURSOR, 0)
    rows = link_events_after(engine, reconciler.config.identifier, LINK_EVENTS, after, EVENTS_PER_BATCH)
    if not rows:
        return 0
    issue_ids = list(dict.fromkeys(issue_id for row in rows for issue_id in linked_issue_ids(row.body)))
    issues = [issue for issue in (fetch_issue(reconciler, issue_id) for issue_id in issue_ids) if issue]
    reconciler.refresh(issues)
    save_state(engine, LINK_CURSOR, rows[-1].id)
    log.info("link events up to %d: %d linked issues read from Jira", rows[-1].id, len(issues))
    return len(rows)


def follow_jira(store: Store, reconciler: Reconciler, stop: threading.Event) -> None:
    """Until `stop`: the field ids every FIELDS_EVERY_SECONDS, the linked issues every
    LINKS_EVERY_SECONDS (at once again while batches are waiting)."""
    fields_read_at: float | None = None
    while not stop.is_set():
        waiting = False
        try:
            if fields_read_at is None or time.monotonic() - fields_read_at >= FIELDS_EVERY_SECONDS:
                refresh_field_ids(store, reconciler.jira)
                fields_read_at = time.monotonic()
            waiting = refresh_linked_issues(reconciler) == EVENTS_PER_BATCH
        except BridgeError as exc:
            log.warning("refreshing linked issues failed, retried later: %s", exc.message)
        except Exception:  # noqa: BLE001 - a database or network hiccup must not end the thread
            log.exception("refreshing linked issues failed, retried later")
        if not waiting:
            stop.wait(LINKS_EVERY_SECONDS)


def start_following(store: Store, configs: dict[str, WebhookConfig], settings: Settings,
                    stop: threading.Event) -> threading.Thread:
    """A thread keeping the field ids and the linked issues current until `stop` is set."""
    reconciler = reconciler_for(store, configs, settings)
    thread = threading.Thread(target=follow_jira, args=(store, reconciler, stop), name="jira-links", daemon=True)
    thread.start()
    return thread
