"""The Procfile's worker process: it delivers the outbox, idles without credentials, stops on SIGTERM."""

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.helpers import ROOT, post_event, seed_payload, wait_for
from tests.support.port_helpers import forwarding_overrides
from tests.support.served import procfile_command


@pytest.fixture
def settings_overrides(database_url, fake_port):
    return forwarding_overrides(database_url, fake_port)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_procfile_worker_process_delivers_and_stops_on_sigterm(settings_overrides, client,
                                                               fake_port):
    post_event(client, seed_payload())
    env = {**os.environ, **settings_overrides,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    # No shell in between, so the signal reaches the worker itself.
    worker = subprocess.Popen(shlex.split(procfile_command("worker")), cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: fake_port.entity("jiraIssue", "PI-1") is not None, seconds=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
    assert worker.returncode == 0, worker.stderr.read().decode()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_procfile_worker_idles_without_credentials_and_stops_on_sigterm(settings_overrides):
    env = {**os.environ, **settings_overrides, "PORT_CLIENT_ID": "", "PORT_CLIENT_SECRET": "",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    worker = subprocess.Popen(shlex.split(procfile_command("worker")), cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log_line = worker.stderr.readline()
    while "forwarding is off" not in log_line and worker.poll() is None:
        log_line = worker.stderr.readline()

    worker.send_signal(signal.SIGTERM)

    assert "forwarding is off" in log_line
    assert worker.wait(timeout=15) == 0


def test_procfile_worker_with_a_bad_setting_stops_with_one_line_naming_it(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/catalog.db", "PORT_TIMEOUT_SECONDS": "soon",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    worker = subprocess.run(shlex.split(procfile_command("worker")), cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)

    assert worker.returncode != 0 and "Traceback" not in worker.stderr
    assert "jira-catalog-bridge cannot start: setting PORT_TIMEOUT_SECONDS: expected a number" in worker.stderr
