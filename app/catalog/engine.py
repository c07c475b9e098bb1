"""Connecting to the catalog's database, and what SQLite and PostgreSQL store alike."""

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import ConfigError
from .statements import dialect_module

T = TypeVar("T")
IN_CHUNK = 500  # values per IN list


def open_engine(url: str, sqlite_synchronous: str = "FULL") -> sa.Engine:
    """The database engine for `url`; a SQLite file's folder is created when missing."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return create_db_engine(url, sqlite_synchronous)


def database_location(url: str | sa.URL) -> str:
    """Where `url` points, for log lines and messages: a SQLite file's absolute path (three
    slashes are relative to the working directory, four absolute), or a server URL without its
    password."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        return database if database == ":memory:" else str(Path(database).resolve())
    return parsed.render_as_string(hide_password=True)


def check_reachable(engine: sa.Engine) -> None:
    """Connect once; an unreachable or refusing server is a ConfigError naming DATABASE_URL."""
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise ConfigError(f"setting DATABASE_URL: cannot connect to {database_location(engine.url)}"
                          f": {reason}") from None


def backup_sqlite(engine: sa.Engine, target: Path) -> None:
    """Copy the SQLite catalog to the new file `target` (its folder made when missing) with
    SQLite's online backup, which takes a consistent snapshot (WAL included) while other
    connections keep writing."""
    if engine.dialect.name != "sqlite":
        raise ConfigError("backup copies the SQLite catalog only; back up PostgreSQL with "
                          f"pg_dump ({database_location(engine.url)})")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.open("xb").close()
    except FileExistsError:
        raise ConfigError(f"backup: {target} already exists; choose a new path") from None
    source = sqlite3.connect(engine.url.database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def dump_json(value: object) -> str:
    """The text of a JSON column's value (every stored event and entity has several): orjson's,
    several times faster, or the standard library's for what orjson refuses (integers past 64 bits,
    lone surrogates, keys that are not strings)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value)


def create_db_engine(url: str, sqlite_synchronous: str = "FULL") -> sa.Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and the chosen synchronous level."""
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                                json_serializer=dump_json)
    engine = sa.create_engine(url, connect_args={"timeout": 30}, json_serializer=dump_json)

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


def in_chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`: the values of one IN list. PostgreSQL's parser recursed
    past its stack depth on a tuple IN of 8,000 pairs, and SQLite bounds a statement's variables."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def utcnow() -> datetime:
    """Aware UTC now, as the catalog's timestamps are stored."""
    return datetime.now(UTC)
