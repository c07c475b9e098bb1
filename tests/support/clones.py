"""Fresh clones of the repository, as a new user gets them: no .venv, no instance/, nothing ignored."""

import base64
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.helpers import ROOT
from tests.support.served import free_port, wait_until_healthy

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; its stdout."""
    result = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_IDENTITY},
                            capture_output=True, text=True, check=True)
    return result.stdout


def user_environment(**settings: str) -> dict:
    """The environment of a shell without this test run's virtualenv: python3 is the machine's."""
    venv_bin = os.path.realpath(Path(sys.prefix) / "bin")
    path = [p for p in os.environ["PATH"].split(os.pathsep) if os.path.realpath(p) != venv_bin]
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "CATALOG_API_TOKEN", "DATABASE_URL"}}
    return {**env, "PATH": os.pathsep.join(path), **settings}


def upstream_repository(dest: Path) -> Path:
    """A git repository in ``dest`` holding the working tree's tracked and unignored files as they are
    on disk (uncommitted edits included): what the project's remote serves once they are pushed."""
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "init", "--quiet")
    git(dest, "add", "--all")
    git(dest, "commit", "--quiet", "-m", "upstream")
    return dest


def fresh_clone(tmp_path: Path) -> tuple[Path, Path]:
    """(upstream, clone): a clone of an upstream repository, as a user's ``git clone`` makes it."""
    upstream = upstream_repository(tmp_path / "upstream")
    git(tmp_path, "clone", "--quiet", str(upstream), "clone")
    return upstream, tmp_path / "clone"


@dataclass(frozen=True)
class Started:
    """A bin/serve run: its base URL and what it wrote on stderr so far."""

    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text()


@contextlib.contextmanager
def bin_serve(clone: Path, log: Path, **settings: str):
    """``bin/serve`` in ``clone`` on a free port, started as a user starts it; yields a Started once
    /healthz answers, stops it afterwards."""
    port = free_port()
    env = user_environment(PORT=str(port), WEB_CONCURRENCY="1", **settings)
    with open(log, "wb") as stderr:
        process = subprocess.Popen(["bin/serve"], cwd=clone, env=env, stdout=subprocess.DEVNULL,
                                   stderr=stderr, start_new_session=True)
    started = Started(f"http://127.0.0.1:{port}", log)
    try:
        wait_until_healthy(started.base, process, log, seconds=300)
        yield started
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def probe_wheel(folder: Path, name: str = "bridgeprobe") -> Path:
    """A minimal pure-Python wheel installing the module ``name`` (pip installs it offline)."""
    files = {f"{name}.py": b"VALUE = 1\n",
             f"{name}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
             f"{name}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                             b"Tag: py3-none-any\n"}
    record = "".join(f"{path},sha256={digest(content)},{len(content)}\n" for path, content in files.items())
    files[f"{name}-1.0.dist-info/RECORD"] = (record + f"{name}-1.0.dist-info/RECORD,,\n").encode()
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return wheel


def digest(content: bytes) -> str:
    """A wheel RECORD's hash: urlsafe base64 of the SHA-256, unpadded."""
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
