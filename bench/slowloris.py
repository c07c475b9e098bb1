"""/healthz while slow clients hold connections open, against the shipped gunicorn settings.

    python3 bench/slowloris.py [--connections 100] [--seconds 20] [--interval 1] [--reconnect]
                               [--workers 2] [--threads 16]

gunicorn serves the app (the shipped gunicorn.conf.py, SQLite in a temporary folder) on 127.0.0.1.
`--connections` clients each send the start of a request (`GET /healthz HTTP/1.1`, a Host header)
and then one more header line every `--interval` seconds, never finishing the headers. With
`--reconnect` a client the server closed opens a new connection at once, as a persistent attacker
would. Meanwhile /healthz is probed four times a second (2 s timeout each) for `--seconds`; the
report gives the share answered, the latency of those answered and the longest run of failures.
Everything runs on this machine; the clients and the probe stop by themselves.
"""

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import requests
from common import result_line, save, summarise
from served import gunicorn

PROBE_EVERY = 0.25
PROBE_TIMEOUT = 2.0


def open_slow(host, port):
    """A connection that has sent a request line and one header, nothing more."""
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n")
    return sock


def hold_slow_clients(host, port, count, interval, reconnect, stop, counters):
    """Keep `count` slow clients dripping header lines until `stop` is set."""
    socks = [open_slow(host, port) for _ in range(count)]
    line = 0
    while not stop.wait(interval):
        line += 1
        for index, sock in enumerate(socks):
            if sock is None:
                continue
            try:
                sock.sendall(f"X-Drip-{line}: {line}\r\n".encode())
            except OSError:
                sock.close()
                counters["closed"] += 1
                socks[index] = open_slow(host, port) if reconnect else None
    for sock in socks:
        if sock is not None:
            sock.close()


def probe(base, seconds):
    """(latencies of answered probes, answered, total, longest failing stretch in seconds)."""
    latencies, total, failing_since, longest = [], 0, None, 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        total += 1
        try:
            ok = requests.get(base + "/healthz", timeout=PROBE_TIMEOUT).status_code == 200
        except requests.RequestException:
            ok = False
        now = time.monotonic()
        if ok:
            latencies.append(now - started)
            failing_since = None
        else:
            failing_since = failing_since or started
            longest = max(longest, now - failing_since)
        time.sleep(max(0.0, PROBE_EVERY - (time.monotonic() - started)))
    return latencies, len(latencies), total, longest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--reconnect", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-slowloris-"))
    env = {"DATABASE_URL": f"sqlite:///{folder / 'catalog.sqlite3'}",
           "JIRA_WEBHOOK_SECRET": "bench-secret", "WEB_THREADS": str(args.threads)}
    with gunicorn("app:create_app()", args.workers, env, folder / "gunicorn.log",
                  threads=args.threads) as base:
        host, port = base.removeprefix("http://").split(":")
        stop, counters = threading.Event(), {"closed": 0}
        clients = threading.Thread(target=hold_slow_clients, daemon=True,
                                   args=(host, int(port), args.connections, args.interval,
                                         args.reconnect, stop, counters))
        clients.start()
        try:
            latencies, answered, total, longest = probe(base, args.seconds)
        finally:
            stop.set()
            clients.join(timeout=30)
    nothing = {"median": float("nan"), "min": float("nan"), "max": float("nan"), "runs": 0}
    summary = summarise(latencies) if latencies else nothing
    name = f"slowloris_{args.connections}{'_reconnect' if args.reconnect else ''}"
    print(result_line(name, summary, "s", answered=f"{answered}/{total}",
                      longest_outage_s=round(longest, 2), closed_by_server=counters["closed"]))
    save(name, {"args": vars(args), "answered": answered, "total": total,
                "longest_outage_s": longest, "closed_by_server": counters["closed"],
                "latency_s": summary})


if __name__ == "__main__":
    main()
