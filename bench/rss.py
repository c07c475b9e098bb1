"""A worker's memory over many events: RSS at checkpoints while events are processed in-process.

    python3 bench/rss.py [--events 1000000] [--minutes 10] [--checkpoint 25000]
                         [--sqlite-synchronous NORMAL]

Each event runs the webhook's domain path as a worker does (parse, translate, store.ingest on a fresh
SQLite catalog, metrics), without HTTP. Every event is a distinct delivery of one of 1,000 issues, so
the catalog keeps 1,000 entities and the event log grows by one row per event. Stops at --events or
--minutes, whichever comes first. RSS is read from /proc/self/status (VmRSS). The figure is the change
from the first checkpoint (after warm-up) to the highest later one.
"""

import argparse
import json
import tempfile
import time

from common import ROOT, result_line, save, summarise

from app import create_app
from app.ingest.events import process_request
from app.runtime import runtime_of

SEED_TEXT = (ROOT / "tests/fixtures/jira-payloads/seed-issue-created.json").read_text()


def rss_mib(pid="self", field="VmRSS"):
    """A memory figure of a process (this one by default) from /proc: VmRSS, or VmHWM (its peak), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def body(number, issues=1000):
    """The raw seed payload of event `number`: one of `issues` issues, with its own timestamp (an
    identical body would be a duplicate)."""
    seed = json.loads(SEED_TEXT)
    seed["issue"]["key"] = f"PI-{number % issues + 1}"
    seed["timestamp"] += number
    return json.dumps(seed).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--checkpoint", type=int, default=25_000)
    parser.add_argument("--sqlite-synchronous", choices=["FULL", "NORMAL"], default="NORMAL")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-rss-")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/rss.sqlite3",
                      "JIRA_WEBHOOK_SECRET": "bench", "SQLITE_SYNCHRONOUS": args.sqlite_synchronous,
                      "LOG_LEVEL": "WARNING"})
    runtime = runtime_of(app)
    config = runtime.configs["jira"]
    deadline = time.monotonic() + args.minutes * 60
    checkpoints, started, done = [], time.monotonic(), 0
    while done < args.events and time.monotonic() < deadline:
        for _ in range(min(args.checkpoint, args.events - done)):
            headers = {"X-Atlassian-Webhook-Identifier": f"rss-{done}"}
            process_request(runtime.store, config, body(done), headers, {},
                            runtime.settings.MAX_JSON_DEPTH, runtime.settings.MAX_ENTITIES_PER_EVENT)
            done += 1
        checkpoints.append((done, round(rss_mib(), 2), round(time.monotonic() - started, 1)))
        print(f"checkpoint events={done} rss_mib={checkpoints[-1][1]} seconds={checkpoints[-1][2]}",
              flush=True)
    report(checkpoints, done, time.monotonic() - started, args)


def report(checkpoints, done, seconds, args):
    first = checkpoints[0][1]
    peak = max(rss for _, rss, _ in checkpoints)
    growth = (peak - first) / first * 100
    print(result_line("rss.growth_percent", summarise([growth]), "%", events=done,
                      first_mib=first, peak_mib=peak, last_mib=checkpoints[-1][1],
                      events_per_s=done / seconds), flush=True)
    save("rss", {"settings": vars(args), "events": done, "seconds": seconds,
                 "checkpoints": checkpoints, "growth_percent": growth})


if __name__ == "__main__":
    main()
