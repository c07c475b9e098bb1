"""Benchmark: scripts/backfill_history.py against the seed's import loop.

Both import the same issues from the same fake Jira (tests/support/fake_jira.py, 100 ms of latency per
request, a repeated query answered from its earlier result as an index would) into the real app served
by gunicorn, each into a fresh catalog. The seed's approach is reimplemented with requests: one search
page of 20 issues at a time, one sequential post per issue.

    python bench/backfill.py [--issues 5000] [--latency 0.1] [--mode server|cloud] [--runs 3] [--page-events 100]
                             [--concurrency N] [--fetch-concurrency N]

The backfill runs with its own defaults unless told otherwise, and posts its events in pages
(`--page-events` per request); `--page-events 0` runs it with `--single`, one request per event.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import postgres_schema  # noqa: E402

from app import create_app  # noqa: E402
from app.ingest.security import sign_body  # noqa: E402
from app.runtime import runtime_of
from tests.support.fake_jira import FakeJira, make_issues, select_fields  # noqa: E402

SECRET = "bench-secret"
API_TOKEN = "bench-api-token-" + "0" * 32
SEED_JQL = 'status in ("In Progress","To Do")'


def parse_args() -> argparse.Namespace:
    """Benchmark options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per fake Jira request")
    parser.add_argument("--page-cap", type=int, default=100, help="the fake instance's maxResults cap")
    parser.add_argument("--mode", choices=("server", "cloud"), default="server")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the Procfile's default)")
    parser.add_argument("--concurrency", type=int, help="the backfill's --concurrency (default: its own)")
    parser.add_argument("--fetch-concurrency", type=int, help="the backfill's --fetch-concurrency (default: its own)")
    parser.add_argument("--page-events", type=int, default=100,
                        help="the backfill's --page-events; 0 for --single (one request per event)")
    parser.add_argument("--sink", action="store_true",
                        help="post into the light test endpoint instead of the app, to measure the importers alone")
    parser.add_argument("--runs", type=int, default=3, help="runs of both importers; the median is reported")
    parser.add_argument("--database-url", help="a PostgreSQL URL to serve the catalog from (a fresh schema "
                                               "per run); default: a fresh SQLite file")
    return parser.parse_args()


class IndexedJira(FakeJira):
    """The fake Jira answering a query it has answered before from the same result, as Jira's index
    would, and Server search pages from issues encoded beforehand: the issues never change during the
    benchmark, and the fake's filtering and encoding must not take the CPU that the importers and the
    app share (a real Jira runs on a machine of its own)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.results: dict[str, list[dict]] = {}
        self.encoded = {issue["key"]: json.dumps(select_fields(issue, ["*all"])).encode() for issue in self.issues}

    def matching(self, jql: str) -> list[dict]:
        if jql not in self.results:
            self.results[jql] = super().matching(jql)
        return self.results[jql]

    def search_server(self, request):
        """The answer of FakeJira's Server search, its issues (every field, as both importers ask)
        joined from their encoded text."""
        status, body, headers = super().search_server(request)
        if status != 200 or not body["issues"]:
            return status, body, headers
        issues = body.pop("issues")
        page = json.dumps(body).encode()[:-1] + b', "issues": [' + b", ".join(
            self.encoded[issue["key"]] for issue in issues) + b"]}"
        return status, page, headers


def active_issues(count: int) -> list[dict]:
    """``count`` issues, all selected by the seed's query."""
    issues = make_issues(count)
    for n, issue in enumerate(issues):
        issue["fields"]["status"]["name"] = ("To Do", "In Progress")[n % 2]
    return issues


@contextmanager
def fresh_database(postgres_url: str | None):
    """A database URL with an empty catalog: a new PostgreSQL schema, or a new SQLite file."""
    if postgres_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/catalog.sqlite3"
        return
    with postgres_schema(postgres_url) as url:
        yield url


def create_tables(database_url: str) -> None:
    """Create the catalog's tables once, before the workers start, as a deploy step would: workers
    racing to create them on a fresh PostgreSQL schema could fail with DuplicateTable."""
    application = create_app({"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET,
                              "LOG_LEVEL": "WARNING"})
    runtime_of(application).store.engine.dispose()


@contextmanager
def served_app(workers: int, postgres_url: str | None):
    """The app under gunicorn on a fresh catalog; yields its base URL."""
    with fresh_database(postgres_url) as database_url:
        create_tables(database_url)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET, "LOG_LEVEL": "WARNING",
               "CATALOG_API_TOKEN": API_TOKEN}
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                                    "--workers", str(workers),
                                    "app:create_app()"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base: str) -> None:
    """Block until the app answers /healthz."""
    for _ in range(100):
        try:
            if requests.get(f"{base}/healthz", timeout=5).ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    raise RuntimeError("the app did not start")


