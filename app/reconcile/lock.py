"""One reconcile pass at a time across processes and instances: a PostgreSQL advisory lock, or a
lock file beside the SQLite file. Neither waits: a pass that finds another running is skipped."""

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

# An arbitrary constant naming this lock among the database's others (the migrations use another).
PG_LOCK_KEY = 7_304_412
# An in-memory SQLite database lives in one process: a lock of this process is enough there.
MEMORY_LOCK = threading.Lock()


@contextmanager
def pass_lock(engine: sa.Engine) -> Iterator[bool]:
    """Yields whether this caller holds the lock (False: another pass is running); released on exit."""
    if engine.dialect.name == "postgresql":
        with postgres_lock(engine) as held:
            yield held
        return
    database = engine.url.database
    if not database or database == ":memory:":
        held = MEMORY_LOCK.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                MEMORY_LOCK.release()
        return
    with file_lock(f"{database}.reconcile-lock") as held:
        yield held


@contextmanager
def postgres_lock(engine: sa.Engine) -> Iterator[bool]:
    """pg_try_advisory_lock on a connection kept for the pass (the lock is the session's)."""
    with engine.connect() as conn:
        held = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}).scalar()
        conn.commit()
        try:
            yield bool(held)
        finally:
            if held:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
                conn.commit()


@contextmanager
def file_lock(path: str) -> Iterator[bool]:
    """flock on `path`, not waiting; the kernel releases it if the process dies."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
