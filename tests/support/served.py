"""The Procfile's processes under real gunicorn: their command lines and a served app on a free port."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.helpers import ROOT, SECRET, wait_for


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


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and the file its stderr goes to."""

    base: str
    log: Path

    def printed_tokens(self):
        """The API tokens the server printed as generated (the banner's indented line)."""
        return PRINTED_TOKEN.findall(self.log.read_text())

    def token(self):
        """The one token the server printed (the worker that generated it may still be writing
        it while another answers /healthz)."""
        wait_for(lambda: self.printed_tokens(), seconds=20)
        [token] = self.printed_tokens()
        return token


PRINTED_TOKEN = re.compile(r"stored in the database:\n\n    (\S+)\n")


def wait_until_healthy(base, process, log, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn exited: " + log.read_text())
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not become healthy")


@contextlib.contextmanager
def procfile_web(database_url, workers, log, **settings):
    """The Procfile's web line with `workers` workers on `database_url` in the default
    configuration (no CATALOG_API_TOKEN) plus `settings`, its stderr in the file `log`; yields
    a Served."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": database_url,
           "JIRA_WEBHOOK_SECRET": SECRET, "WEB_CONCURRENCY": str(workers),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("CATALOG_API_TOKEN", None)
    env.update(settings)
    with open(log, "wb") as stderr:
        process = subprocess.Popen(procfile_command("web"), shell=True, cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True)
    served = Served(f"http://127.0.0.1:{port}", Path(log))
    try:
        wait_until_healthy(served.base, process, served.log, seconds=60)
        yield served
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
