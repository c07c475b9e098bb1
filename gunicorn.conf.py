"""gunicorn settings read automatically from the working directory (Procfile, bin/serve, bench/).

Threads: each worker serves WEB_THREADS requests at once (gunicorn's gthread worker when above 1).
Concurrent deliveries of a worker then share one database commit (app/catalog/store.py), which with
SQLite's synchronous=FULL is an fsync saved per event; the command line's --threads overrides it.

Metrics: every worker writes its samples to PROMETHEUS_MULTIPROC_DIR so that `GET /metrics` in any
worker reports the whole server. A fresh folder is made per server start unless one is given.
"""

import os
import shutil
import tempfile
from pathlib import Path


def read_threads():
    """WEB_THREADS, a whole number of at least 1 (default 16)."""
    value = os.environ.get("WEB_THREADS", "16")
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"setting WEB_THREADS: expected a whole number of at least 1, got {value!r}")
    return int(value)


threads = read_threads()
MADE_HERE = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if MADE_HERE:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bridge-metrics-")


def on_starting(server):
    """Samples left by an earlier server in a given folder would be counted again: remove them
    (only prometheus-client's `*.db` files; anything else in the folder is left alone)."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for samples in folder.glob("*.db"):
        samples.unlink()


def child_exit(server, worker):
    from app.metrics import mark_worker_dead
    mark_worker_dead(worker.pid)


def on_exit(server):
    if MADE_HERE:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
