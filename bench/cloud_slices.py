"""Benchmark: a Jira Cloud import paged in slices side by side against the same import paged as one query.

A fake Jira Cloud (tests/support/fake_jira.py) answers each search page of 100 issues after `--page-delay`
seconds (1 s by default); its issues sit in five projects of uneven size. scripts/backfill_history.py
imports them twice per run into the real app served by gunicorn, each into a fresh catalog: once from an
instance that lists its projects (the query is split by project and `created` windows,
`--fetch-concurrency` slices paged at once, the backfill's default unless given), once from the same
issues on an instance that lists no project, where the query is paged as it is, one page after the other
(nextPageToken). The catalog must hold every issue after each. With `--sink` the light test endpoint (in
a process of its own) receives instead of the app, so that the figures show Jira's paging rather than
how fast the served app takes events on a busy machine.

    python bench/cloud_slices.py [--sizes 800,500,400,200,100] [--page-delay 1.0] [--runs 2] [--sink]
                                 [--fetch-concurrency N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backfill import SECRET, count_entities, endpoint_base  # noqa: E402

from tests.support.fake_jira import FakeJira, make_issues, make_projects, spread_created  # noqa: E402


def parse_args() -> argparse.Namespace:
    """Benchmark options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="800,500,400,200,100", help="issues per project")
    parser.add_argument("--page-delay", type=float, default=1.0, help="seconds per fake Jira search page")
    parser.add_argument("--fetch-concurrency", type=int, help="the backfill's --fetch-concurrency (default: its own)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the Procfile's default)")
    parser.add_argument("--runs", type=int, default=2, help="runs of both imports; the median is reported")
    parser.add_argument("--sink", action="store_true", help="post into the light test endpoint instead of the app")
    parser.add_argument("--database-url", help="a PostgreSQL URL for the app's catalog (default: SQLite)")
    return parser.parse_args()


def project_issues(sizes: list[int]) -> list[dict]:
    """Issues of projects P1, P2, ... of the given sizes, each project's created over a year."""
    issues = []
    for n, size in enumerate(sizes, start=1):
        issues += spread_created(make_issues(size, project=f"P{n}"), "2024-01-01T00:00:00", 365 * 86400 / size)
    return issues


def backfill(jira: FakeJira, endpoint: str, fetch_concurrency: int | None) -> tuple[str, str]:
    """Run scripts/backfill_history.py; returns its summary line and its slicing line (if any)."""
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "backfill_history.py"), "--jira-url", jira.url,
             "--jira-user", jira.user, "--jira-token", jira.token, "--endpoint", endpoint, "--secret", SECRET,
             *(["--fetch-concurrency", str(fetch_concurrency)] if fetch_concurrency else []),
             "--checkpoint", f"{tmp}/cp.json"],
            capture_output=True, text=True, check=True)
    sliced = [line for line in result.stderr.splitlines() if line.startswith("paging ")]
    return result.stdout.strip().splitlines()[-1], (sliced or ["paged as one query"])[0]


def measure(args: argparse.Namespace, jira: FakeJira, label: str, expected: int) -> float:
    """One import into a fresh app; prints its figures and returns its seconds."""
    with endpoint_base(args) as base:
        started = time.perf_counter()
        summary, how = backfill(jira, f"{base}/webhooks/jira", args.fetch_concurrency)
        seconds = time.perf_counter() - started
        entities = count_entities(base)
    searches = len(jira.searches_in_flight)
    jira.searches_in_flight.clear()
    print(f"{label}: {seconds:.1f}s, {entities}/{expected} issues in the catalog, {searches} searches, {how} "
          f"({summary})", flush=True)
    if entities != expected:
        raise SystemExit(f"{label}: the catalog holds {entities} issues, not {expected}")
    return seconds


def main() -> None:
    """Run both imports `--runs` times, alternating, and print the median ratio of their times."""
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    issues = project_issues(sizes)
    pages = sum(-(-size // 100) for size in sizes)
    receiver = "sink" if args.sink else f"app (gunicorn, {args.workers} workers)"
    print(f"issues={len(issues)} projects={len(sizes)} pages_of_100={pages} page_delay={args.page_delay}s "
          f"fetch_concurrency={args.fetch_concurrency or 'default'} receiver={receiver} runs={args.runs}", flush=True)
    ratios = []
    with FakeJira("cloud", issues, projects=make_projects(len(sizes)), page_cap=100,
                  page_delay=args.page_delay) as listed, \
            FakeJira("cloud", issues, page_cap=100, page_delay=args.page_delay) as unlisted:
        for _ in range(args.runs):
            sliced = measure(args, listed, "sliced", len(issues))
            sequential = measure(args, unlisted, "sequential", len(issues))
            ratios.append(sliced / sequential)
    print(f"median of {len(ratios)} runs: sliced/sequential time {statistics.median(ratios):.2f} "
          f"[{min(ratios):.2f}–{max(ratios):.2f}]", flush=True)


if __name__ == "__main__":
    main()
