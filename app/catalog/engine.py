"""Connecting to the catalog's database, and what SQLite and PostgreSQL store alike."""

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .statements import dialect_module


def open_engine(url: str, sqlite_synchronous: str = "FULL") -> sa.Engine:
    """The database engine for `url`; a SQLite file's folder is created when missing."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return create_db_engine(url, sqlite_synchronous)


def create_db_engine(url: str, sqlite_synchronous: str = "FULL") -> sa.Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and the chosen synchronous level."""
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        enable_wal(cursor)
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def enable_wal(cursor: sqlite3.Cursor, timeout: float = 30.0) -> None:
    """Switch the file to WAL, retrying while another connection holds it.

    Changing the journal mode needs the file to itself, and SQLite answers "database is locked"
    at once, without its busy handler, when another connection is opening the same new file: two
    gunicorn workers starting on a fresh database do exactly that.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def dialect_insert(conn: sa.Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """The INSERT construct with ON CONFLICT support for the connection's database."""
    return dialect_module(conn.dialect.name).insert(table)


def utcnow() -> datetime:
    """Aware UTC now, as the catalog's timestamps are stored."""
    return datetime.now(UTC)
