"""Where libjq runs: pools of long-lived child processes (app/jq/child.py), started on first use.

libjq holds the GIL while it evaluates, so a runaway program evaluated in the server would stall
every thread of its worker. Children start with an empty environment (they cannot read the
server's secrets), a memory cap and a CPU cap; a call waits at most `timeout` seconds, after which
its child is killed and replaced and the call raises JqLimitError. Each pool has `workers`
children; a call waits at most `wait` seconds for a free one. Pools are per process (a forked
gunicorn worker starts its own) and per purpose: the webhook path's and the playground's, so a
playground run can never take a child the webhook path needs.
"""

import contextlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

HEADER = struct.Struct(">I")
REPO_ROOT = Path(__file__).resolve().parents[2]
TRANSLATION, PLAYGROUND = "translation", "playground"
STARTUP_SECONDS = 30.0  # a child's start (Python and libjq loading) is not the evaluation's time
PLAYGROUND_WAIT_SECONDS = 1.0  # a playground run waits this long for a free process, then is refused


class JqLimitError(Exception):
    """A jq evaluation stopped by a sandbox limit; `reason` is machine-readable, the message names
    the setting that sets the limit."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Limits:
    """The bounds of one pool: seconds per call, MiB per child, children, seconds to wait for one."""

    timeout: float = 3.0
    memory_mb: int = 512
    workers: int = 2
    wait: float = 30.0


class Child:
    """One child process and its pipes; used by one thread at a time."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.jq.child", str(limits.memory_mb), str(limits.timeout)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={"PYTHONPATH": str(REPO_ROOT)}, cwd=REPO_ROOT, close_fds=True)
        try:
            ready = self.read_frame(time.monotonic() + STARTUP_SECONDS)
        except JqLimitError:
            ready = None
        if ready != b'"ready"':
            self.kill()
            raise JqLimitError("jq_crashed", f"a JQ process did not start within "
                               f"{STARTUP_SECONDS:g} s")

    def call(self, request: list) -> list:
        """The child's answer to `request`; JqLimitError when it takes too long or dies."""
        deadline = time.monotonic() + self.limits.timeout
        data = json.dumps(request).encode("utf-8")
        try:
            self.process.stdin.write(HEADER.pack(len(data)) + data)
            self.process.stdin.flush()
        except OSError:
            raise self.died() from None
        answer = json.loads(self.read_frame(deadline))
        if isinstance(answer, dict):
            raise memory_error(self.limits)
        return answer

    def read_frame(self, deadline: float) -> bytes:
        """The child's next message, before `deadline` (a time.monotonic() value)."""
        return self.read(HEADER.unpack(self.read(HEADER.size, deadline))[0], deadline)

    def read(self, size: int, deadline: float) -> bytes:
        """Exactly `size` bytes from the child, before `deadline`."""
        fd, chunks, missing = self.process.stdout.fileno(), [], size
        poller = select.poll()  # not select(): a busy server's descriptors may pass FD_SETSIZE
        poller.register(fd, select.POLLIN)
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise JqLimitError("jq_timeout", f"the JQ evaluation took longer than "
                                   f"{self.limits.timeout:g} s (setting JQ_TIMEOUT_SECONDS)")
            chunk = os.read(fd, missing)
            if not chunk:
                raise self.died()
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def died(self) -> JqLimitError:
        """The error for a child that exited mid-call: out of CPU, out of memory, or crashed."""
        code = self.process.wait(timeout=5)
        if code == -signal.SIGXCPU:
            return JqLimitError("jq_timeout", f"the JQ evaluation used more than "
                                f"{self.limits.timeout:g} s of CPU (setting JQ_TIMEOUT_SECONDS)")
        if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL):
            return memory_error(self.limits)
        return JqLimitError("jq_crashed", f"the JQ evaluation process exited with code {code}")

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


def memory_error(limits: Limits) -> JqLimitError:
    return JqLimitError("jq_memory", f"the JQ evaluation needed more than {limits.memory_mb} MiB "
                        "(setting JQ_MEMORY_MB)")


class Pool:
    """Up to `limits.workers` children; each call takes an idle one (or starts one) for its time."""

    def __init__(self, limits: Limits, busy_message: str):
        self.limits = limits
        self.busy_message = busy_message
        self.pid = os.getpid()
        self.slots = threading.BoundedSemaphore(limits.workers)
        self.idle: list[Child] = []
        self.lock = threading.Lock()

    def run(self, request: list) -> list:
        """The answer to `request` (see app/jq/child.py) from one of the pool's children."""
        if not self.slots.acquire(timeout=self.limits.wait):
            raise JqLimitError("jq_busy", self.busy_message)
        try:
            child = self.take()
            try:
                answer = child.call(request)
            except BaseException:
                child.kill()  # its answer may still be on the way: never hand it to another call
                raise
            with self.lock:
                self.idle.append(child)
            return answer
        finally:
            self.slots.release()

    def take(self) -> Child:
        """An idle child that is still alive, or a new one."""
        with self.lock:
            while self.idle:
                child = self.idle.pop()
                if child.process.poll() is None:
                    return child
                child.kill()
        return Child(self.limits)

    def close(self) -> None:
        """Stop the idle children (the pool starts new ones if used again)."""
        with self.lock:
            children, self.idle = self.idle, []
        for child in children:
            child.kill()


BUSY_MESSAGES = {
    TRANSLATION: "every JQ process is busy (setting JQ_WORKERS)",
    PLAYGROUND: "the playground is running as many evaluations as it may at once; try again "
                "(setting PLAYGROUND_CONCURRENCY)",
}
CONFIGURED = {TRANSLATION: Limits(), PLAYGROUND: Limits(wait=PLAYGROUND_WAIT_SECONDS)}
POOLS: dict[str, Pool] = {}
POOLS_LOCK = threading.Lock()
ACTIVE = ContextVar("active_jq_pool", default=TRANSLATION)


def configure(name: str, limits: Limits) -> None:
    """Set the limits of pool `name`; when they change, its running children are stopped."""
    with POOLS_LOCK:
        if CONFIGURED[name] == limits:
            return
        CONFIGURED[name] = limits
        old = POOLS.pop(name, None)
    if old is not None and old.pid == os.getpid():
        old.close()


def pool(name: str) -> Pool:
    """This process's pool `name` (a forked process does not use its parent's children)."""
    with POOLS_LOCK:
        current = POOLS.get(name)
        if current is None or current.pid != os.getpid():
            current = POOLS[name] = Pool(CONFIGURED[name], BUSY_MESSAGES[name])
        return current


@contextlib.contextmanager
def using(name: str) -> Iterator[None]:
    """Evaluate in pool `name` within the block (this thread or task only)."""
    token = ACTIVE.set(name)
    try:
        yield
    finally:
        ACTIVE.reset(token)


def run(request: list) -> list:
    """Evaluate `request` in the active pool (the webhook path's unless `using` says otherwise)."""
    return pool(ACTIVE.get()).run(request)


def close_all() -> None:
    """Stop every idle child of this process."""
    with POOLS_LOCK:
        pools = [p for p in POOLS.values() if p.pid == os.getpid()]
    for each in pools:
        each.close()
