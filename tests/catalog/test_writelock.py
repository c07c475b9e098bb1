"""The SQLite write lock: exclusive across processes, absent for PostgreSQL and memory databases."""

import fcntl
import os
import subprocess
import sys

import sqlalchemy as sa

from app.catalog.writelock import WriteLock, write_lock_for, writing


def test_a_lock_per_sqlite_file_only(tmp_path):
    lock = write_lock_for(sa.create_engine(f"sqlite:///{tmp_path}/c.db"))
    assert lock.path == f"{tmp_path}/c.db.writelock"
    assert write_lock_for(sa.create_engine("sqlite:///:memory:")) is None
    assert write_lock_for(sa.create_engine("postgresql+psycopg://u@127.0.0.1/db")) is None


def test_another_process_waits_for_the_holder(tmp_path):
    lock = WriteLock(str(tmp_path / "x.writelock"))
    probe = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); "
             "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)")
    with lock.held():
        held = subprocess.run([sys.executable, "-c", probe, lock.path], capture_output=True)
        assert held.returncode != 0 and b"BlockingIOError" in held.stderr
    free = subprocess.run([sys.executable, "-c", probe, lock.path], capture_output=True)
    assert free.returncode == 0


def test_writing_commits_under_the_lock(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/c.db")
    lock = write_lock_for(engine)
    with writing(engine, lock) as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        other = os.open(lock.path, os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            raise AssertionError("the lock was not held during the transaction")
        except BlockingIOError:
            pass
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(other)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM t")).scalar() == 1
