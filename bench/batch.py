"""A page of events in one request against the same events as single deliveries, served.

    python3 bench/batch.py [--database sqlite|postgres|both] [--events 100] [--rounds 7]
                           [--clients 4] [--workers 2] [--threads 16]

One gunicorn per database (`--config gunicorn.conf.py`, the shipped worker class and threads, as
bench/served.py runs it) on 127.0.0.1, SQLite synchronous=FULL or PostgreSQL. Each round posts
`--events` seed payloads for new issues twice over: as that many signed single deliveries
(application/json, one after another on one keep-alive connection) and as one signed page
(application/x-ndjson), in alternating order round by round, so that the machine's noise hits both.
*sequential*: one client; *concurrent*: `--clients` clients at once, each with events of its own.
Bodies are built and signed before the clock starts; the client is http.client, so that its own cost
stays small beside the server's. The figure is the page's time as a share of the singles' (the target:
at most 1/4), per round, median over the rounds; afterwards the event log must hold one applied
event per event sent.
"""

import argparse
import http.client
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, result_line, save, summarise
from served import count_events, database, gunicorn

from app.ingest.security import sign_body

SECRET = "bench-secret"
SEED = json.loads((ROOT / "tests/fixtures/jira-payloads/seed-issue-created.json").read_text())


def payload(number):
    """The seed payload for issue PI-<number>, compact as the backfill sends it."""
    SEED["issue"]["key"] = f"PI-{number}"
    SEED["issue"]["fields"]["summary"] = f"Benchmark issue {number}"
    SEED["timestamp"] = 1686916266116 + number
    return json.loads(json.dumps(SEED))


def singles(first, count):
    """`count` signed single deliveries: (body, headers)."""
    requests = []
    for number in range(first, first + count):
        body = json.dumps(payload(number), separators=(",", ":")).encode()
        requests.append((body, {"Content-Type": "application/json", "X-Hub-Signature": sign_body(SECRET, body),
                                "X-Atlassian-Webhook-Identifier": f"single-{number}"}))
    return requests


def page(first, count):
    """One signed page of `count` events, as a one-element list of (body, headers)."""
    lines = [json.dumps({"headers": {"X-Atlassian-Webhook-Identifier": f"page-{number}"},
                         "body": payload(number)}, separators=(",", ":"))
             for number in range(first, first + count)]
    body = ("\n".join(lines) + "\n").encode()
    return [(body, {"Content-Type": "application/x-ndjson", "X-Hub-Signature": sign_body(SECRET, body)})]


def post_all(port, requests, check):
    """Post the requests one after another on one connection; `check` reads each answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for body, headers in requests:
            conn.request("POST", "/webhooks/jira", body=body, headers=headers)
            response = conn.getresponse()
            check(response.status, response.read())
    finally:
        conn.close()


def check_single(status, body):
    if status != 202 or json.loads(body)["status"] != "applied":
        raise SystemExit(f"a single delivery was answered {status}: {body[:300]!r}")


def check_page(status, body):
    if status != 202:
        raise SystemExit(f"a page was answered {status}: {body[:300]!r}")
    results = json.loads(body)["results"]
    if any(r.get("status") != "applied" for r in results):
        raise SystemExit(f"a page's line was not applied: {[r for r in results if r.get('status') != 'applied'][:2]}")


def timed(port, batches, check):
    """Seconds for every client (one per element of `batches`) to post its requests, all at once."""
    errors = []

    def client(requests):
        try:
            post_all(port, requests, check)
        except BaseException as exc:  # noqa: BLE001 - reported after the threads end
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(requests,)) for requests in batches]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return seconds


def bench_mode(port, clients, args, numbers):
    """Alternating singles / page rounds with `clients` clients; per-round times and ratios."""
    single_times, page_times = [], []
    for round_number in range(args.warmup + args.rounds):
        starts = [next(numbers) for _ in range(clients)]
        single_batches = [singles(start, args.events) for start in starts]
        starts = [next(numbers) for _ in range(clients)]
        page_batches = [page(start, args.events) for start in starts]
        order = [("single", single_batches, check_single), ("page", page_batches, check_page)]
        if round_number % 2:
            order.reverse()
        times = {name: timed(port, batches, check) for name, batches, check in order}
        if round_number >= args.warmup:
            single_times.append(times["single"])
            page_times.append(times["page"])
    return single_times, page_times


def bench_database(kind, args, folder):
    """Sequential and concurrent figures on one backend, then the event-log check."""
    figures = {}
    with database(kind, folder) as url:
        env = {"DATABASE_URL": url, "JIRA_WEBHOOK_SECRET": SECRET, "SQLITE_SYNCHRONOUS": "FULL"}
        # Each client's events get numbers of their own, far apart.
        numbers = iter(range(1, 10 ** 9, args.events))
        with gunicorn("app:create_app()", args.workers, env, folder / f"app-{kind}.log",
                      threads=args.threads) as base:
            port = int(base.rsplit(":", 1)[1])
            for mode, clients in (("sequential", 1), ("concurrent", args.clients)):
                single_times, page_times = bench_mode(port, clients, args, numbers)
                figures[mode] = report(kind, mode, clients, args.events, single_times, page_times)
        sent = (args.warmup + args.rounds) * args.events * 2 * (1 + args.clients)
        events = count_events(url)
    figures["events"], figures["sent"] = events, sent
    print(result_line(f"batch.{kind}.events", summarise([events.get("applied", 0)]), "events",
                      sent=sent, other_statuses={k: v for k, v in events.items() if k != "applied"}), flush=True)
    if events.get("applied", 0) != sent:
        raise SystemExit(f"{kind}: {events} recorded for {sent} events sent")
    return figures


def report(kind, mode, clients, count, single_times, page_times):
    ratios = [p / s for p, s in zip(page_times, single_times)]
    events = count * clients
    figures = {"clients": clients, "events_per_client": count,
               "singles_ms": summarise([t * 1000 for t in single_times]),
               "page_ms": summarise([t * 1000 for t in page_times]),
               "singles_events_per_s": summarise([events / t for t in single_times]),
               "page_events_per_s": summarise([events / t for t in page_times]),
               "ratio": summarise(ratios)}
    name = f"batch.{kind}.{mode}"
    print(result_line(f"{name}.singles", figures["singles_ms"], "ms", clients=clients,
                      events_per_client=count), flush=True)
    print(result_line(f"{name}.page", figures["page_ms"], "ms", clients=clients, events_per_client=count),
          flush=True)
    print(result_line(f"{name}.page_vs_singles", figures["ratio"], "ratio", target="<=0.25",
                      met=statistics.median(ratios) <= 0.25), flush=True)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--events", type=int, default=100, help="events per page (and singles per client)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first and not counted")
    parser.add_argument("--clients", type=int, default=4, help="clients of the concurrent mode")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    figures = {kind: bench_database(kind, args, folder) for kind in kinds}
    save(f"batch-{args.database}", {"settings": vars(args), "figures": figures})


if __name__ == "__main__":
    main()
