#!/usr/bin/env python3
"""Register (or update, or delete) the Jira webhook that delivers events to this service (see docs/backfill.md)."""

import argparse
import os
import sys

# Run as a file (python scripts/register_webhook.py): make the repository root importable.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts.repo_python import use_repo_python  # noqa: E402

if __name__ == "__main__":
    use_repo_python(__file__)

from app.jira.client import JiraClient  # noqa: E402
from scripts.backfill.cli import EXIT_OK, run_guarded, secrets_in_environment  # noqa: E402
from scripts.backfill.config import (  # noqa: E402
    DEFAULT_JQL,
    ConfigError,
    add_jira_options,
    check_http_url,
    env_first,
    read_jira_settings,
)

API = "/rest/webhooks/1.0/webhook"
ISSUE_EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]
PROJECT_EVENTS = ["project_created", "project_updated", "project_deleted"]
USER_EVENTS = ["user_created", "user_updated", "user_deleted"]


def build_parser() -> argparse.ArgumentParser:
    """The flags of the registration script."""
    parser = argparse.ArgumentParser(prog="register_webhook.py", description=__doc__.splitlines()[0])
    add_jira_options(parser)
    parser.add_argument("--endpoint", help="this service's webhook URL, e.g. https://host/webhooks/jira (env PORT_URL)")
    parser.add_argument("--secret", help="secret Jira signs deliveries with (env JIRA_WEBHOOK_SECRET)")
    parser.add_argument("--name", default="jira-catalog-bridge", help="webhook name (default jira-catalog-bridge)")
    parser.add_argument("--jql", default=DEFAULT_JQL, help=f"issue events filter (default: {DEFAULT_JQL})")
    parser.add_argument("--project-events", action="store_true", help="also send project created/updated/deleted")
    parser.add_argument("--user-events", action="store_true", help="also send user created/updated/deleted")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list the registered webhooks")
    action.add_argument("--delete", action="store_true", help="delete the webhook matched by name or URL")
    return parser


def webhook_id(webhook: dict) -> str:
    """The id at the end of a webhook's ``self`` link."""
    return webhook["self"].rstrip("/").rsplit("/", 1)[-1]


def without_query(url: str) -> str:
    """A URL fit to print: a query string may carry a URL token."""
    return url.split("?", 1)[0]


def find_match(webhooks: list[dict], name: str, url: str | None) -> list[dict]:
    """The registered webhooks with our name or pointing at our URL."""
    return [w for w in webhooks if w.get("name") == name or (url and w.get("url") == url)]


def desired_webhook(args: argparse.Namespace, endpoint: str, secret: str | None) -> dict:
    """The registration body: events, JQL filter, full bodies, and the secret when given."""
    events = ISSUE_EVENTS + (PROJECT_EVENTS if args.project_events else []) + (USER_EVENTS if args.user_events else [])
    body = {"name": args.name, "url": endpoint, "events": events, "excludeBody": False,
            "filters": {"issue-related-events-section": args.jql}, "enabled": True}
    if secret:
        body["secret"] = secret
    return body


def list_webhooks(jira: JiraClient) -> int:
    """Print one line per registered webhook."""
    for webhook in jira.call("GET", API):
        state = "enabled" if webhook.get("enabled", True) else "disabled"
        print(f"{webhook_id(webhook)}\t{webhook.get('name')}\t{without_query(webhook.get('url', ''))}\t{state}\t"
              f"{','.join(webhook.get('events', []))}")
    return EXIT_OK


def delete_webhooks(jira: JiraClient, name: str, endpoint: str | None) -> int:
    """Delete every webhook matched by name or URL."""
    matches = find_match(jira.call("GET", API), name, endpoint)
    for webhook in matches:
        jira.call("DELETE", f"{API}/{webhook_id(webhook)}")
        print(f"deleted webhook {webhook_id(webhook)} ({webhook.get('name')})")
    if not matches:
        print(f"no webhook named {name!r} or pointing at the endpoint")
    return EXIT_OK


def register(jira: JiraClient, args: argparse.Namespace, endpoint: str, secret: str | None) -> int:
    """Create the webhook, or update the one matched by name or URL."""
    body = desired_webhook(args, endpoint, secret)
    matches = find_match(jira.call("GET", API), args.name, endpoint)
    if matches:
        webhook = jira.call("PUT", f"{API}/{webhook_id(matches[0])}", json=body)
        verb = "updated"
    else:
        webhook = jira.call("POST", API, json=body)
        verb = "created"
    print(f"{verb} webhook {webhook_id(webhook)} ({args.name}) -> {without_query(endpoint)} "
          f"events={','.join(body['events'])}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Do what the flags ask."""
    jira = JiraClient(read_jira_settings(args))
    endpoint = args.endpoint or env_first("PORT_URL")
    if endpoint:
        check_http_url(endpoint, "--endpoint")
    if args.list:
        return list_webhooks(jira)
    if args.delete:
        return delete_webhooks(jira, args.name, endpoint)
    if not endpoint:
        raise ConfigError("endpoint missing: pass --endpoint or set PORT_URL")
    return register(jira, args, endpoint, args.secret or env_first("JIRA_WEBHOOK_SECRET"))


def main(argv=None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    secrets = secrets_in_environment() + [s for s in (args.jira_token, args.jira_pat, args.secret) if s]
    return run_guarded(lambda: run(args), secrets)


if __name__ == "__main__":
    sys.exit(main())
