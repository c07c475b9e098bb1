"""The worker's reconcile schedule: what is due is read from the recorded passes, one pass at a time,
and the Procfile's worker process runs them."""

import os
import shlex
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.catalog.engine import create_db_engine, utcnow
from app.reconcile.lock import pass_lock
from app.reconcile.passes import list_passes
from app.reconcile.run import reconciler_for
from app.reconcile.schedule import due_pass, run_due, scheduled, tick_seconds
from app.runtime import runtime_of
from tests.reconcile.conftest import jira_overrides
from tests.support.helpers import ROOT, wait_for
from tests.support.served import procfile_command


def test_the_first_start_runs_a_full_pass_then_each_kind_falls_due_after_its_interval(server_app):
    state = runtime_of(server_app)
    reconciler = reconciler_for(state.store, state.configs, state.settings)
    assert run_due(reconciler, state.settings) == "full"
    assert run_due(reconciler, state.settings) is None

    engine, now = state.store.engine, utcnow()
    assert due_pass(engine, "jira-catalog", state.settings, now + timedelta(seconds=899)) is None
    assert due_pass(engine, "jira-catalog", state.settings, now + timedelta(seconds=901)) == "incremental"
    assert due_pass(engine, "jira-catalog", state.settings, now + timedelta(days=1, seconds=1)) == "full"
    assert [p["kind"] for p in list_passes(engine, 10)[0]] == ["full"]


def test_a_due_pass_is_left_to_the_process_holding_the_lock(server_app, database_url):
    state = runtime_of(server_app)
    other = create_db_engine(database_url)
    try:
        with pass_lock(other) as held:
            assert held
            assert run_due(reconciler_for(state.store, state.configs, state.settings), state.settings) is None
    finally:
        other.dispose()
    assert list_passes(state.store.engine, 10)[1] == 0


def test_scheduling_needs_jira_and_an_interval(server_app):
    settings = runtime_of(server_app).settings
    assert scheduled(settings) and tick_seconds(settings) == 30
    assert not scheduled(replace(settings, JIRA_URL=""))
    assert not scheduled(replace(settings, RECONCILE_INTERVAL_SECONDS=0, RECONCILE_FULL_INTERVAL_SECONDS=0))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_procfile_worker_runs_the_first_pass_and_stops_on_sigterm(database_url, server_jira):
    env = {**os.environ, **jira_overrides(database_url, server_jira),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    worker = subprocess.Popen(shlex.split(procfile_command("worker")), cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    engine = create_db_engine(database_url)
    try:
        wait_for(lambda: passes_done(engine), seconds=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
    assert worker.returncode == 0, worker.stderr.read().decode()
    (done,) = list_passes(engine, 10)[0]
    engine.dispose()
    assert (done["kind"], done["status"], done["changed"]) == ("full", "succeeded", 6)


def passes_done(engine) -> bool:
    try:
        return any(p["status"] != "running" for p in list_passes(engine, 10)[0])
    except Exception:  # noqa: BLE001 - the worker has not created the tables yet
        return False
