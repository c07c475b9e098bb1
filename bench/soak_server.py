"""The soak's server side: a fresh database, the Procfile's release step and web process."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from common import postgres_schema

ROOT = Path(__file__).resolve().parents[1]


def procfile_command(process="web"):
    """The Procfile line for `process`, as a shell command."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.match(rf"^{process}:\s*(.+)$", line)
        if match:
            return match.group(1)
    raise SystemExit(f"no {process}: line in the Procfile")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_pids(master_pid):
    """The pids of the processes whose parent is `master_pid` (gunicorn's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The process name in parentheses may hold spaces; the parent pid follows its close.
        if int(stat.rsplit(")", 1)[1].split()[1]) == master_pid:
            children.append(int(entry.name))
    return children


@contextlib.contextmanager
def fresh_database(kind, postgres_url, folder):
    """A DATABASE_URL on an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/soak.sqlite3"
        return
    with postgres_schema(postgres_url, "soak") as url:
        yield url


def wait_until_healthy(base, process, log_path, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited:\n" + Path(log_path).read_text()[-3000:])
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not become healthy:\n" + Path(log_path).read_text()[-3000:])


API_TOKEN = "soak-api-token-" + "0" * 32


def service_env(database_url, workers, secret, port):
    """The environment the Procfile's processes run with."""
    return {**os.environ, "PORT": str(port), "DATABASE_URL": database_url,
            "WEB_CONCURRENCY": str(workers), "JIRA_WEBHOOK_SECRET": secret,
            "CATALOG_API_TOKEN": API_TOKEN, "ALLOW_UNSIGNED_WEBHOOKS": "false", "LOG_LEVEL": "WARNING",
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def start_service(database_url, workers, secret, log):
    """Run the Procfile's release line, then its web line (exec'd: the process is the master)."""
    port = free_port()
    env = service_env(database_url, workers, secret, port)
    subprocess.run(["sh", "-c", procfile_command("release")], cwd=ROOT, env=env, stdout=log,
                   stderr=subprocess.STDOUT, check=True)
    process = subprocess.Popen(["sh", "-c", "exec " + procfile_command("web")], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return process, f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def served_catalog(kind, postgres_url, workers, secret):
    """Yield (base URL, gunicorn master pid) of a gunicorn serving a fresh database."""
    with tempfile.TemporaryDirectory(prefix="soak-") as folder, \
            fresh_database(kind, postgres_url, folder) as database_url, \
            open(Path(folder) / "gunicorn.log", "wb") as log:
        process, base = start_service(database_url, workers, secret, log)
        try:
            wait_until_healthy(base, process, log.name)
            yield base, process.pid
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
