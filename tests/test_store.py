"""Keys shared by every worker, and opening the database from many workers at once."""

import threading

import sqlalchemy as sa

from app.catalog.store import Store

from app.catalog.engine import create_db_engine
from tests.helpers import run_in_threads


def test_a_shared_key_is_made_once_and_then_read_by_every_store(engine):
    first = Store(engine).shared_key("ui_session_key")
    other = Store(sa.create_engine(engine.url))
    assert len(first) >= 32 and other.shared_key("ui_session_key") == first
    assert Store(engine).shared_key("another") != first
    other.engine.dispose()


def test_workers_opening_a_new_sqlite_file_at_once_all_get_wal(tmp_path):
    # An engine per thread, as each gunicorn worker has its own; each round is a fresh file, since
    # only the first switch to WAL can race.
    for round_number in range(40):
        url = f"sqlite:///{tmp_path}/race-{round_number}.sqlite3"
        barrier, modes, errors = threading.Barrier(8), [], []

        def open_connection():
            engine = create_db_engine(url)
            barrier.wait()
            try:
                with engine.connect() as conn:
                    modes.append(conn.exec_driver_sql("PRAGMA journal_mode").scalar())
            except sa.exc.OperationalError as exc:
                errors.append(exc)
            engine.dispose()

        run_in_threads(open_connection, 8)
        assert errors == [] and modes == ["wal"] * 8
