"""The Procfile's processes under real gunicorn: their command lines and a served app on a free port."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.helpers import ROOT, SECRET


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command(process):
    """The Procfile line for `process`, as a shell command."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.match(rf"^{process}:\s*(.+)$", line)
        if match:
            return match.group(1)
    raise AssertionError(f"no {process}: line in the Procfile")


def wait_until_healthy(base, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn exited: " + process.stderr.read().decode())
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not become healthy")


@contextlib.contextmanager
def procfile_web(database_url, workers, **settings):
    """The Procfile's web line with `workers` workers on `database_url` and further `settings`
    (environment variables); yields its base URL."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": database_url,
           "JIRA_WEBHOOK_SECRET": SECRET, "WEB_CONCURRENCY": str(workers),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **settings}
    process = subprocess.Popen(procfile_command("web"), shell=True, cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, seconds=60)
        yield base
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
