"""What a real process prints when it starts: a configuration error is one line naming what to fix
(under the Procfile's gunicorn and under `flask --app app`), commands are quiet, the web server's
stderr is one format (JSON lines unless LOG_FORMAT=text) and names the database it uses, and two
servers on one host share no control socket."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.helpers import REVISIONS, ROOT, SECRET, edit_jira
from tests.support.served import free_port, procfile_command, procfile_web

CLOSED_POSTGRES = "postgresql://bridge:hunter2-secret@127.0.0.1:1/catalog"


def run_process(command, tmp_path, **settings):
    """`command` (a shell line) in the repository with the test's settings; its exit status and
    everything it wrote, stdout and stderr together."""
    env = {**os.environ, "PORT": str(free_port()), "JIRA_WEBHOOK_SECRET": SECRET,
           "DATABASE_URL": f"sqlite:///{tmp_path}/catalog.db", "HOME": str(tmp_path),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("CATALOG_API_TOKEN", None)
    env.update(settings)
    run = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    return run.returncode, run.stdout + run.stderr


def message_lines(output):
    """The lines of `output`, each a JSON record's message or the text line itself."""
    lines = []
    for line in output.splitlines():
        try:
            lines.append(json.loads(line)["message"])
        except (ValueError, KeyError, TypeError):
            lines.append(line)
    return [line for line in lines if line.strip()]


WEB = procfile_command("web")
COMMANDS = [WEB, "flask --app app --help", "flask --app app upgrade-db"]


@pytest.fixture
def broken_mappings(mappings_dir):
    edit_jira(mappings_dir, lambda d: d["mappings"][0]["entity"].update(title=".key | (( | .x"))
    return mappings_dir


@pytest.mark.parametrize("command", COMMANDS)
def test_a_broken_mapping_stops_the_process_with_one_line(command, broken_mappings, tmp_path):
    status, output = run_process(command, tmp_path, MAPPINGS_DIR=str(broken_mappings))

    assert status != 0 and "Traceback" not in output
    [line] = [line for line in message_lines(output) if "cannot start" in line]
    assert line.endswith("jira.yaml: mapping 0 (blueprint jiraIssue), field entity.title: JQ does "
                         "not compile: '.key | (( | .x': syntax error, unexpected '|' at column 11")
    assert "def env" not in output and len(message_lines(output)) <= 2, output


@pytest.mark.parametrize("command", [WEB, "flask --app app api-token"])
def test_an_unreachable_database_stops_the_process_naming_database_url(command, tmp_path):
    status, output = run_process(command, tmp_path, DATABASE_URL=CLOSED_POSTGRES)

    assert status != 0 and "Traceback" not in output and "hunter2" not in output
    [line] = [line for line in message_lines(output) if "cannot start" in line]
    assert "setting DATABASE_URL: cannot connect to postgresql+psycopg://bridge:***@127.0.0.1:1" \
           "/catalog: " in line


@pytest.mark.parametrize("value", ["abc", "0", ""])
def test_a_bad_web_concurrency_stops_the_web_process_naming_it(value, tmp_path):
    status, output = run_process(WEB, tmp_path, WEB_CONCURRENCY=value)

    assert status != 0 and "Traceback" not in output
    assert message_lines(output) == [f"jira-catalog-bridge cannot start: setting WEB_CONCURRENCY: "
                                     f"expected a whole number of at least 1, got {value!r}"]


def test_a_bad_web_concurrency_stops_bin_serve_naming_it(tmp_path):
    status, output = run_process("bin/serve", tmp_path, WEB_CONCURRENCY="abc")

    assert status != 0 and "Traceback" not in output
    assert output.splitlines()[-1] == ("jira-catalog-bridge cannot start: setting WEB_CONCURRENCY: "
                                       "expected a whole number of at least 1, got 'abc'")


def test_commands_print_no_warnings_and_no_migration_progress(tmp_path):
    settings = {"JIRA_WEBHOOK_SECRET": "", "CATALOG_API_TOKEN": "short"}
    status, first = run_process("flask --app app upgrade-db", tmp_path, **settings)
    assert status == 0, first
    assert message_lines(first)[-1].endswith(f"catalog.db: applied schema revisions {', '.join(REVISIONS)}")
    for command in ("flask --app app --help", "flask --app app upgrade-db 2>&1 >/dev/null"):
        status, output = run_process(command, tmp_path, **settings)
        assert status == 0
        assert "WARNING" not in output and "alembic" not in output and "secret" not in output


def test_the_web_process_writes_json_lines_and_names_its_database(tmp_path):
    log = tmp_path / "web.log"
    with procfile_web("sqlite:///data/startup-test.db", 2, log, JIRA_WEBHOOK_SECRET="") as served:
        served.token()
        requests.get(served.base + "/nowhere", timeout=10)
        requests.get(served.base + "/healthz", timeout=10)
    (ROOT / "data" / "startup-test.db").unlink()
    records = [json.loads(line) for line in log_lines(log)]

    assert {r["logger"] for r in records} >= {"gunicorn.error", "jira_catalog_bridge",
                                              "jira_catalog_bridge.errors",
                                              "jira_catalog_bridge.requests"}
    assert any(r["level"] == "WARNING" and "no secret configured" in r["message"] for r in records)
    [named] = [r["message"] for r in records if r.get("message", "").startswith("catalog database")]
    assert named == f"catalog database: {ROOT / 'data' / 'startup-test.db'}"


def test_log_format_text_writes_text_lines_only(tmp_path):
    log = tmp_path / "web.log"
    with procfile_web(f"sqlite:///{tmp_path}/c.db", 1, log, LOG_FORMAT="text") as served:
        requests.get(served.base + "/healthz", timeout=10)
    lines = log_lines(log)

    assert lines and not [line for line in lines if line.startswith("{")]
    assert any("gunicorn.error: Booting worker" in line for line in lines)
    assert any("jira_catalog_bridge.requests: method=GET path=/healthz status=200" in line
               for line in lines)


def test_two_servers_on_one_host_share_no_control_socket(tmp_path):
    home = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": ""}
    with procfile_web(f"sqlite:///{tmp_path}/a.db", 1, tmp_path / "a.log", **home) as first:
        with procfile_web(f"sqlite:///{tmp_path}/b.db", 1, tmp_path / "b.log", **home) as second:
            assert requests.get(first.base + "/healthz", timeout=10).status_code == 200
            assert requests.get(second.base + "/healthz", timeout=10).status_code == 200
    logs = (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()

    assert "Control socket" not in logs and not (tmp_path / ".gunicorn").exists()


def log_lines(log):
    """The log's lines, leaving out the framed notice that prints a generated API token."""
    lines, framed = [], False
    for line in log.read_text().splitlines():
        if line.startswith("====="):
            framed = not framed
        elif line.strip() and not framed:
            lines.append(line)
    return lines
