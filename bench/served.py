"""Served throughput of POST /webhooks/jira against a no-op and a durable-write floor, same gunicorn.

    python3 bench/served.py [--database sqlite|postgres|both] [--seconds 10] [--runs 3]
                            [--connections 8] [--workers 2] [--threads 16] [--bodies 60000]

Three servers run `gunicorn --config gunicorn.conf.py --workers N --threads T` (the shipped worker class
and limits, no access log) on 127.0.0.1: by default the shipped 16 threads; `--threads 1` gives one
thread per worker.
- *no-op* (bench/noop_app.py): parses the JSON body and answers 202, the target's baseline;
- *floor* (bench/floor_app.py): parses the body, INSERTs it into one table of the same database and
  commits before the 202: what acknowledging only durably stored events costs at least;
- *app*: the service.
wrk (Debian's) posts pre-signed seed payloads (bench/signed.lua), each body once per server (the service
answers a body it has seen as a duplicate) and each request with a unique delivery id, so every request
is fully processed: signature, translation, a committed event
and entity. Runs alternate no-op / floor / app so that the machine's noise hits all alike. After the
runs the event log is counted: it must hold one applied event per answered request (up to the few in
flight when wrk stopped).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests
import sqlalchemy as sa
from common import ROOT, postgres_schema, result_line, save, summarise

from app.ingest.security import sign_body

SECRET = "bench-secret"
SHIPPED_THREADS = 16  # gunicorn.conf.py's WEB_THREADS default
WRK_THREADS = 2
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def write_bodies(path, count):
    """`count` signed seed payloads, one issue each, as "signature<TAB>body" lines."""
    seed = json.loads((ROOT / "tests/fixtures/jira-payloads/seed-issue-created.json").read_text())
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            seed["issue"]["key"] = f"PI-{i + 1}"
            seed["issue"]["fields"]["summary"] = f"Benchmark issue {i + 1}"
            seed["timestamp"] = 1686916266116 + i
            body = json.dumps(seed, separators=(",", ":"))
            out.write(f"{sign_body(SECRET, body.encode())}\t{body}\n")


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app_spec, workers, env, log_path, chdir=ROOT, threads=1, config=ROOT / "gunicorn.conf.py"):
    """A gunicorn server (settings from `config`) for the duration of the block; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", str(config), "--bind",
               f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads), app_spec]
    with open(log_path, "w") as log:
        # gunicorn.conf.py imports the app (its startup check), also for the baselines in bench/.
        process = subprocess.Popen(command, cwd=chdir, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, process)
        yield base
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def wait_for(base, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see its log")
        try:
            requests.get(base + "/", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def run_wrk(base, seconds, connections, bodies_file, run_id, first_body):
    """One wrk run sending bodies from `first_body` on; its summary as a dict (requests/s, p50/p99
    in ms, errors, and `next_body`: the first body a next run to the same server may send)."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(ROOT / "bench/signed.lua"), base, "--", run_id, "/webhooks/jira",
               str(bodies_file), str(first_body), str(WRK_THREADS)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(text for text in output.splitlines() if text.startswith("WRKJSON "))
    stats = json.loads(line[len("WRKJSON "):])
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    stats["next_body"] = first_body + stats["most_per_thread"] * WRK_THREADS
    stats["errors"] = sum(stats[k] for k in ("status_errors", "connect_errors", "read_errors",
                                             "write_errors", "timeouts"))
    return stats


@contextmanager
def database(kind, folder):
    """A fresh, empty catalog URL on SQLite or PostgreSQL (a schema of its own, dropped after)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/bench.sqlite3"
        return
    with postgres_schema(POSTGRES_URL) as url:
        yield url


def count_events(url):
    """Events recorded, by status."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, count(*) FROM events GROUP BY status")).all()
    engine.dispose()
    return dict(rows)


def threads_suffix(args, separator):
    """How a run's names tell a thread count other than the shipped one ("" for the shipped)."""
    return "" if args.threads == SHIPPED_THREADS else f"{separator}threads{args.threads}"


def label(kind, args):
    name = f"sqlite_{args.sqlite_synchronous.lower()}" if kind == "sqlite" else kind
    return name + threads_suffix(args, "_")


def bench_database(kind, args, folder, bodies_file):
    """Alternating no-op / floor / app runs on one backend; the figures and the event-count check."""
    runs = {"noop": [], "floor": [], "app": []}
    with database(kind, folder) as url:
        env = {"DATABASE_URL": url, "JIRA_WEBHOOK_SECRET": SECRET,
               "SQLITE_SYNCHRONOUS": args.sqlite_synchronous}
        # The baselines pass the shipped config's startup check on a catalog of their own.
        baseline_env = {"DATABASE_URL": f"sqlite:///{folder}/baseline-check.sqlite3",
                        "JIRA_WEBHOOK_SECRET": SECRET}
        floor_env = {**baseline_env, "FLOOR_DATABASE_URL": url.replace("bench.sqlite3", "floor.sqlite3"),
                     "FLOOR_SYNCHRONOUS": args.sqlite_synchronous}
        with gunicorn("noop_app:create_app()", args.workers, baseline_env, folder / f"noop-{kind}.log",
                      chdir=ROOT / "bench", threads=args.threads) as noop, \
                gunicorn("floor_app:create_app()", args.workers, floor_env,
                         folder / f"floor-{kind}.log", chdir=ROOT / "bench",
                         threads=args.threads) as floor, \
                gunicorn("app:create_app()", args.workers, env, folder / f"app-{kind}.log",
                         threads=args.threads) as app:
            servers = (("noop", noop), ("floor", floor), ("app", app))
            next_body = {}
            for name, base in servers:
                next_body[name] = run_wrk(base, 2, args.connections, bodies_file,
                                          f"warm-{kind}-{uuid.uuid4().hex}", 0)["next_body"]
            answered = count_events(url).get("applied", 0)
            for i in range(args.runs):
                for name, base in servers:
                    run_id = f"{name}-{kind}-{i}-{uuid.uuid4().hex[:8]}"
                    runs[name].append(run_wrk(base, args.seconds, args.connections, bodies_file,
                                              run_id, next_body[name]))
                    next_body[name] = runs[name][-1]["next_body"]
        events = count_events(url)
    answered += sum(r["requests"] - r["errors"] for r in runs["app"])
    return report(label(kind, args), runs, events, answered)


def report(kind, runs, events, answered):
    """Print the result lines of one backend and return its figures."""
    figures = {name: {"rps": summarise([r["rps"] for r in rs]),
                      "p99_ms": summarise([r["p99_us"] / 1000 for r in rs]),
                      "p50_ms": summarise([r["p50_us"] / 1000 for r in rs]),
                      "errors": sum(r["errors"] for r in rs)} for name, rs in runs.items()}
    figures["ratio"] = summarise(ratios(runs, "app", "noop"))
    figures["floor_ratio"] = summarise(ratios(runs, "floor", "noop"))
    figures["app_vs_floor"] = summarise(ratios(runs, "app", "floor"))
    figures["events"] = events
    figures["answered"] = answered
    in_flight = events.get("applied", 0) - answered
    for name in ("noop", "floor", "app"):
        print(result_line(f"served.{kind}.{name}.rps", figures[name]["rps"], "requests/s",
                          errors=figures[name]["errors"]), flush=True)
        print(result_line(f"served.{kind}.{name}.p99", figures[name]["p99_ms"], "ms"), flush=True)
    print(result_line(f"served.{kind}.app_vs_noop", figures["ratio"], "ratio",
                      events_applied=events.get("applied", 0), answered_202=answered,
                      in_flight_at_stop=in_flight, duplicates=events.get("duplicate", 0)),
          flush=True)
    print(result_line(f"served.{kind}.floor_vs_noop", figures["floor_ratio"], "ratio"), flush=True)
    print(result_line(f"served.{kind}.app_vs_floor", figures["app_vs_floor"], "ratio"), flush=True)
    return figures


def ratios(runs, name, baseline):
    """Per-round throughput ratios of two servers (rounds alternate, so each pair shares its noise)."""
    return [a["rps"] / b["rps"] for a, b in zip(runs[name], runs[baseline])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=SHIPPED_THREADS,
                        help="gunicorn --threads for all three servers (1: one thread per worker)")
    parser.add_argument("--bodies", type=int, default=60000,
                        help="distinct signed bodies; each server's runs send each once until they run out")
    parser.add_argument("--sqlite-synchronous", choices=["FULL", "NORMAL"], default="FULL",
                        help="the app's SQLITE_SYNCHRONOUS (FULL: fsync per commit)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (bench/run_all installs it)")
    folder = Path(tempfile.mkdtemp(prefix="bench-served-"))
    bodies_file = folder / "bodies.tsv"
    write_bodies(bodies_file, args.bodies)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    figures = {kind: bench_database(kind, args, folder, bodies_file) for kind in kinds}
    save(f"served-{args.database}-{args.sqlite_synchronous.lower()}{threads_suffix(args, '-')}",
         {"settings": vars(args), "figures": figures})
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
