"""Opening the database: WAL from many workers at once, a SQLite file's folder made when missing."""

import threading
from functools import partial

import pytest
import sqlalchemy as sa

from app.catalog.engine import check_reachable, create_db_engine, database_location, open_engine
from app.errors import ConfigError
from tests.support.helpers import run_in_threads


def open_racing_connection(url, barrier, modes, errors):
    """Open `url` with an engine of its own once every thread is ready; note the journal mode."""
    engine = create_db_engine(url)
    barrier.wait()
    try:
        with engine.connect() as conn:
            modes.append(conn.exec_driver_sql("PRAGMA journal_mode").scalar())
    except sa.exc.OperationalError as exc:
        errors.append(exc)
    engine.dispose()


def test_workers_opening_a_new_sqlite_file_at_once_all_get_wal(tmp_path):
    # An engine per thread, as each gunicorn worker has its own; each round is a fresh file, since
    # only the first switch to WAL can race.
    for round_number in range(40):
        url = f"sqlite:///{tmp_path}/race-{round_number}.sqlite3"
        barrier, modes, errors = threading.Barrier(8), [], []
        run_in_threads(partial(open_racing_connection, url, barrier, modes, errors), 8)
        assert errors == [] and modes == ["wal"] * 8


def test_a_sqlite_files_folder_is_created_and_the_file_is_in_wal(tmp_path):
    path = tmp_path / "nested" / "deeper" / "catalog.sqlite3"
    engine = open_engine(f"sqlite:///{path}", "NORMAL")
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    engine.dispose()
    assert path.exists() and mode == "wal" and synchronous == 1


def test_database_location_is_an_absolute_path_or_a_url_without_its_password(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    assert database_location("sqlite:///data/catalog.db") == str(tmp_path / "data" / "catalog.db")
    assert database_location("sqlite:////srv/catalog.db") == "/srv/catalog.db"
    assert database_location("postgresql+psycopg://app:s3cret@db.example:5432/catalog") == \
        "postgresql+psycopg://app:***@db.example:5432/catalog"


def test_an_unreachable_database_is_a_config_error_naming_database_url():
    engine = create_db_engine("postgresql+psycopg://app:s3cret@127.0.0.1:1/catalog")

    with pytest.raises(ConfigError) as caught:
        check_reachable(engine)

    assert caught.value.message.startswith("setting DATABASE_URL: cannot connect to "
                                           "postgresql+psycopg://app:***@127.0.0.1:1/catalog: ")
    assert "s3cret" not in caught.value.message


@pytest.mark.parametrize("value", [
    {"n": 123456789012345678901234567890, "s": "lone \ud800 surrogate"},
    {"summary": "Grüße", "points": 2.5, "nested": [None, True, {"k": -7}]},
])
def test_json_columns_read_back_what_was_stored_whatever_orjson_refuses(database_url, value):
    engine = create_db_engine(database_url)
    table = sa.Table("json_values", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("value", sa.JSON))
    try:
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), {"id": 1, "value": value})
            assert conn.execute(sa.select(table.c.value)).scalar() == value
    finally:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
        engine.dispose()
