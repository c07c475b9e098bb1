"""The store: keys shared by every worker, and group commit (concurrent writes share a commit, each
caller gets its own result or error)."""

import threading
from functools import partial

import pytest
import sqlalchemy as sa

from app.catalog.committer import GroupCommitter
from app.catalog.store import Store
from app.catalog.tables import service_keys
from app.catalog.writelock import write_lock_for
from tests.support.helpers import run_in_threads, wait_for


def test_a_shared_key_is_made_once_and_then_read_by_every_store(engine):
    first = Store(engine).shared_key("ui_session_key")
    other = Store(sa.create_engine(engine.url))
    assert len(first) >= 32 and other.shared_key("ui_session_key") == first
    assert Store(engine).shared_key("another") != first
    other.engine.dispose()



def insert_key(name):
    def work(conn):
        conn.execute(service_keys.insert().values(name=name, value="v"))
        return name
    return work


def stored_keys(engine):
    with engine.connect() as conn:
        return set(conn.execute(sa.select(service_keys.c.name)).scalars()) - {"ui_session_key", "api_token"}


@pytest.fixture
def committer(engine):
    committer = GroupCommitter(engine, write_lock_for(engine))
    yield committer
    committer.close()


def count_commits(engine):
    commits = []
    sa.event.listen(engine, "commit", lambda conn: commits.append(1))
    return commits


def test_jobs_arriving_during_a_commit_share_the_next_one(engine, committer):
    commits, release, results = count_commits(engine), threading.Event(), []

    def slow(conn):
        release.wait(10)
        return insert_key("first")(conn)

    first = threading.Thread(target=lambda: results.append(committer.run(slow)))
    first.start()
    wait_for(lambda: committer.leading)
    names = iter(f"k{n}" for n in range(6))
    others = threading.Thread(target=run_in_threads, args=(
        lambda: results.append(committer.run(insert_key(next(names)))), 6))
    others.start()
    wait_for(lambda: len(committer.waiting) == 6)
    release.set()
    first.join()
    others.join()

    assert sorted(results) == sorted(["first"] + [f"k{n}" for n in range(6)])
    assert stored_keys(engine) == set(results)
    assert len(commits) == 2


def test_a_failing_job_costs_only_its_own_write(engine, committer):
    release, outcomes = threading.Event(), {}

    def hold(conn):
        release.wait(10)
        return insert_key("held")(conn)

    def attempt(name, work):
        try:
            outcomes[name] = committer.run(work)
        except sa.exc.IntegrityError:
            outcomes[name] = "refused"

    holder = threading.Thread(target=attempt, args=("held", hold))
    holder.start()
    wait_for(lambda: committer.leading)
    jobs = [("a", insert_key("a")), ("dup", insert_key("a")), ("b", insert_key("b"))]
    threads = [threading.Thread(target=attempt, args=job) for job in jobs]
    for waiting, thread in enumerate(threads, start=1):
        thread.start()
        wait_for(partial(lambda count: len(committer.waiting) == count, waiting))
    release.set()
    for thread in [holder, *threads]:
        thread.join()

    assert outcomes == {"held": "held", "a": "a", "dup": "refused", "b": "b"}
    assert stored_keys(engine) == {"held", "a", "b"}


def test_an_error_outside_the_database_reaches_its_caller(engine, committer):

    def broken(conn):
        insert_key("never")(conn)
        raise ValueError("mapping bug")

    with pytest.raises(ValueError, match="mapping bug"):
        committer.run(broken)
    assert committer.run(insert_key("after")) == "after"
    assert stored_keys(engine) == {"after"}
    assert not committer.leading and committer.waiting == []


def backend_pid(conn):
    if conn.dialect.name == "postgresql":
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    return id(conn.connection.driver_connection)


def test_transactions_reuse_one_kept_connection(committer):
    assert committer.run(backend_pid) == committer.run(backend_pid)


def test_a_lost_connection_is_replaced_without_failing_the_batch(postgres_url):
    engine = sa.create_engine(postgres_url)
    service_keys.metadata.create_all(engine, tables=[service_keys])
    committer = GroupCommitter(engine, None)
    lost = committer.run(backend_pid)
    with engine.connect() as admin:
        admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
        admin.commit()

    assert committer.run(insert_key("after-restart")) == "after-restart"
    assert committer.run(backend_pid) != lost
    assert stored_keys(engine) == {"after-restart"}
    committer.close()
    engine.dispose()
