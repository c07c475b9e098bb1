"""The backfill's memory against the number of issues: its peak RSS importing and pruning N issues.

    python3 bench/backfill_rss.py [--issues 10000 100000 1000000] [--stale-percent 1] [--minutes 15]
                                  [--tree PATH]

For each N, scripts/backfill_history.py runs as a process of its own with --prune against a fake Jira
Server of N minimal issues made page by page (tests/support/fake_jira.py GeneratedIssues, in this
process) and a counting endpoint in a third process (tests/support/fake_endpoint.py CountingEndpoint),
whose catalog lists N plus --stale-percent issues, so that the prune deletes those. Jira pages of
--page-size issues, --page-events events per request. The importer's RSS is sampled from /proc/<pid>/status
(VmRSS, and its high-water mark VmHWM) every 0.1 s while it runs; its peak is the last VmHWM read (not
wait4's ru_maxrss, which counts the bench process forked before the exec). The figure is the largest N's
peak against the smallest's. A run past --minutes is stopped and reported as such. --tree runs the importer
of another checkout (an earlier commit's, say: `git worktree add /tmp/before <commit>`) against the same
fakes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

from common import ROOT, result_line, save, summarise
from rss import rss_mib

from tests.support.fake_jira import FakeJira, GeneratedIssues

SECRET = "bench-secret"
API_TOKEN = "bench-api-token-" + "0" * 32
SAMPLE_SECONDS = 0.1
EVERY = 100  # samples between two printed


def parse_args() -> argparse.Namespace:
    """Benchmark options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--stale-percent", type=float, default=1.0, help="catalog entities the run prunes")
    parser.add_argument("--page-size", type=int, default=1000, help="issues per Jira page (the fake's cap)")
    parser.add_argument("--page-events", type=int, default=100, help="the backfill's --page-events")
    parser.add_argument("--concurrency", type=int, default=8, help="the backfill's --concurrency")
    parser.add_argument("--fetch-concurrency", type=int, default=1, help="the backfill's --fetch-concurrency")
    parser.add_argument("--minutes", type=float, default=15, help="stop one importer run after this long")
    parser.add_argument("--tree", default=str(ROOT), help="the checkout whose importer runs (default: this one)")
    return parser.parse_args()


def start_endpoint(catalog: int) -> tuple[subprocess.Popen, str]:
    """A counting endpoint listing ``catalog`` issues, in a process of its own; and its URL."""
    process = subprocess.Popen([sys.executable, "-m", "tests.support.fake_endpoint", SECRET, str(catalog)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def importer_command(jira: FakeJira, endpoint: str, checkpoint: str, args: argparse.Namespace) -> list[str]:
    """scripts/backfill_history.py with --prune into ``endpoint``."""
    return [sys.executable, os.path.join(args.tree, "scripts", "backfill_history.py"), "--jira-url", jira.url,
            "--jira-user", jira.user, "--jira-token", jira.token, "--endpoint", f"{endpoint}/webhooks/jira",
            "--secret", SECRET, "--catalog-token", API_TOKEN, "--prune", "--checkpoint", checkpoint,
            "--page-size", str(args.page_size), "--page-events", str(args.page_events),
            "--concurrency", str(args.concurrency), "--fetch-concurrency", str(args.fetch_concurrency)]


def sample(pid: int, samples: list, done: threading.Event) -> None:
    """Append (seconds, VmRSS MiB, VmHWM MiB) of ``pid`` every SAMPLE_SECONDS until ``done`` or its exit."""
    started = time.monotonic()
    while not done.wait(SAMPLE_SECONDS):
        try:
            samples.append((round(time.monotonic() - started, 1), round(rss_mib(pid), 1),
                            round(rss_mib(pid, "VmHWM"), 1)))
        except (OSError, RuntimeError):
            return


def run_importer(command: list[str], minutes: float) -> dict:
    """Run the importer; its exit status, seconds, peak RSS (MiB), RSS samples and last output lines."""
    samples: list = []
    done = threading.Event()
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        sampler = threading.Thread(target=sample, args=(process.pid, samples, done), daemon=True)
        sampler.start()
        timer = threading.Timer(minutes * 60, process.kill)
        timer.start()
        process.wait()
        timer.cancel()
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        return {"exit": process.returncode, "seconds": time.monotonic() - started,
                "peak_mib": samples[-1][2] if samples else None, "samples": samples,
                "stdout": out.read().strip().splitlines()[-2:], "stderr": err.read().strip().splitlines()[-3:]}


def measure(issues: int, args: argparse.Namespace) -> dict:
    """One importer run over ``issues`` issues with the prune of the stale share."""
    stale = int(issues * args.stale_percent / 100)
    endpoint, url = start_endpoint(issues + stale)
    try:
        with FakeJira("server", GeneratedIssues(issues), page_cap=args.page_size) as jira, \
                tempfile.TemporaryDirectory() as tmp:
            jira.logged = False
            result = run_importer(importer_command(jira, url, f"{tmp}/cp.json", args), args.minutes)
    finally:
        endpoint.kill()
        endpoint.wait()
    result.update(issues=issues, stale=stale)
    print(f"issues={issues} stale={stale} exit={result['exit']} seconds={result['seconds']:.1f} "
          f"peak_rss_mib={result['peak_mib']:.1f} "
          f"rss_mib_every_{SAMPLE_SECONDS * EVERY:g}s={[rss for _, rss, _ in result['samples'][::EVERY]]} "
          f"| {' | '.join(result['stdout'])}", flush=True)
    if result["exit"] != 0:
        print("  stderr: " + " | ".join(result["stderr"]), flush=True)
    return result


def main() -> None:
    """Measure each size, smallest first, and print the growth of the peak from the smallest to the largest."""
    args = parse_args()
    print(f"issues={args.issues} page_size={args.page_size} page_events={args.page_events} "
          f"concurrency={args.concurrency} fetch_concurrency={args.fetch_concurrency} "
          f"stale_percent={args.stale_percent} tree={args.tree}", flush=True)
    results = [measure(issues, args) for issues in sorted(args.issues)]
    first, last = results[0], results[-1]
    growth = (last["peak_mib"] - first["peak_mib"]) / first["peak_mib"] * 100
    print(result_line("backfill_rss.growth_percent", summarise([growth]), "%", issues_from=first["issues"],
                      issues_to=last["issues"], peak_from_mib=first["peak_mib"], peak_to_mib=last["peak_mib"],
                      complete=all(r["exit"] == 0 for r in results)), flush=True)
    save("backfill_rss", {"settings": vars(args), "runs": results, "growth_percent": growth})


if __name__ == "__main__":
    main()
