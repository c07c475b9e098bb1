"""Benchmark: reconcile passes against a fake Jira, in process on a fresh SQLite catalog.

The first pass imports every issue; then an incremental pass on an up-to-date catalog, a full pass on
an unchanged catalog (the cheap listing: keys and `updated` only), and an incremental and a full pass
after 1% of the issues changed in Jira without webhooks. Each is timed with the Jira requests it made.
The baseline, in the same run: the first pass again into another fresh catalog with one event processed
at a time (APPLY_BATCH = 1), i.e. one commit per event.

    python bench/reconcile.py [--issues 5000] [--latency 0.02] [--mode server|cloud] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.reconcile import run as reconcile_run  # noqa: E402
from app.reconcile.run import run_pass  # noqa: E402
from app.runtime import runtime_of  # noqa: E402
from tests.support.fake_jira import FakeJira, make_issues  # noqa: E402

STEPS = ("first pass (import)", "incremental, nothing changed", "full, nothing changed",
         "incremental, 1% changed", "full, 1% changed", "baseline: first pass, one event at a time")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per fake Jira request")
    parser.add_argument("--page-cap", type=int, default=100, help="the fake instance's maxResults cap")
    parser.add_argument("--mode", choices=("server", "cloud"), default="server")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args()


def spread_updates(issues: list[dict]) -> None:
    """Distinct update times, one minute apart, so that a watermark splits them."""
    for n, issue in enumerate(issues):
        issue["fields"]["updated"] = time.strftime("%Y-%m-%dT%H:%M:00.000+0000", time.gmtime(1_700_000_000 + 60 * n))


def change_some(issues: list[dict], share: float) -> None:
    """Change `share` of the issues in Jira, updated after every other."""
    later = 1_700_000_000 + 60 * (len(issues) + 10)
    for n, issue in enumerate(issues[::int(1 / share)]):
        issue["fields"].update(summary=f"changed {n}",
                               updated=time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(later + n)))


def open_app(folder: str, name: str, jira: FakeJira):
    return create_app({"DATABASE_URL": f"sqlite:///{folder}/{name}.sqlite3", "JIRA_WEBHOOK_SECRET": "s",
                       "CATALOG_API_TOKEN": "bench-api-token-" + "0" * 32, "JIRA_URL": jira.url,
                       "JIRA_USER": jira.user, "JIRA_API_TOKEN": jira.token, "LOG_LEVEL": "WARNING"})


def timed_pass(app, jira: FakeJira, kind: str) -> tuple[float, int, int]:
    """(seconds, Jira requests, entities changed) of one pass."""
    state = runtime_of(app)
    requests_before = len(jira.log)
    started = time.perf_counter()
    result = run_pass(state.store, state.configs, state.settings, kind)
    return time.perf_counter() - started, len(jira.log) - requests_before, result.counts.changed


def one_run(args: argparse.Namespace) -> list[tuple[float, int, int]]:
    """(seconds, Jira requests, entities changed) of each step."""
    issues = make_issues(args.issues)
    spread_updates(issues)
    results = []
    with tempfile.TemporaryDirectory() as folder, FakeJira(args.mode, issues=issues, page_cap=args.page_cap,
                                                          latency=args.latency) as jira:
        app = open_app(folder, "catalog", jira)
        for step in STEPS[:-1]:
            if step == "incremental, 1% changed":
                change_some(jira.issues, 0.01)
            if step == "full, 1% changed":
                change_some(jira.issues[1:], 0.01)
            results.append(timed_pass(app, jira, "full" if step.startswith("full") else "incremental"))
        runtime_of(app).store.close()
        batch, reconcile_run.APPLY_BATCH = reconcile_run.APPLY_BATCH, 1
        try:
            baseline = open_app(folder, "baseline", jira)
            results.append(timed_pass(baseline, jira, "incremental"))
            runtime_of(baseline).store.close()
        finally:
            reconcile_run.APPLY_BATCH = batch
    return results


def main() -> None:
    args = parse_args()
    runs = [one_run(args) for _ in range(args.runs)]
    print(f"{args.issues} issues, {args.mode}, {args.latency * 1000:.0f} ms per Jira request, "
          f"pages of {args.page_cap}, SQLite FULL, median of {args.runs} runs [min-max]")
    print("| Pass | Seconds | Jira requests | Entities changed |")
    print("|---|---|---|---|")
    for index, step in enumerate(STEPS):
        seconds = [run[index][0] for run in runs]
        print(f"| {step} | {statistics.median(seconds):.2f} [{min(seconds):.2f}-{max(seconds):.2f}] | "
              f"{runs[0][index][1]} | {runs[0][index][2]} |")
    ratios = [run[-1][0] / run[0][0] for run in runs]
    print(f"first pass: {statistics.median(ratios):.2f}x faster than one event at a time "
          f"[{min(ratios):.2f}-{max(ratios):.2f}]")


if __name__ == "__main__":
    main()
