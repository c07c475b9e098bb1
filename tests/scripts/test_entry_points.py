"""The entry scripts run as the docs write them (`python3 scripts/...`) with a Python that lacks the
requirements, and the backfill's default checkpoint stays out of git."""

import subprocess
import sys

import pytest

from scripts.backfill.cli import read_settings
from scripts.backfill.config import KINDS
from tests.support.clones import fresh_clone, git, user_environment
from tests.support.helpers import ROOT

SCRIPTS = ["scripts/backfill_history.py", "scripts/register_webhook.py", "scripts/import_ocean_config.py"]
SETUP = "run bin/serve once, or python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A Python without any of requirements.txt's packages, as the system's python3 usually is."""
    folder = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return folder


def run_script(python, repo, script):
    return subprocess.run([str(python / "bin/python"), script, "--help"], cwd=repo, env=user_environment(),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_python_without_the_requirements_runs_the_script_with_the_repository_venv(bare_python, script):
    result = run_script(bare_python, ROOT, script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {script.rsplit('/', 1)[1]}")


def test_the_documented_command_runs_with_the_python3_on_the_path():
    result = subprocess.run(["python3", "scripts/backfill_history.py", "--help"], cwd=ROOT, env=user_environment(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: backfill_history.py")


@pytest.mark.parametrize("script", SCRIPTS)
def test_without_a_venv_the_script_says_how_to_create_it(bare_python, tmp_path, script):
    _, clone = fresh_clone(tmp_path)
    result = run_script(bare_python, clone, script)
    assert result.returncode == 2
    assert "lacks" in result.stderr and SETUP in result.stderr
    assert "Traceback" not in result.stderr


def test_a_venv_lacking_requirements_is_named_not_run_again(bare_python, tmp_path):
    _, clone = fresh_clone(tmp_path)
    (clone / ".venv").symlink_to(bare_python)
    result = run_script(clone / ".venv", clone, "scripts/backfill_history.py")
    assert result.returncode == 2
    assert f"the virtualenv {clone / '.venv'} lacks" in result.stderr and SETUP in result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_the_default_checkpoint_is_ignored_by_git(kind):
    settings = read_settings(["--jira-url", "http://127.0.0.1:9", "--jira-user", "u", "--jira-token", "t",
                              "--endpoint", "http://127.0.0.1:9/webhooks/jira", "--kind", kind,
                              "--org-id", "org"])
    for path in (settings.checkpoint, f"{settings.checkpoint}.tmp"):
        assert git(ROOT, "check-ignore", path).strip() == path
