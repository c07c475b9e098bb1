"""Soak test: thousands of shuffled, duplicated deliveries to gunicorn while a worker is killed.

Starts the Procfile's web process on a fresh database, sends every delivery from several client
threads (re-sending whatever was not acknowledged, as Jira does), SIGKILLs one gunicorn worker
mid-run, then checks the event log and the catalog. Prints
`sent N, acknowledged A, duplicates D, lost L, wrong W` and exits 1 when L or W is not 0.
Usage: python3 bench/soak.py [--database sqlite|postgres] [--events 5000] (see docs/soak.md).
"""

import argparse
import os
import queue
import random
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from soak_server import API_TOKEN, served_catalog, worker_pids  # noqa: E402
from soak_workload import build_workload, count_wrong, expected_catalog  # noqa: E402

from app.ingest.security import sign_body  # noqa: E402

SECRET = "soak-webhook-secret"
GIVE_UP_SECONDS = 120


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--events", type=int, default=5000, help="unique events (delivery ids)")
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--duplicates", type=int, default=None,
                        help="extra re-sends of an earlier delivery id (default: events / 10)")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--kill-after", type=float, default=0.4,
                        help="kill a worker once this fraction of the sends is acknowledged")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def post_once(session, url, delivery):
    """One attempt: the answer's status word when acknowledged (2xx), else None."""
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature": sign_body(SECRET, delivery.body),
               "X-Atlassian-Webhook-Identifier": delivery.delivery_id}
    try:
        response = session.post(url, data=delivery.body, headers=headers, timeout=30)
    except requests.RequestException:
        return None
    if 200 <= response.status_code < 300:
        return response.json().get("status", "?")
    return None


def deliver(session, url, delivery):
    """Send until acknowledged, as Jira retries: (status word or None when given up, attempts)."""
    deadline, attempts = time.monotonic() + GIVE_UP_SECONDS, 0
    while time.monotonic() < deadline:
        attempts += 1
        status = post_once(session, url, delivery)
        if status is not None:
            return status, attempts
        time.sleep(min(0.05 * attempts, 1.0))
    return None, attempts


class Run:
    """The shared state of one soak: the queue of sends and what each one got back."""

    def __init__(self, base, sends):
        self.url = base + "/webhooks/jira"
        self.pending = queue.Queue()
        for send in sends:
            self.pending.put(send)
        self.results, self.lock = [], threading.Lock()

    def client(self):
        """A client thread: take sends off the queue until it is empty."""
        session = requests.Session()
        while True:
            try:
                delivery = self.pending.get_nowait()
            except queue.Empty:
                return
            status, attempts = deliver(session, self.url, delivery)
            with self.lock:
                self.results.append((delivery, status, attempts))

    def acknowledged(self):
        with self.lock:
            return sum(1 for _, status, _ in self.results if status is not None)


def kill_a_worker(run, master_pid, threshold, rng):
    """Once `threshold` sends are acknowledged, SIGKILL one gunicorn worker; returns its pid."""
    while run.acknowledged() < threshold and not run.pending.empty():
        time.sleep(0.01)
    victims = worker_pids(master_pid)
    if not victims:
        return None
    victim = rng.choice(victims)
    os.kill(victim, signal.SIGKILL)
    return victim


def send_all(base, master_pid, sends, args):
    """Deliver every send from `args.threads` threads, killing a worker on the way."""
    run = Run(base, sends)
    threads = [threading.Thread(target=run.client, daemon=True) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    victim = kill_a_worker(run, master_pid, int(len(sends) * args.kill_after),
                           random.Random(args.seed))
    for thread in threads:
        thread.join()
    return run.results, victim


def fetch_all(base, path, key):
    """Every item of a paged read-API collection."""
    items, offset = [], 0
    while offset is not None:
        page = requests.get(f"{base}{path}?limit=1000&offset={offset}", timeout=60,
                            headers={"Authorization": f"Bearer {API_TOKEN}"}).json()
        items.extend(page[key])
        offset = page["next"]
    return items


def verify(base, unique, results):
    """(lost, wrong, log summary): acknowledged events missing from the log, wrong entities."""
    logged = fetch_all(base, "/v1/events", "events")
    logged_ids = Counter(e["deliveryId"] for e in logged)
    acknowledged = {d.delivery_id for d, status, _ in results if status is not None}
    lost = len(acknowledged - set(logged_ids))
    twice = sum(1 for count in logged_ids.values() if count > 1)
    wrong = count_wrong(fetch_all(base, "/v1/blueprints/jiraIssue/entities", "entities"),
                        expected_catalog(unique))
    statuses = dict(Counter(e["status"] for e in logged))
    summary = f"event log: {len(logged)} events {statuses}, delivery ids logged twice {twice}"
    return lost, wrong, summary


def soak(args):
    """Run the whole soak; returns the process exit code."""
    duplicates = args.events // 10 if args.duplicates is None else args.duplicates
    unique, sends = build_workload(args.events, args.issues, duplicates, args.seed)
    with served_catalog(args.database, args.postgres_url, args.workers, SECRET) as (base, master):
        started = time.monotonic()
        results, victim = send_all(base, master, sends, args)
        elapsed = time.monotonic() - started
        lost, wrong, log_summary = verify(base, unique, results)
    acknowledged = sum(1 for _, status, _ in results if status is not None)
    answered = Counter(status for _, status, _ in results)
    retries = sum(attempts - 1 for _, _, attempts in results)
    print(f"database {args.database}, {args.workers} workers, {args.threads} client threads, "
          f"{len(unique)} events over {min(args.issues, args.events)} issues, "
          f"killed worker {victim}, retries {retries}, {elapsed:.1f} s "
          f"({len(sends) / elapsed:.0f} deliveries/s)")
    print(f"answers {dict(answered)}; {log_summary}")
    print(f"sent {len(sends)}, acknowledged {acknowledged}, duplicates {answered['duplicate']}, "
          f"lost {lost}, wrong {wrong}")
    return 1 if lost or wrong or acknowledged < len(sends) or victim is None else 0


if __name__ == "__main__":
    sys.exit(soak(parse_args()))
