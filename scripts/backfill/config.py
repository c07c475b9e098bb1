"""Command-line flags and environment variables of the backfill and webhook-registration scripts."""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from app.errors import ConfigError
from app.jira.client import JiraSettings

# Every issue. Jira Cloud's search/jql refuses a query without a restriction, so the default has one every
# issue meets; oldest first, so that issues created during a run join the end instead of shifting pages.
DEFAULT_JQL = "created <= now() ORDER BY created ASC"
# Posts in flight: a page of events keeps the service's two workers busy translating one page while the
# other commits; more pages in flight only make its threads contend for the same two cores. Events posted
# one per request need many in flight to hide each request's round trip.
PAGE_CONCURRENCY = 4
SINGLE_CONCURRENCY = 32
# Jira searches in flight: at Jira's ~1 s per page of 100 that is ~8 requests a second, far under Cloud's
# burst limit (~100 a second per endpoint); answers saying the limit is near halve it (app/jira/pace.py).
FETCH_CONCURRENCY = 8
KINDS = ("issue", "project", "user", "team", "release", "sprint", "board", "component")
DEFAULT_BLUEPRINTS = {"issue": "jiraIssue", "project": "jiraProject", "user": "jiraUser",
                      "team": "jiraTeam", "release": "jiraRelease", "sprint": "jiraSprint",
                      "board": "jiraBoard", "component": "jiraComponent"}


URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@", re.IGNORECASE)
URL_TOKEN = re.compile(r"([?&][^=&#\s]*(?:token|secret|key|password|sig)[^=&#\s]*=)[^&#\s]+", re.IGNORECASE)


class RunStopped(Exception):
    """The run cannot go on, for a reason other than its configuration (exit code 1)."""


@dataclass(frozen=True)
class BackfillSettings:
    """Everything a backfill run needs."""

    jira: JiraSettings
    endpoint: str
    secret: str | None = field(default=None, repr=False)
    catalog_token: str | None = field(default=None, repr=False)
    jql: str = DEFAULT_JQL
    kind: str = "issue"
    page_size: int = 1000
    concurrency: int = PAGE_CONCURRENCY
    fetch_concurrency: int = FETCH_CONCURRENCY
    page_events: int = 100
    single: bool = False
    checkpoint: str = ""
    resume: bool = False
    dry_run: bool = False
    prune: bool = False
    prune_threshold: float = 0.9
    blueprint: str = ""
    mappings_dir: str = "mappings"
    org_id: str | None = None

    def secrets(self) -> list[str]:
        """The secret values to keep out of any output, the endpoint URL's password and query values too."""
        parts = urlsplit(self.endpoint)
        in_url = [parts.password or ""] + [value for _, value in parse_qsl(parts.query)]
        return self.jira.secrets() + [s for s in (self.secret, self.catalog_token, *in_url) if s]

    @property
    def catalog_base(self) -> str:
        """Where the service's own routes (/healthz, /v1/...) are: the endpoint URL before ``/webhooks/``
        (a proxy may serve the service under a path prefix), without its query."""
        parts = urlsplit(self.endpoint)
        prefix = parts.path.split("/webhooks/", 1)[0] if "/webhooks/" in parts.path else ""
        return f"{parts.scheme}://{parts.netloc}{prefix}"

    @property
    def webhook_identifier(self) -> str:
        """The webhook configuration the endpoint URL names (its last path segment)."""
        return urlsplit(self.endpoint).path.rstrip("/").rsplit("/", 1)[-1]


def redact_urls(text: str) -> str:
    """``text`` with the passwords of URLs (``user:password@host``) and the values of token-like query
    parameters (``?token=``) masked."""
    return URL_TOKEN.sub(r"\1***", URL_PASSWORD.sub(r"\1***@", text))


def env_first(*names: str) -> str | None:
    """The value of the first of ``names`` set (non-empty) in the environment."""
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


def add_jira_options(parser: argparse.ArgumentParser) -> None:
    """Add the flags that say where Jira is and how to sign in."""
    parser.add_argument("--jira-url", help="Jira base URL (env JIRA_SERVER or JIRA_URL)")
    parser.add_argument("--jira-user", help="Jira user or e-mail (env JIRA_USER or USERNAMES)")
    parser.add_argument("--jira-token", help="Jira API token or password (env JIRA_API_TOKEN or API_TOKEN)")
    parser.add_argument("--jira-pat", help="Server/DC personal access token, sent as Bearer (env JIRA_PAT)")
    parser.add_argument("--deployment", choices=("auto", "cloud", "server"), default="auto",
                        help="Jira flavour; auto reads /rest/api/2/serverInfo (default auto)")
    parser.add_argument("--retries", type=int, default=6, help="attempts per request before giving up (default 6)")
    parser.add_argument("--retry-base", type=float, default=0.5,
                        help="first backoff delay in seconds, doubled on each retry (default 0.5)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request (default 30)")


def read_jira_settings(args: argparse.Namespace) -> JiraSettings:
    """Build Jira settings from flags, falling back to environment variables."""
    url = args.jira_url or env_first("JIRA_SERVER", "JIRA_URL")
    if not url:
        raise ConfigError("Jira URL missing: pass --jira-url or set JIRA_SERVER (or JIRA_URL, the service's setting)")
    user = args.jira_user or env_first("JIRA_USER", "USERNAMES")
    token = args.jira_token or env_first("JIRA_API_TOKEN", "API_TOKEN")
    pat = args.jira_pat or env_first("JIRA_PAT")
    if not pat and not (user and token):
        raise ConfigError("Jira credentials missing: pass --jira-user and --jira-token "
                          "(JIRA_USER, JIRA_API_TOKEN) or --jira-pat (JIRA_PAT)")
    if args.retries < 1 or args.retry_base < 0 or args.timeout <= 0:
        raise ConfigError("--retries must be at least 1, --retry-base and --timeout positive")
    return JiraSettings(url=url.rstrip("/"), user=user, token=token, pat=pat, deployment=args.deployment,
                        retries=args.retries, retry_base=args.retry_base, timeout=args.timeout)


def check_http_url(url: str, flag: str) -> None:
    """Refuse a URL that is not absolute http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{flag} must be an absolute http(s) URL")
