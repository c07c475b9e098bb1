"""Signed deliveries while a flood of wrongly signed ones is refused (and counted) by the same server.

    python3 bench/refusal_flood.py [--seconds 12] [--deliveries 300] [--tree PATH]

One gunicorn (the shipped settings, 2 workers, SQLite FULL) on 127.0.0.1. A client posts signed seed
payloads one after another, first on a quiet server, then while wrk (2 threads, 8 connections) floods
`/webhooks/jira` with a body whose signature is wrong. Prints the signed deliveries' latency in both
phases and the flood's rate. `--tree` runs the same against another checkout (e.g. one without the
refusal counter), for a comparison in one run.
"""

import argparse
import hashlib
import hmac
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests
from common import ROOT, result_line, summarise
from served import free_port, gunicorn

SECRET = "bench-secret"
FLOOD_SCRIPT = """wrk.method = "POST"
wrk.body = '{"webhookEvent":"jira:issue_updated","issue":{"key":"X-1"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature"] = "sha256=00"
"""


def post_signed(base, count, first):
    """Post `count` signed seed payloads (issues first, first+1, ...); their latencies in ms."""
    seed = json.loads((ROOT / "tests/fixtures/jira-payloads/seed-issue-created.json").read_text())
    latencies, session = [], requests.Session()
    for number in range(first, first + count):
        seed["issue"]["key"], seed["timestamp"] = f"PI-{number}", 1686916266116 + number
        body = json.dumps(seed).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        started = time.perf_counter()
        answer = session.post(base + "/webhooks/jira", data=body, timeout=30, headers={
            "Content-Type": "application/json", "X-Hub-Signature": signature})
        latencies.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 202:
            raise SystemExit(f"a signed delivery got {answer.status_code}: {answer.text}")
    return latencies


def measure(tree, folder, args):
    """Quiet and flooded latencies of signed deliveries, and the flood's refusals per second."""
    env = {"DATABASE_URL": f"sqlite:///{folder}/catalog.sqlite3", "JIRA_WEBHOOK_SECRET": SECRET,
           "CATALOG_API_TOKEN": "bench-token-bench-token", "PORT": str(free_port())}
    flood_script = folder / "flood.lua"
    flood_script.write_text(FLOOD_SCRIPT)
    with gunicorn("app:create_app()", 2, env, folder / "server.log", chdir=tree, threads=16,
                  config=tree / "gunicorn.conf.py") as base:
        quiet = post_signed(base, args.deliveries, 0)
        flood = subprocess.Popen(["wrk", "-t2", "-c8", f"-d{args.seconds}s", "-s", str(flood_script),
                                  base + "/webhooks/jira"], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        flooded = post_signed(base, args.deliveries, args.deliveries)
        output = flood.communicate()[0]
    rate = float(next(line.split()[1] for line in output.splitlines() if line.startswith("Requests/sec")))
    return quiet, flooded, rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        help="another checkout to measure the same way (repeatable)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (bench/run_all installs it)")
    for tree in [ROOT, *args.tree]:
        folder = Path(tempfile.mkdtemp(prefix="bench-refusals-"))
        quiet, flooded, rate = measure(tree, folder, args)
        name = "this" if tree == ROOT else tree.name
        print(result_line(f"refusal_flood.{name}.quiet", summarise(quiet), "ms"), flush=True)
        print(result_line(f"refusal_flood.{name}.flooded", summarise(flooded), "ms",
                          p90=sorted(flooded)[int(len(flooded) * 0.9)], refusals_per_s=round(rate)),
              flush=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
