"""What scripts/backfill_history.py tells its user: the summary of a dry or interrupted run, the
progress line before the total is known, the flags' help, and a Jira that stops paging early."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import time

import pytest

from scripts.backfill.cli import build_parser
from scripts.backfill.config import DEFAULT_BLUEPRINTS
from scripts.backfill.progress import Progress
from tests.scripts.test_backfill import SCRIPT, SECRET, TOKEN, all_keys, run, script_env
from tests.support.fake_endpoint import FakeEndpoint
from tests.support.fake_jira import FakeJira, make_issues


@pytest.fixture
def endpoint():
    with FakeEndpoint(SECRET) as server:
        yield server


class Terminal(io.StringIO):
    """A stream that says it is a terminal, so the progress display draws its bar into it."""

    def isatty(self) -> bool:
        return True


def test_a_dry_run_summary_counts_what_it_translated_and_posts_nothing(endpoint, tmp_path, capsys):
    issues = make_issues(8)
    with FakeJira("server", issues, token=TOKEN) as jira:
        assert run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--dry-run") == 0
    summary = capsys.readouterr().out.splitlines()[-1]
    count = len(all_keys(issues))
    assert f"translated={count} would_apply={count} " in summary and "nothing posted" in summary
    assert "posted=" not in summary.replace("nothing posted", "")
    assert endpoint.deliveries == []


def test_the_progress_bar_says_the_total_is_not_known_yet_then_counts_against_it():
    terminal = Terminal()
    progress = Progress("issue", None, stream=terminal)
    waiting = terminal.getvalue()
    assert "total not known yet" in waiting and "?issue" not in waiting and "0issue" not in waiting
    progress.set_total(121)
    progress.advance(50)
    progress.close()
    assert "50/121" in terminal.getvalue()


def test_the_blueprint_flag_lists_every_blueprint_a_kind_produces():
    text = " ".join(build_parser().format_help().split())
    for kind, blueprint in DEFAULT_BLUEPRINTS.items():
        assert f"{kind}: {blueprint}" in text


def test_an_interrupted_run_prints_its_summary_and_exits_130(endpoint, tmp_path):
    endpoint.latency = 0.05
    issues = make_issues(300)
    checkpoint = tmp_path / "cp.json"
    with FakeJira("server", issues, page_cap=20, token=TOKEN) as jira:
        process = subprocess.Popen([sys.executable, str(SCRIPT), "--concurrency", "2", "--page-size", "20",
                                    "--checkpoint", str(checkpoint)],
                                   env=script_env(jira, f"{endpoint.url}/webhooks/jira"),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while len(endpoint.deliveries) < 5 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    posted = int(re.search(r"posted=(\d+) ", out).group(1))
    assert 5 <= posted < len(all_keys(issues)) and posted <= len(endpoint.deliveries)
    assert "interrupted" in err and "--resume" in err and "Traceback" not in err
    assert checkpoint.exists()


def test_jira_stopping_before_its_total_is_a_warning_and_exit_1(endpoint, tmp_path, capsys):
    endpoint.entities["jiraIssue"]["OLD-1"] = {"identifier": "OLD-1"}
    with FakeJira("server", make_issues(121), page_cap=50, token=TOKEN, stops_at=50) as jira:
        code = run(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--jql", "project = PI", "--prune")
    captured = capsys.readouterr()
    assert code == 1
    assert "Jira stopped early at 50 of 121 issues" in captured.err
    assert "fetched=50 " in captured.out
    assert "OLD-1" in endpoint.entities["jiraIssue"] and (tmp_path / "cp.json").exists()
