#!/usr/bin/env python3
"""Register (or update, or delete) the Jira webhook that delivers events to this service (see docs/backfill.md)."""

import argparse
import os
import re
import sys

# Run as a file (python scripts/register_webhook.py): make the repository root importable.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts.repo_python import use_repo_python  # noqa: E402

if __name__ == "__main__":
    use_repo_python(__file__)

from app.jira.client import JiraClient  # noqa: E402
from scripts.backfill.cli import EXIT_OK, run_guarded, secrets_in_environment  # noqa: E402
from scripts.backfill.config import (  # noqa: E402
    ConfigError,
    add_jira_options,
    check_http_url,
    env_first,
    read_jira_settings,
    redact_urls,
)

LEGACY_API = "/rest/webhooks/1.0/webhook"  # Cloud, Server and Data Center before 10
DC10_API = "/rest/jira-webhook/1.0/webhooks"  # Data Center 10 and later
ISSUE_EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]
PROJECT_EVENTS = ["project_created", "project_updated", "project_deleted"]
USER_EVENTS = ["user_created", "user_updated", "user_deleted"]
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
STATUS_FIELD = re.compile(r"\bstatus(?:category)?\b", re.IGNORECASE)
NO_SECRET = ("no secret to register: pass --secret or set JIRA_WEBHOOK_SECRET to the secret the service checks "
             "(its JIRA_WEBHOOK_SECRET), so that Jira signs every delivery; --no-secret registers an unsigned "
             "webhook (for Jira Server versions that cannot sign: put JIRA_WEBHOOK_TOKEN in --endpoint as ?token=)")


def build_parser() -> argparse.ArgumentParser:
    """The flags of the registration script."""
    parser = argparse.ArgumentParser(prog="register_webhook.py", description=__doc__.splitlines()[0])
    add_jira_options(parser)
    parser.add_argument("--endpoint", help="this service's webhook URL, e.g. https://host/webhooks/jira (env PORT_URL)")
    parser.add_argument("--secret", help="secret Jira signs deliveries with (env JIRA_WEBHOOK_SECRET); required "
                                         "unless --no-secret")
    parser.add_argument("--no-secret", action="store_true",
                        help="register without a secret: Jira does not sign the deliveries")
    parser.add_argument("--name", default="jira-catalog-bridge", help="webhook name (default jira-catalog-bridge)")
    parser.add_argument("--project", action="append", default=[], metavar="KEY",
                        help="deliver only this project's issue events (repeatable; default: every issue)")
    parser.add_argument("--jql", default="", help="issue events filter (default: none, every issue); combined "
                                                  "with --project by AND")
    parser.add_argument("--project-events", action="store_true", help="also send project created/updated/deleted")
    parser.add_argument("--user-events", action="store_true", help="also send user created/updated/deleted")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list the registered webhooks")
    action.add_argument("--delete", action="store_true", help="delete the webhook matched by name or URL")
    return parser


def issue_filter(projects: list[str], jql: str) -> str:
    """The JQL of the issue events filter: the projects, the user's query, both (AND) or none."""
    clauses = []
    if projects:
        clauses.append("project in ({})".format(", ".join(f'"{key}"' for key in projects)))
    if jql.strip():
        clauses.append(f"({jql.strip()})" if projects else jql.strip())
    return " AND ".join(clauses)


def names_status(jql: str) -> bool:
    """Whether the JQL filters on status or statusCategory (quoted values aside)."""
    return bool(STATUS_FIELD.search(QUOTED.sub('""', jql)))


def warn_about_status(jql: str) -> None:
    """Say on stderr why a status filter loses changes."""
    print(f"warning: the filter names status ({jql}): Jira evaluates the filter against the issue after the "
          "change, so a change that moves an issue out of those statuses is never delivered and the issue stays "
          "stale in the catalog; filter by project (--project) and leave statuses to the catalog's queries",
          file=sys.stderr)


def webhook_api(jira: JiraClient, deployment: str) -> str:
    """The webhook admin API of this Jira: Data Center 10+ moved it (serverInfo's versionNumbers tell)."""
    if deployment == "cloud":
        return LEGACY_API
    info = jira.call("GET", "/rest/api/2/serverInfo") or {}
    major = (info.get("versionNumbers") or [0])[0]
    return DC10_API if info.get("deploymentType") != "Cloud" and major >= 10 else LEGACY_API


def webhook_id(webhook: dict) -> str:
    """A webhook's id: Data Center 10+ gives ``id``, the older API the end of a ``self`` link."""
    if webhook.get("id") is not None:
        return str(webhook["id"])
    return webhook["self"].rstrip("/").rsplit("/", 1)[-1]


