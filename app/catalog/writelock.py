"""One SQLite writer at a time across gunicorn workers, queued by the kernel instead of SQLite.

Two processes writing to one SQLite file meet SQLite's busy handler, which sleeps and polls (1, 2, 5,
10... ms) until the other's transaction ends: at 8 concurrent requests that sleeping, not the work,
set the throughput and the tail latency. An exclusive `flock` on a file beside the database makes the
next writer wait in the kernel and wake as soon as the lock is released. The lock is advisory: SQLite's
own locking still guarantees correctness, including against writers that do not take it.
"""

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import sqlalchemy as sa


class WriteLock:
    """An exclusive lock on `path`, for the threads of this process and across processes."""

    def __init__(self, path: str):
        self.path = path
        self.thread_lock = threading.Lock()
        self.fd, self.pid = None, None

    def descriptor(self) -> int:
        """The lock file, opened once per process (a descriptor shared by a fork would not exclude)."""
        if self.pid != os.getpid():
            self.fd, self.pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self.fd

    @contextmanager
    def held(self) -> Iterator[None]:
        with self.thread_lock:
            fd = self.descriptor()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)


def write_lock_for(engine: sa.Engine) -> WriteLock | None:
    """The WriteLock of a SQLite file database; None for PostgreSQL and in-memory SQLite."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return WriteLock(database + ".writelock")


def holding(lock: WriteLock | None) -> AbstractContextManager[None]:
    """`lock` held, or nothing to hold when there is none (PostgreSQL, in-memory SQLite)."""
    return lock.held() if lock is not None else nullcontext()


@contextmanager
def writing(engine: sa.Engine, lock: WriteLock | None) -> Iterator[sa.Connection]:
    """A write transaction on `engine`, under `lock` when there is one."""
    with holding(lock), engine.begin() as conn:
        yield conn
