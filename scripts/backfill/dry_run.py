"""--dry-run: map events locally with the service's own translation and print what would change."""

from __future__ import annotations

import os
import sys
import threading
from urllib.parse import parse_qsl, urlsplit

import requests

from app.errors import BridgeError
from app.ingest.jira_events import delivery_headers, encode
from app.jira.client import JiraClient
from app.jira.fields import fetch_field_ids
from app.jira.retry import GaveUp

from .catalog import CatalogReader
from .config import BackfillSettings, ConfigError
from .keys import EntitySnapshot
from .poster import Outcome
from .progress import log

COMPARED_KEYS = ("title", "icon", "team", "properties", "relations")


def load_translation(settings: BackfillSettings):
    """The service's webhook configuration named by the endpoint, and its pure translation functions."""
    # Imported here: loading the web app costs seconds of start-up that only a dry run needs.
    try:
        from app.errors import ConfigError as MappingError
        from app.mapping.configs import load_webhook_configs
        from app.mapping.translate import build_jq_input, translate
    except ImportError as exc:
        raise ConfigError(f"--dry-run needs the service's app package next to this script ({exc})") from None
    env = dict(os.environ)
    if settings.secret:
        env["JIRA_WEBHOOK_SECRET"] = settings.secret
    try:
        configs = load_webhook_configs(settings.mappings_dir, env)
    except MappingError as exc:
        raise ConfigError(f"--dry-run cannot load the mappings: {exc}") from None
    config = configs.get(settings.webhook_identifier)
    if config is None:
        raise ConfigError(f"no webhook configuration {settings.webhook_identifier!r} in {settings.mappings_dir}")
    return config, build_jq_input, translate


def describe_difference(new: dict, old: dict | None) -> str | None:
    """'create', 'update (<what differs>)', or None when the stored entity already matches."""
    if old is None:
        return "create"
    changed = []
    for key in COMPARED_KEYS:
        if key not in new or new[key] == old.get(key):
            continue
        if isinstance(new[key], dict):
            changed += [f"{key}.{name}" for name in sorted(set(new[key]) | set(old.get(key) or {}))
                        if new[key].get(name) != (old.get(key) or {}).get(name)]
        else:
            changed.append(key)
    return f"update ({', '.join(changed)})" if changed else None


class DryRun:
    """Translates events locally and prints the changes against the current catalog."""

    def __init__(self, settings: BackfillSettings, catalog: CatalogReader, jira: JiraClient, out=None):
        self.config, self.build_jq_input, self.translate = load_translation(settings)
        self.jira = jira
        self.jira_context: dict | None = None
        self.secret = settings.secret
        self.query = dict(parse_qsl(urlsplit(settings.endpoint).query))
        self.catalog = catalog
        self.snapshots: dict[str, bool] = {}  # blueprint: whether its entities were read into ``stored``
        self.stored = EntitySnapshot()
        self.out = out or sys.stdout
        self.lock = threading.Lock()

    def snapshot(self, blueprint: str) -> bool:
        """Read the catalog's entities of a blueprint into ``stored`` once; False when the service cannot
        be reached."""
        if blueprint not in self.snapshots:
            try:
                for page in self.catalog.entity_pages(blueprint):
                    self.stored.add(blueprint, page)
                self.snapshots[blueprint] = True
            except (GaveUp, requests.RequestException) as exc:
                log(f"dry run: cannot read the catalog ({exc}); showing every change as an upsert")
                self.snapshots[blueprint] = False
        return self.snapshots[blueprint]

    def known_fields(self) -> dict:
        """What the service gives mappings under ``jira``: the Sprint and Story Points field ids, read
        once from Jira's field list as the service reads them (none when Jira will not list its fields)."""
        with self.lock:
            if self.jira_context is None:
                try:
                    found = fetch_field_ids(self.jira)
                except (BridgeError, requests.RequestException) as exc:
                    log(f"dry run: cannot read Jira's field list ({exc}); Sprint and Story Points fields unknown")
                    found = {}
                self.jira_context = {"fields": found}
            return self.jira_context

    def deliver(self, event: dict) -> Outcome:
        """Translate one event as the endpoint would and print what would change."""
        body = encode(event)
        jq_input = self.build_jq_input(event, delivery_headers(body, self.secret), self.query, self.known_fields())
        result = self.translate(self.config, jq_input)
        if result.failure is not None:
            return Outcome("failed", [], f"{result.failure.reason}: {result.failure.message}")
        entities = [{"blueprint": c.blueprint, "identifier": c.identifier, "operation": c.operation}
                    for c in result.changes]
        with self.lock:
            for change in result.changes:
                self.report(change)
        return Outcome("applied" if entities else "ignored", entities)

    def report(self, change) -> None:
        """Print one change unless it would leave the catalog as it is (lock held)."""
        if change.operation == "delete":
            print(f"delete {change.blueprint} {change.identifier}", file=self.out)
            return
        if not self.snapshot(change.blueprint):
            print(f"upsert {change.blueprint} {change.identifier}", file=self.out)
            return
        difference = describe_difference(change.entity, self.stored.get(change.blueprint, change.identifier))
        if difference:
            verb, _, detail = difference.partition(" ")
            print(f"{verb} {change.blueprint} {change.identifier} {detail}".rstrip(), file=self.out)