def without_query(url: str) -> str:
    """A URL fit to print: a query string may carry a URL token, the host part a password."""
    return redact_urls(url.split("?", 1)[0])


def find_match(webhooks: list[dict], name: str, url: str | None) -> list[dict]:
    """The registered webhooks with our name or pointing at our URL."""
    return [w for w in webhooks if w.get("name") == name or (url and w.get("url") == url)]


def events_of(args: argparse.Namespace) -> list[str]:
    """The events to subscribe to."""
    return ISSUE_EVENTS + (PROJECT_EVENTS if args.project_events else []) + (USER_EVENTS if args.user_events else [])


def desired_webhook(api: str, name: str, endpoint: str, events: list[str], jql: str, secret: str | None) -> dict:
    """The registration body in the API's shape: events, the JQL filter (empty: every issue), full bodies,
    and the secret when given."""
    if api == DC10_API:
        configuration = {"FILTERS": jql, "EXCLUDE_BODY": "false", **({"SECRET": secret} if secret else {})}
        return {"name": name, "url": endpoint, "events": events, "active": True, "scopeType": "global",
                "configuration": configuration}
    body = {"name": name, "url": endpoint, "events": events, "excludeBody": False,
            "filters": {"issue-related-events-section": jql}, "enabled": True}
    return {**body, "secret": secret} if secret else body


def is_enabled(webhook: dict) -> bool:
    """Whether a listed webhook delivers (``enabled`` before Data Center 10, ``active`` after)."""
    return bool(webhook.get("enabled", webhook.get("active", True)))


def list_webhooks(jira: JiraClient, api: str) -> int:
    """Print one line per registered webhook."""
    for webhook in jira.call("GET", api):
        state = "enabled" if is_enabled(webhook) else "disabled"
        print(f"{webhook_id(webhook)}\t{webhook.get('name')}\t{without_query(webhook.get('url', ''))}\t{state}\t"
              f"{','.join(webhook.get('events', []))}")
    return EXIT_OK


def delete_webhooks(jira: JiraClient, api: str, name: str, endpoint: str | None) -> int:
    """Delete every webhook matched by name or URL."""
    matches = find_match(jira.call("GET", api), name, endpoint)
    for webhook in matches:
        jira.call("DELETE", f"{api}/{webhook_id(webhook)}")
        print(f"deleted webhook {webhook_id(webhook)} ({webhook.get('name')})")
    if not matches:
        print(f"no webhook named {name!r} or pointing at the endpoint")
    return EXIT_OK


def register(jira: JiraClient, api: str, args: argparse.Namespace, endpoint: str, secret: str | None) -> int:
    """Create the webhook, or update the one matched by name or URL."""
    jql = issue_filter(args.project, args.jql)
    if names_status(jql):
        warn_about_status(jql)
    body = desired_webhook(api, args.name, endpoint, events_of(args), jql, secret)
    matches = find_match(jira.call("GET", api), args.name, endpoint)
    if matches:
        webhook = jira.call("PUT", f"{api}/{webhook_id(matches[0])}", json=body)
        verb = "updated"
    else:
        webhook = jira.call("POST", api, json=body)
        verb = "created"
    print(f"{verb} webhook {webhook_id(webhook)} ({args.name}) -> {without_query(endpoint)} "
          f"events={','.join(body['events'])} filter={jql or '(every issue)'} signed={'yes' if secret else 'no'}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Do what the flags ask."""
    settings = read_jira_settings(args)
    jira = JiraClient(settings)
    endpoint = args.endpoint or env_first("PORT_URL")
    if endpoint:
        check_http_url(endpoint, "--endpoint")
    secret = None if args.no_secret else args.secret or env_first("JIRA_WEBHOOK_SECRET")
    if not (args.list or args.delete):
        if not endpoint:
            raise ConfigError("endpoint missing: pass --endpoint or set PORT_URL")
        if args.no_secret and args.secret:
            raise ConfigError("--secret and --no-secret contradict each other: give one")
        if not secret and not args.no_secret:
            raise ConfigError(NO_SECRET)
    api = webhook_api(jira, settings.deployment)
    if args.list:
        return list_webhooks(jira, api)
    if args.delete:
        return delete_webhooks(jira, api, args.name, endpoint)
    return register(jira, api, args, endpoint, secret)


def main(argv=None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    secrets = secrets_in_environment() + [s for s in (args.jira_token, args.jira_pat, args.secret) if s]
    return run_guarded(lambda: run(args), secrets)


if __name__ == "__main__":
    sys.exit(main())
