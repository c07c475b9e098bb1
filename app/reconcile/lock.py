"""One reconcile pass at a time across processes and instances: a PostgreSQL advisory lock, or a
lock file beside the SQLite file. Neither waits: a pass that finds another running is skipped."""

import fcntl
import threading
import zlib
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


def schema_key(schema: str) -> int:
    """A signed 32-bit number naming the schema, the lock's second key."""
    value = zlib.crc32(schema.encode("utf-8"))
    return value - 2 ** 32 if value >= 2 ** 31 else value


@contextmanager
def postgres_lock(engine: sa.Engine) -> Iterator[bool]:
    """pg_try_advisory_lock on a connection kept for the pass (the lock is the session's). Advisory
    locks are the database's, so the key names the catalog's schema too: catalogs kept in several
    schemas of one database do not wait for each other."""
    with engine.connect() as conn:
        keys = {"k": PG_LOCK_KEY, "s": schema_key(conn.execute(sa.text("SELECT current_schema()")).scalar() or "")}
        held = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k, :s)"), keys).scalar()
        conn.commit()
        try:
            yield bool(held)
        finally:
            if held:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k, :s)"), keys)
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
