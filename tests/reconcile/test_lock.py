"""The pass lock on each database: one holder at a time across engines (processes, instances)."""

from app.catalog.engine import create_db_engine
from app.reconcile.lock import pass_lock


def test_one_holder_at_a_time_and_released_on_exit(database_url):
    first, second = create_db_engine(database_url), create_db_engine(database_url)
    try:
        with pass_lock(first) as held:
            assert held
            with pass_lock(second) as also:
                assert not also
        with pass_lock(second) as held_after:
            assert held_after
    finally:
        first.dispose()
        second.dispose()


def test_a_failing_pass_releases_the_lock(database_url):
    engine = create_db_engine(database_url)
    try:
        try:
            with pass_lock(engine):
                raise RuntimeError("the pass failed")
        except RuntimeError:
            pass
        with pass_lock(engine) as held:
            assert held
    finally:
        engine.dispose()


def test_an_in_memory_catalog_is_locked_within_the_process():
    engine = create_db_engine("sqlite:///:memory:")
    with pass_lock(engine) as held, pass_lock(engine) as also:
        assert held and not also