def seed_import(jira: FakeJira, endpoint: str) -> str:
    """The seed's loop: search 20 at a time, post a stripped payload per issue, one after the other."""
    start_at, processed = 0, 0
    while True:
        page = requests.get(f"{jira.url}/rest/api/2/search", auth=(jira.user, jira.token),
                            params={"jql": SEED_JQL, "startAt": start_at, "maxResults": 20}).json()
        if not page["issues"]:
            return f"{processed} answered 202"
        for issue in page["issues"]:
            fields = issue["fields"]
            data = {"issue": {"key": issue["key"], "self": issue["self"], "lastChangeType": "",
                              "fields": {"summary": fields["summary"], "description": fields.get("description"),
                                         "status": {"name": fields["status"]["name"]},
                                         "issuetype": {"name": fields["issuetype"]["name"]},
                                         "self": issue["self"]}},
                    "user": {"displayName": fields["creator"]["displayName"]}}
            body = json.dumps(data).encode()
            # Signed only because our endpoint requires it; the seed posted unsigned to Port.
            response = requests.post(endpoint, data=body, headers={"Content-Type": "application/json",
                                                                   "X-Hub-Signature": sign_body(SECRET, body)})
            processed += response.status_code == 202
        start_at += 20


def backfill_import(jira: FakeJira, endpoint: str, args: argparse.Namespace) -> str:
    """Run scripts/backfill_history.py; returns its summary line and the CPU time its process used."""
    cpu_before = children_cpu()
    tuning = [*(["--concurrency", str(args.concurrency)] if args.concurrency else []),
              *(["--fetch-concurrency", str(args.fetch_concurrency)] if args.fetch_concurrency else []),
              *(["--page-events", str(args.page_events)] if args.page_events else ["--single"])]
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "backfill_history.py"), "--jira-url", jira.url,
             "--jira-user", jira.user, "--jira-token", jira.token, "--endpoint", endpoint, "--secret", SECRET,
             "--checkpoint", f"{tmp}/cp.json", *tuning],
            capture_output=True, text=True, check=True)
    return f"{result.stdout.strip().splitlines()[-1]}; importer CPU {children_cpu() - cpu_before:.2f}s"


def children_cpu() -> float:
    """User and system CPU seconds of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(function, *args):
    """(result, seconds) of one call."""
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def count_entities(base: str) -> int:
    """How many jiraIssue entities the catalog holds."""
    return requests.get(f"{base}/v1/blueprints/jiraIssue/entities", params={"limit": 1},
                        headers={"Authorization": f"Bearer {API_TOKEN}"}).json()["total"]


@contextmanager
def endpoint_base(args: argparse.Namespace):
    """Base URL of a fresh receiver: the app under gunicorn, or with --sink the light test endpoint."""
    if args.sink:
        # A process of its own, so the receiver does not share the fake Jira's interpreter lock.
        sink = subprocess.Popen([sys.executable, "-m", "tests.support.fake_endpoint", SECRET], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)
        try:
            yield sink.stdout.readline().strip()
        finally:
            sink.kill()
            sink.wait()
    else:
        with served_app(args.workers, args.database_url) as base:
            yield base


def measure(args: argparse.Namespace, jira: FakeJira, label: str, importer, *extra) -> float:
    """Run one importer into a fresh receiver, print its figures and return its issues/s."""
    with endpoint_base(args) as base:
        result, seconds = timed(importer, jira, f"{base}/webhooks/jira", *extra)
        entities = count_entities(base)
    rate = args.issues / seconds
    print(f"{label}: {args.issues} issues in {seconds:.1f}s = {rate:.1f} issues/s, "
          f"{entities} entities in the catalog ({result})", flush=True)
    return rate


def main() -> None:
    """Run both imports `--runs` times, alternating, and print their rates and the median ratio."""
    args = parse_args()
    receiver = "sink" if args.sink else f"app (gunicorn, {args.workers} workers, " \
                                        f"{'PostgreSQL' if args.database_url else 'SQLite'})"
    print(f"issues={args.issues} jira={args.mode} latency={args.latency * 1000:.0f}ms page_cap={args.page_cap} "
          f"receiver={receiver} concurrency={args.concurrency or 'default'} "
          f"fetch_concurrency={args.fetch_concurrency or 'default'} page_events={args.page_events or 'single'} "
          f"runs={args.runs}", flush=True)
    ours, seed = [], []
    with IndexedJira(args.mode, active_issues(args.issues), page_cap=args.page_cap, latency=args.latency) as jira:
        for _ in range(args.runs):
            ours.append(measure(args, jira, "backfill_history.py", backfill_import, args))
            if args.mode == "cloud":
                print("seed loop: not run (its startAt paging cannot read Jira Cloud past the first page)")
                continue
            seed.append(measure(args, jira, "seed loop", seed_import))
    if seed:
        print_summary(ours, seed)


def print_summary(ours: list[float], seed: list[float]) -> None:
    """The medians of both rates and of the per-run ratios, with the ratios' spread."""
    ratios = [a / b for a, b in zip(ours, seed)]
    print(f"median of {len(ratios)} runs: backfill_history.py {statistics.median(ours):.1f} issues/s, "
          f"seed loop {statistics.median(seed):.1f} issues/s, ratio {statistics.median(ratios):.1f}x "
          f"[{min(ratios):.1f}–{max(ratios):.1f}]", flush=True)


if __name__ == "__main__":
    main()
