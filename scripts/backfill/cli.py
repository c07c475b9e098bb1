"""Command line of scripts/backfill_history.py."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from .config import (
    DEFAULT_BLUEPRINTS,
    DEFAULT_JQL,
    FETCH_CONCURRENCY,
    KINDS,
    PAGE_CONCURRENCY,
    SINGLE_CONCURRENCY,
    BackfillSettings,
    ConfigError,
    RunStopped,
    add_jira_options,
    check_http_url,
    env_first,
    read_jira_settings,
    redact_urls,
)
from .pages import MAX_PAGE_EVENTS
from .runner import EXIT_INTERRUPTED, Backfill

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The flags of the backfill script."""
    parser = argparse.ArgumentParser(
        prog="backfill_history.py",
        description="Import historical Jira issues, projects, users, teams, releases, sprints, boards or "
                    "components into the webhook endpoint.")
    add_jira_options(parser)
    parser.add_argument("--endpoint", help="webhook URL, e.g. http://host:8000/webhooks/jira (env PORT_URL)")
    parser.add_argument("--secret", help="webhook secret to sign with (env JIRA_WEBHOOK_SECRET)")
    parser.add_argument("--jql", default=DEFAULT_JQL, help=f"issue query (default: {DEFAULT_JQL})")
    parser.add_argument("--kind", choices=KINDS, default="issue", help="what to import (default issue)")
    parser.add_argument("--page-size", type=int, default=1000,
                        help="results asked per Jira page; the instance may grant fewer (default 1000)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help=f"posts in flight (default {PAGE_CONCURRENCY} pages, or {SINGLE_CONCURRENCY} events "
                             f"with --single)")
    parser.add_argument("--page-events", type=int, default=100,
                        help=f"events posted in one request, at most {MAX_PAGE_EVENTS} (default 100)")
    parser.add_argument("--single", action="store_true",
                        help="one request per event, for a service that does not take pages of events")
    parser.add_argument("--fetch-concurrency", type=int, default=FETCH_CONCURRENCY,
                        help="Jira requests in flight: issue slices paged side by side, Server pages fetched "
                             f"together; fewer while Jira says its rate limit is near (default {FETCH_CONCURRENCY})")
    parser.add_argument("--checkpoint", help="checkpoint file (default .backfill-<kind>.checkpoint.json)")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    parser.add_argument("--dry-run", action="store_true", help="map locally and print what would change")
    parser.add_argument("--mappings-dir", default=None, help="mapping files for --dry-run (default: <repo>/mappings)")
    parser.add_argument("--prune", action="store_true", help="delete entities a complete run did not produce")
    defaults = ", ".join(f"{kind}: {blueprint}" for kind, blueprint in DEFAULT_BLUEPRINTS.items())
    parser.add_argument("--blueprint", help=f"blueprint to prune, the one the --kind's events produce "
                                            f"(default by --kind: {defaults})")
    parser.add_argument("--prune-threshold", type=float, default=0.9,
                        help="refuse to prune more than this share of the catalog (default 0.9)")
    parser.add_argument("--catalog-token", help="bearer token of the catalog read API (env CATALOG_API_TOKEN)")
    parser.add_argument("--org-id", help="Atlassian organization id, for --kind team (env ATLASSIAN_ORG_ID)")
    return parser


def read_settings(argv: list[str] | None) -> BackfillSettings:
    """Settings from flags and environment; ConfigError when they do not make a runnable whole."""
    args = build_parser().parse_args(argv)
    if args.concurrency is None:
        args.concurrency = SINGLE_CONCURRENCY if args.single else PAGE_CONCURRENCY
    jira = read_jira_settings(args)
    endpoint = args.endpoint or env_first("PORT_URL")
    if not endpoint:
        raise ConfigError("endpoint missing: pass --endpoint or set PORT_URL")
    check_http_url(endpoint, "--endpoint")
    check_http_url(jira.url, "--jira-url")
    if min(args.page_size, args.concurrency, args.fetch_concurrency) < 1 or not 0 <= args.prune_threshold <= 1:
        raise ConfigError("--page-size/--concurrency/--fetch-concurrency must be positive, "
                          "--prune-threshold between 0 and 1")
    if not 1 <= args.page_events <= MAX_PAGE_EVENTS:
        raise ConfigError(f"--page-events must be between 1 and {MAX_PAGE_EVENTS} (the service's "
                          f"MAX_EVENTS_PER_REQUEST)")
    org_id = args.org_id or env_first("ATLASSIAN_ORG_ID")
    if args.kind == "team" and not org_id:
        raise ConfigError("--kind team reads the Atlassian Teams API: pass --org-id or set ATLASSIAN_ORG_ID")
    if args.prune and args.resume:
        raise ConfigError("--prune needs a run from the beginning: a resumed run does not see every entity")
    catalog_token = args.catalog_token or env_first("CATALOG_API_TOKEN")
    if args.prune and not catalog_token:
        raise ConfigError("--prune lists the catalog's entities through its API: pass --catalog-token or set "
                          "CATALOG_API_TOKEN (flask --app app api-token prints the service's token)")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return BackfillSettings(
        jira=jira, endpoint=endpoint, secret=args.secret or env_first("JIRA_WEBHOOK_SECRET"),
        catalog_token=catalog_token, jql=args.jql, kind=args.kind,
        page_size=args.page_size, concurrency=args.concurrency, fetch_concurrency=args.fetch_concurrency,
        page_events=args.page_events, single=args.single,
        checkpoint=args.checkpoint or f".backfill-{args.kind}.checkpoint.json", resume=args.resume,
        dry_run=args.dry_run, prune=args.prune, prune_threshold=args.prune_threshold,
        blueprint=args.blueprint or DEFAULT_BLUEPRINTS[args.kind],
        mappings_dir=args.mappings_dir or os.path.join(repo, "mappings"), org_id=org_id)


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value and the credentials in URLs masked."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return redact_urls(text)


def secrets_in_environment() -> list[str]:
    """Secret values set in the environment, to mask even before flags are read."""
    return [s for s in (env_first("JIRA_API_TOKEN", "API_TOKEN"), env_first("JIRA_PAT"),
                        env_first("JIRA_WEBHOOK_SECRET"), env_first("CATALOG_API_TOKEN")) if s]


def run_guarded(action: Callable[[], int], secrets: list[str]) -> int:
    """``action()``'s exit code; errors become one line without traceback, with ``secrets`` masked
    (the list may grow while the action runs, as flags are read)."""
    try:
        return action()
    except ConfigError as exc:
        print(f"error: {redact(str(exc), secrets)}", file=sys.stderr)
        return EXIT_CONFIG
    except RunStopped as exc:
        print(f"error: {redact(str(exc), secrets)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - one masked line instead of a traceback that may hold tokens
        print(f"error: {type(exc).__name__}: {redact(str(exc), secrets)}", file=sys.stderr)
        return EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    """Run the backfill; returns the exit code."""
    secrets = secrets_in_environment()

    def backfill() -> int:
        settings = read_settings(argv)
        secrets.extend(settings.secrets())
        return Backfill(settings).run()

    return run_guarded(backfill, secrets)
