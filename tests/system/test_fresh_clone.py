"""A new user's first hour, from a fresh clone: bin/serve and bin/test keep .venv in step with the
requirements after a pull, and the README's "Try it" prints what the README shows."""

import json
import re
import subprocess

from tests.support.clones import bin_serve, fresh_clone, git, probe_wheel, user_environment
from tests.support.helpers import ROOT

INSTALLING = "installing requirements"


def add_requirement(upstream, requirements, wheel):
    """Commit, upstream, a requirement on the probe wheel."""
    with open(upstream / requirements, "a", encoding="utf-8") as handle:
        handle.write(f"bridgeprobe @ {wheel.as_uri()}\n")
    git(upstream, "commit", "--quiet", "-am", f"Require bridgeprobe in {requirements}")


def imports_probe(clone):
    """Whether the clone's .venv can import the probe wheel's module."""
    return subprocess.run([str(clone / ".venv/bin/python"), "-c", "import bridgeprobe"],
                          capture_output=True).returncode == 0


def test_bin_serve_installs_requirements_that_changed_in_a_pull(tmp_path):
    upstream, clone = fresh_clone(tmp_path)
    with bin_serve(clone, tmp_path / "first.log"):
        pass
    add_requirement(upstream, "requirements.txt", probe_wheel(tmp_path))
    git(clone, "pull", "--quiet")
    assert not imports_probe(clone)

    with bin_serve(clone, tmp_path / "after-pull.log"):
        assert imports_probe(clone)
    with bin_serve(clone, tmp_path / "unchanged.log") as unchanged:
        assert INSTALLING not in unchanged.output()


def test_bin_test_installs_changes_of_the_requirements_it_includes(tmp_path):
    upstream, clone = fresh_clone(tmp_path)
    env = user_environment()
    first = subprocess.run(["bin/test", "--version"], cwd=clone, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "installing requirements-dev.txt" in first.stderr
    add_requirement(upstream, "requirements.txt", probe_wheel(tmp_path))
    git(clone, "pull", "--quiet")

    after_pull = subprocess.run(["bin/test", "--version"], cwd=clone, env=env, capture_output=True, text=True)
    assert after_pull.returncode == 0, after_pull.stderr
    assert "installing requirements-dev.txt" in after_pull.stderr
    assert imports_probe(clone)


def try_it_steps():
    """The README's "Try it" commands (```sh blocks), each with the output it shows (the ```json after it)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Try it without Jira"):readme.index("### Deploying like a Heroku app")]
    blocks = re.findall(r"```(sh|json)\n(.*?)```", section, flags=re.DOTALL)
    assert [kind for kind, _ in blocks] == ["sh", "json", "sh", "json"]
    return [(blocks[i][1], json.loads(blocks[i + 1][1])) for i in range(0, len(blocks), 2)]


def with_times_of(expected, printed):
    """``expected`` with the entity's timestamps taken from ``printed``, once they have the shown format."""
    entity = expected.get("entity")
    if entity is None:
        return expected
    for name in ("createdAt", "updatedAt"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", printed["entity"][name])
        entity[name] = printed["entity"][name]
    return expected


def test_the_readme_try_it_prints_what_the_readme_shows(tmp_path):
    _, clone = fresh_clone(tmp_path)
    with bin_serve(clone, tmp_path / "serve.log", JIRA_WEBHOOK_SECRET="change-me") as started:
        port = started.base.rsplit(":", 1)[1]
        for commands, shown in try_it_steps():
            script = commands.replace("localhost:8000", f"127.0.0.1:{port}")
            second_terminal = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=clone,
                                             env=user_environment(), capture_output=True, text=True)
            assert second_terminal.returncode == 0, second_terminal.stderr
            printed = json.loads(second_terminal.stdout)
            assert printed == with_times_of(shown, printed)
