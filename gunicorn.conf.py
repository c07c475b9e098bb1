"""gunicorn settings read automatically from the working directory (Procfile, bin/serve, bench/).

Metrics: every worker writes its samples to PROMETHEUS_MULTIPROC_DIR so that `GET /metrics` in any
worker reports the whole server. A fresh folder is made per server start unless one is given.
"""

import os
import shutil
import tempfile
from pathlib import Path

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
