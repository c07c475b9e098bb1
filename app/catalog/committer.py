"""The group committer: write jobs from many threads run in shared transactions.

Group commit: with gunicorn's threaded workers several requests of one process reach the store at
once. Committed one by one, each would pay a commit of its own (an fsync with SQLite's
synchronous=FULL, a round trip on PostgreSQL) and, on SQLite, queue for the single writer meanwhile.
Instead the first request to arrive leads: it runs the jobs waiting at that moment in one transaction,
commits once, hands every request its own result, and passes the lead to a request that arrived in the
meantime. No request gets its result before the commit that made it durable. When a job or the commit
fails, the batch is run again one transaction per job, so that one bad event never costs the others
theirs.

Only the leader writes, so a process needs one connection for it: it is kept open rather than taken
from the pool per transaction (the pool's checkout and return cost about a fifth of an event's write).
A batch whose connection turns out lost (a database restart, an idle timeout) runs once more on a new
one: nothing of it was committed, or, if the loss came during the commit, the delivery ids make the
second run find its events recorded.
"""

import os
import threading
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from .writelock import WriteLock, holding

MAX_BATCH = 32
T = TypeVar("T")


class Job:
    """One caller's write: the function to run, then its result or its error."""

    __slots__ = ("work", "result", "error", "done", "leads", "wake")

    def __init__(self, work: Callable[[sa.Connection], object]):
        self.work = work
        self.result = self.error = None
        self.done = self.leads = False
        self.wake = threading.Event()

    def finish(self, result: object = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.done = result, error, True
        self.wake.set()


class GroupCommitter:
    """Runs write jobs from many threads in shared transactions on `engine`."""

    def __init__(self, engine: sa.Engine, lock: WriteLock | None, max_batch: int = MAX_BATCH):
        self.engine, self.lock, self.max_batch = engine, lock, max_batch
        self.mutex = threading.Lock()
        self.waiting = []
        self.leading = False
        self.conn, self.pid = None, None

    def run(self, work: Callable[[sa.Connection], T]) -> T:
        """`work(conn)` inside a transaction shared with other callers; its result once committed."""
        job = Job(work)
        with self.mutex:
            self.waiting.append(job)
            if not self.leading:
                self.leading = job.leads = True
        if not job.leads:
            job.wake.wait()
        if not job.done:
            self.lead()
        if job.error is not None:
            raise job.error
        return job.result

    def lead(self) -> None:
        """Commit the jobs waiting now (this thread's among them), then hand the lead on."""
        with self.mutex:
            batch = self.waiting[:self.max_batch]
            del self.waiting[:self.max_batch]
        try:
            self.commit(batch)
        except BaseException as exc:
            # Only an interruption (a worker timeout, an exit) gets here: nobody may wait forever.
            for job in batch:
                if not job.done:
                    job.finish(error=exc)
            raise
        finally:
            self.pass_lead()

    def pass_lead(self) -> None:
        with self.mutex:
            if self.waiting:
                self.waiting[0].leads = True
                self.waiting[0].wake.set()
            else:
                self.leading = False

    def commit(self, batch: list[Job]) -> None:
        """The batch in one transaction; after any failure, each job again in its own."""
        try:
            results = self.transact([job.work for job in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].finish(error=exc)
                return
            for job in batch:
                self.commit([job])
            return
        for job, result in zip(batch, results):
            job.finish(result)

    def transact(self, works: list[Callable[[sa.Connection], object]]) -> list:
        try:
            return self.transact_once(works)
        except sa.exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return self.transact_once(works)

    def transact_once(self, works: list[Callable[[sa.Connection], object]]) -> list:
        conn = self.connection()
        with holding(self.lock):
            try:
                with conn.begin():
                    return [work(conn) for work in works]
            except BaseException:
                self.close()
                raise

    def connection(self) -> sa.Connection:
        """The leader's connection, opened once per process (a fork must not share it)."""
        if self.conn is None or self.pid != os.getpid() or self.conn.closed:
            self.conn, self.pid = self.engine.connect(), os.getpid()
        return self.conn

    def close(self) -> None:
        """Give the kept connection back: before the engine is disposed, and after a failed
        transaction. A COMMIT that SQLite refuses (a deferred constraint) leaves the driver's
        transaction open while SQLAlchemy considers it ended; the pool's reset rolls it back, where
        a kept connection would carry it into every later batch."""
        if self.conn is not None and self.pid == os.getpid():
            self.conn.close()
        self.conn = None
